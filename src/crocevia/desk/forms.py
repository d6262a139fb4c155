"""Input shape of the desk's forms; the rules live in desk.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import PlausibleDateField, StyledFormMixin, add_service_errors
from crocevia.network.models import Organisation
from crocevia.people.forms import SharingFieldsMixin

from .models import Contact, DeskService, ItalianLevel, WorkSector
from .services import validate_contact_date, validate_referral


class ContactForm(SharingFieldsMixin, StyledFormMixin, forms.Form):
    """A contact with its services, outcome and the language need seen at the desk."""

    desk = forms.ModelChoiceField(label=_("Desk"), queryset=None, empty_label=_("Choose a desk"))
    date = PlausibleDateField(label=_("Date"))
    services = forms.ModelMultipleChoiceField(
        label=_("Services given"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select at least one service.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=Contact.Outcome.choices,
        widget=forms.RadioSelect,
        initial=Contact.Outcome.SOLVED,
    )
    referred_to = forms.ModelChoiceField(
        label=_("Referred to"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=_("Choose an organisation"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    italian_level = forms.ChoiceField(
        label=_("Level of Italian"),
        choices=[("", _("Not assessed"))] + list(ItalianLevel.choices),
        required=False,
        help_text=_("CEFR level, from none to C2."),
    )
    needs_job_italian = forms.BooleanField(label=_("Needs job-specific Italian"), required=False)
    work_sector = forms.ChoiceField(
        label=_("Work sector"),
        choices=[("", _("Choose a sector"))] + list(WorkSector.choices),
        required=False,
    )
    # The version the operator started from (edits only): a concurrent change is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, desks, contact: Contact | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.fields["desk"].queryset = desks
        if contact is not None and contact.receiver_not_named:
            # An imported referral whose register did not name the receiver: it may stay so.
            self.fields["referred_to"].empty_label = _("Not named in the register")
        services = DeskService.objects.filter(active=True)
        if contact is not None:
            # A service retired since the contact was recorded still shows, ticked.
            services = (
                DeskService.objects.filter(
                    pk__in=list(contact.services.values_list("pk", flat=True))
                )
                | services
            )
        self.fields["services"].queryset = services.order_by("position", "name")
        if contact is None:
            self.fields["date"].initial = timezone.localdate
            desk_list = list(desks[:2])
            if len(desk_list) == 1:
                self.fields["desk"].initial = desk_list[0].pk
        else:
            self.initial.update(initial_for(contact))

    def clean_date(self):
        # The service checks it too; checked here as well so every error shows at once.
        day = self.cleaned_data["date"]
        validate_contact_date(day)
        return day

    def clean(self):
        data = super().clean()
        if "outcome" in data:
            try:
                validate_referral(data["outcome"], data.get("referred_to"), contact=self.contact)
            except ValidationError as error:
                add_service_errors(self, error)
        level = data.get("italian_level")
        if not level and (data.get("needs_job_italian") or data.get("work_sector")):
            self.add_error(
                "italian_level", _("Give the level of Italian when recording a language need.")
            )
        return data

    def language_need(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("italian_level"):
            return None
        return {
            "italian_level": data["italian_level"],
            "needs_job_italian": data.get("needs_job_italian", False),
            "work_sector": data.get("work_sector", ""),
        }

    def service_kwargs(self) -> dict:
        """The keyword arguments for contact_record / contact_update."""
        data = self.cleaned_data
        return {
            "desk": data["desk"],
            "date": data["date"],
            "services": list(data["services"]),
            "outcome": data["outcome"],
            "referred_to": data.get("referred_to"),
            "notes": data.get("notes", ""),
            "language_need": self.language_need(),
            **self.sharing_kwargs(),
        }


def initial_for(contact: Contact) -> dict:
    initial = {
        "desk": contact.desk_id,
        "date": contact.date,
        "services": list(contact.services.all()),
        "outcome": contact.outcome,
        "referred_to": contact.referred_to_id,
        "notes": contact.notes,
        "version": contact.version,
    }
    need = getattr(contact, "language_need", None) if contact.pk else None
    if need is not None:
        initial.update(
            italian_level=need.italian_level,
            needs_job_italian=need.needs_job_italian,
            work_sector=need.work_sector,
        )
    return initial


class RegisterFilterForm(StyledFormMixin, forms.Form):
    """Which desk and which day the daily register shows."""

    desk = forms.TypedChoiceField(label=_("Desk"), coerce=int)
    day = PlausibleDateField(label=_("Day"))

    def __init__(self, *args, desks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["desk"].choices = [(d.pk, str(d)) for d in desks]
        self.fields["desk"].widget.attrs["data-autosubmit"] = ""
        self.fields["day"].widget.attrs["data-autosubmit"] = ""
