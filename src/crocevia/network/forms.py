"""Input shape of the agreement form; the rules live in network.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.core.forms import PlausibleDateField, StyledFormMixin

from .models import Agreement, CasePart, Organisation
from .services import PartySpec, document_max_bytes


def add_service_errors(form: forms.Form, error: ValidationError, formset=None) -> None:
    """Put a service's ValidationError beside the form's fields (parties: on the formset)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        if name == "parties" and formset is not None:
            formset.service_errors.extend(messages)
        else:
            form.add_error(name if name in form.fields else None, messages)


class AgreementForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Agreement.Kind.choices)
    reference = forms.CharField(
        label=gettext_lazy("Reference number"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Register or protocol number of the signed act, if any."),
    )
    signed_on = PlausibleDateField(label=gettext_lazy("Signed on"))
    valid_from = PlausibleDateField(label=gettext_lazy("Valid from"), allow_future=True)
    valid_until = PlausibleDateField(
        label=gettext_lazy("Valid until"),
        required=False,
        allow_future=True,
        help_text=gettext_lazy("Leave empty when the agreement is open-ended."),
    )
    renewable = forms.BooleanField(label=gettext_lazy("Renewable"), required=False)
    renewal_terms = forms.CharField(
        label=gettext_lazy("Renewal terms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    document = forms.FileField(
        label=gettext_lazy("Signed document"),
        required=False,
        widget=forms.FileInput(
            attrs={
                "accept": ".pdf,.odt,.docx,application/pdf,"
                "application/vnd.oasis.opendocument.text,"
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        ),
    )
    remove_document = forms.BooleanField(
        label=gettext_lazy("Remove the attached document"), required=False
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, has_document: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _(
            "PDF, ODT or DOCX, at most %(size)s. It is kept private: only those who may "
            "see the agreement can download it."
        ) % {"size": filesizeformat(document_max_bytes())}
        self.fields["document"].widget.attrs["aria-describedby"] = "document-help"
        if not has_document:
            del self.fields["remove_document"]

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload and upload.size > document_max_bytes():
            raise forms.ValidationError(
                _("The document is larger than %(size)s.")
                % {"size": filesizeformat(document_max_bytes())},
                code="document_size",
            )
        return upload

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The end of validity cannot be before its start."))
        return data

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if not data.get("document"):
            data["document"] = None
        return data


class PartyForm(StyledFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.select_related("zone").order_by("name"),
        required=False,
        empty_label=gettext_lazy("Choose the organisation"),
    )
    role = forms.CharField(
        label=gettext_lazy("Role"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("E.g. lead body, partner."),
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Money transferred (€)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        localize=True,
        error_messages={"min_value": gettext_lazy("The money transferred cannot be negative.")},
    )
    shared_parts = forms.MultipleChoiceField(
        label=gettext_lazy("Parts of a shared case it may see"),
        choices=CasePart.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["inputmode"] = "decimal"

    def clean(self):
        data = super().clean()
        filled = data.get("role") or data.get("amount") is not None or data.get("shared_parts")
        if filled and not data.get("organisation") and "organisation" not in self.errors:
            self.add_error("organisation", _("Choose the organisation of this party."))
        return data


class BasePartyFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_errors: list[str] = []

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        count = 0
        for form in self.forms:
            org = form.cleaned_data.get("organisation")
            if not org:
                continue
            count += 1
            if org.pk in seen:
                form.add_error(
                    "organisation",
                    _("%(organisation)s is listed twice: each organisation is a party only once.")
                    % {"organisation": org.name},
                )
            seen.add(org.pk)
        if count < 2:
            raise ValidationError(_("An agreement needs at least two parties."))

    def parties(self) -> list[PartySpec]:
        return [
            PartySpec(
                organisation=f.cleaned_data["organisation"],
                role=f.cleaned_data.get("role") or "",
                amount=f.cleaned_data.get("amount"),
                shared_parts=tuple(f.cleaned_data.get("shared_parts") or ()),
            )
            for f in self.forms
            if f.cleaned_data.get("organisation")
        ]

    def all_errors(self) -> list[str]:
        return list(self.non_form_errors()) + self.service_errors


def party_formset(data=None, *, agreement: Agreement | None = None, empty_rows: int = 2):
    """The parties' rows: the agreement's parties (if any), then `empty_rows` empty ones."""
    initial = []
    if agreement is not None:
        initial = [
            {
                "organisation": p.organisation,
                "role": p.role,
                "amount": p.amount,
                "shared_parts": list(p.shared_parts),
            }
            for p in agreement.parties.all()
        ]
    extra = max(empty_rows, 4 - len(initial)) if agreement is None else empty_rows
    formset_class = forms.formset_factory(
        PartyForm, formset=BasePartyFormSet, extra=extra, max_num=40, validate_max=True
    )
    # Bound rows are read from the data alone: with an initial, an unchanged extra row
    # would count as empty and be skipped.
    return formset_class(data, initial=initial if data is None else None, prefix="parties")
