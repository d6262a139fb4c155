"""Forms of the registry: the shape of the input; the rules live in services and validators."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import (
    BirthDateField,
    DateInput,
    ExpiryDateField,
    PlausibleDateField,
    StyledFormMixin,
)
from crocevia.network.models import Comune

from .models import Consent, DuplicatePair, Person, Relationship, SharingBasis
from .services import PERSON_FIELDS
from .sharing import CHOSEN_BASES
from .validators import check_codice_fiscale, language_choices

FORM_FIELDS = [f for f in PERSON_FIELDS if f != "external_id"]


class LanguagesField(forms.MultipleChoiceField):
    """A multiple select of ISO 639-1 languages, named in the active language."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", language_choices)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 8}))
        super().__init__(**kwargs)


class PersonForm(StyledFormMixin, forms.ModelForm):
    """Registry data of a person. Field errors show beside the fields (partials/field.html)."""

    languages = LanguagesField(
        label=_("Languages spoken"),
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    comune = forms.ModelChoiceField(
        queryset=Comune.objects.order_by("name"),
        required=False,
        label=_("Comune of residence"),
    )

    class Meta:
        model = Person
        fields = FORM_FIELDS
        field_classes = {"birth_date": BirthDateField, "permit_expires_on": ExpiryDateField}
        widgets = {
            "birth_date": DateInput(),
            "permit_expires_on": DateInput(),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "codice_fiscale": forms.TextInput(
                attrs={"autocapitalize": "characters", "spellcheck": "false"}
            ),
        }
        help_texts = {
            "codice_fiscale": _("16 characters, or the 11-digit provisional code."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codice_fiscale"].max_length = 20
        self.fields["codice_fiscale"].widget.attrs["maxlength"] = 20
        if self.instance.pk and not self.is_bound:
            # The code as on the person's card (an omocodia variant), not the stored form.
            self.initial["codice_fiscale"] = self.instance.codice_fiscale_as_issued

    def clean(self):
        data = super().clean()
        if "codice_fiscale" in data:
            try:
                data["codice_fiscale"] = check_codice_fiscale(
                    data["codice_fiscale"],
                    birth_date=data.get("birth_date"),
                    sex=data.get("sex"),
                )
            except ValidationError as exc:
                self.add_error("codice_fiscale", exc)
        return data

    def _post_clean(self):
        # Model validation happens in the service (the one place of the rules).
        pass

    def service_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in FORM_FIELDS}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's ValidationError beside the fields it names."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class PersonCreateForm(PersonForm):
    confirm_distinct = forms.BooleanField(
        required=False, label=_("I confirm this is a different person")
    )


class PersonEditForm(PersonForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ConsentForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["scope", "given_on", "notes"]
        field_classes = {"given_on": PlausibleDateField}
        widgets = {"given_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate
        self.fields["given_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def _post_clean(self):
        pass


class ConsentWithdrawForm(StyledFormMixin, forms.Form):
    withdrawn_on = PlausibleDateField(label=_("Withdrawn on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate


class HouseholdMemberForm(StyledFormMixin, forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    relationship = forms.ChoiceField(
        label=_("Relationship to the reference person"),
        choices=[("", "---------")]
        + [c for c in Relationship.choices if c[0] != Relationship.REFERENCE],
    )


class DuplicateFilterForm(StyledFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("Every reason")), *DuplicatePair.Reason.choices],
    )


class PersonMergeForm(StyledFormMixin, forms.Form):
    """The coordinator's choices for the merge of a pair: which record survives, the value
    each differing field keeps (from record "a" or "b" of the pair), and the versions
    both records had when they were compared (optimistic locking)."""

    SIDES = ("a", "b")

    survivor = forms.ChoiceField(label=_("Record that stays"), widget=forms.RadioSelect)
    version_a = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    version_b = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    confirm = forms.BooleanField(
        label=_("I have checked that the two records are the same person"),
        error_messages={"required": _("Confirm that the two records are the same person.")},
    )

    def __init__(self, *args, persons, labels, differences, values, initial_side="a", **kwargs):
        """`persons`: the pair's records (a, b); `labels`: how each record is named in the
        survivor choice; `differences`: the fields whose values differ; `values`: {field:
        (display of a, display of b)}, the radios' labels ("" for no value)."""
        first, second = persons
        kwargs.setdefault(
            "initial",
            {"survivor": initial_side, "version_a": first.version, "version_b": second.version},
        )
        super().__init__(*args, **kwargs)
        self.persons = dict(zip(self.SIDES, persons, strict=True))
        self.differences = list(differences)
        self.fields["survivor"].choices = list(zip(self.SIDES, labels, strict=True))
        for name in self.differences:
            shown = values[name]
            # The survivor's value unless it is empty and the other record has one.
            side = initial_side
            if not shown[self.SIDES.index(side)] and shown[1 - self.SIDES.index(side)]:
                side = self.SIDES[1 - self.SIDES.index(side)]
            self.fields[f"take_{name}"] = forms.ChoiceField(
                label=Person._meta.get_field(name).verbose_name,
                choices=[(s, text or "–") for s, text in zip(self.SIDES, shown, strict=True)],
                widget=forms.RadioSelect,
                initial=side,
            )

    def take_field(self, name):
        return self[f"take_{name}"]

    def survivor_and_merged(self) -> tuple[Person, Person]:
        side = self.cleaned_data["survivor"]
        other = self.SIDES[1 - self.SIDES.index(side)]
        return self.persons[side], self.persons[other]

    def take_from_merged(self) -> list[str]:
        """The fields whose value the survivor takes from the merged record."""
        side = self.cleaned_data["survivor"]
        return [name for name in self.differences if self.cleaned_data[f"take_{name}"] != side]

    def expected_versions(self) -> tuple[int, int]:
        """(survivor's, merged record's) versions as they were compared."""
        versions = {"a": self.cleaned_data["version_a"], "b": self.cleaned_data["version_b"]}
        side = self.cleaned_data["survivor"]
        other = self.SIDES[1 - self.SIDES.index(side)]
        return versions[side], versions[other]


class PeriodForm(StyledFormMixin, forms.Form):
    """The period of a person's access report; both ends optional, both included."""

    dal = PlausibleDateField(label=_("From"), required=False, allow_future=True)
    al = PlausibleDateField(label=_("To"), required=False, allow_future=True)

    def clean(self):
        data = super().clean()
        start, end = data.get("dal"), data.get("al")
        if start and end and start > end:
            self.add_error("al", _("The end of the period comes before its start."))
        return data

    def period(self):
        """(start, end) if the form is valid, else (None, None): the whole trail."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("dal"), self.cleaned_data.get("al")
        return None, None


class SharingFieldsMixin(StyledFormMixin, forms.Form):
    """The basis on which the person's data crosses to another organisation, asked in the
    step that sends it (people.sharing): the consent on record, given now, or a legal
    basis with its reference."""

    sharing_basis = forms.ChoiceField(
        label=_("On what basis are the person's data shared?"),
        choices=[(basis.value, basis.label) for basis in CHOSEN_BASES],
        initial=SharingBasis.CONSENT,
        required=False,
        widget=forms.RadioSelect,
    )
    consent_now = forms.BooleanField(
        label=_(
            "The person gives now the consent to sharing within the network, after reading "
            "the notice"
        ),
        required=False,
    )
    sharing_note = forms.CharField(
        label=_("Reference of the legal basis"),
        max_length=250,
        required=False,
        help_text=_("The law or the order of the judge that allows sharing without consent."),
    )

    def sharing_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "sharing_basis": data.get("sharing_basis") or SharingBasis.CONSENT,
            "sharing_note": data.get("sharing_note", ""),
            "consent_now": bool(data.get("consent_now")),
        }
