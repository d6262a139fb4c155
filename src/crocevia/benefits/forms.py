"""The forms of the income-support pages: the list's filters (GET), INPS's outcome, the
follow-up, opening the case, an application recorded by hand. Their rules are the
services' (benefits.services, benefits.opening); these give them shape."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crocevia.core.forms import DateInput, PlausibleDateField, StyledFormMixin
from crocevia.people.forms import SharingFieldsMixin

from .access import case_organisations_for
from .models import BenefitApplication, Measure, OutcomeReason, Status


class ApplicationFilterForm(StyledFormMixin, forms.Form):
    """The list's filters, in the query string (Italian names, as the other lists')."""

    comune = forms.ModelChoiceField(
        label=_("Comune"), queryset=None, required=False, empty_label=_("Every Comune")
    )
    misura = forms.ChoiceField(label=_("Measure"), required=False)
    stato = forms.ChoiceField(label=_("Status"), required=False)
    dal = PlausibleDateField(label=_("Submitted from"), required=False)
    al = PlausibleDateField(label=_("Submitted up to"), required=False)
    da_affiancare = forms.BooleanField(label=_("To follow up only"), required=False)

    def __init__(self, *args, comuni, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comune"].queryset = comuni
        self.fields["misura"].choices = [("", _("Every measure")), *Measure.choices]
        self.fields["stato"].choices = [("", _("Every status")), *Status.choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("dal"), data.get("al")
        if start and end and start > end:
            self.add_error("al", _("The end of the period comes before its start."))
        return data

    def filters(self) -> dict:
        """The filters for selectors.applications_listed; none when the form is invalid
        (its errors show beside the fields)."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "comune": data["comune"],
            "measure": data["misura"],
            "status": data["stato"],
            "submitted_from": data["dal"],
            "submitted_to": data["al"],
            "to_follow_up": data["da_affiancare"],
        }


class OutcomeForm(StyledFormMixin, forms.Form):
    """INPS's outcome: the service says what each status needs (benefit_application_
    record_outcome)."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    outcome_on = PlausibleDateField(
        label=_("Outcome date"),
        required=False,
        help_text=_("Empty while the application is being processed."),
    )
    outcome_reason = forms.ChoiceField(
        label=_("Reason given by INPS"),
        required=False,
        help_text=_("For a lapsed or revoked, suspended or rejected application."),
    )
    outcome_note = forms.CharField(
        label=_("Note on the outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the reason is “Other reason”."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome_reason"].choices = [
            ("", pgettext_lazy("outcome reason", "None")),
            *OutcomeReason.choices,
        ]

    @classmethod
    def for_application(cls, application: BenefitApplication) -> "OutcomeForm":
        return cls(
            initial={
                "status": application.status,
                "outcome_on": application.outcome_on,
                "outcome_reason": application.outcome_reason,
                "outcome_note": application.outcome_note,
                "version": application.version,
            }
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "outcome_on": data["outcome_on"],
            "reason": data["outcome_reason"],
            "note": data["outcome_note"],
            "expected_version": data["version"],
        }


class FollowUpForm(StyledFormMixin, forms.Form):
    on = PlausibleDateField(label=_("Followed up on"))
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "How the household was met or called, what was explained of the reason, what "
            "they will do (a new DSU, a new application, an appeal…)."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"on": data["on"], "note": data["note"], "expected_version": data["version"]}


class OpenCaseForm(SharingFieldsMixin, StyledFormMixin, forms.Form):
    """The organisation that opens the case, the referral, and the basis on which the case
    team shares the applicant's data (people.forms.SharingFieldsMixin, as cases:open_direct
    asks it)."""

    field_order = ["organisation", "referred_on"]

    organisation = forms.ModelChoiceField(
        label=_("Organisation that takes the household in charge"), queryset=None
    )
    referred_on = PlausibleDateField(
        label=_("Referred on"),
        required=False,
        help_text=_(
            "The day the household was referred, between the submission and the INPS "
            "outcome; empty: the submission date."
        ),
    )

    def __init__(self, *args, organisations, single=None, **kwargs):
        """`organisations`: a queryset; `single`: its only organisation when it has one
        (chosen already)."""
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = organisations
        if single is not None:
            field.initial = single.pk
            field.empty_label = None

    @classmethod
    def for_organisations(cls, user, application, organisations: list) -> "OpenCaseForm":
        """The blank form for the organisations (read already) where `user` may open the
        case of `application`."""
        return cls(
            organisations=case_organisations_for(user, application),
            single=organisations[0] if len(organisations) == 1 else None,
        )


class ApplicationForm(StyledFormMixin, forms.Form):
    """An application recorded by hand: the applicant and their household are the page's
    (the person it was opened from)."""

    comune = forms.ModelChoiceField(label=_("Comune"), queryset=None)
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices, initial=Measure.ADI)
    submitted_on = PlausibleDateField(label=_("Application date"), widget=DateInput())
    external_id = forms.CharField(
        label=_("INPS application id"),
        required=False,
        max_length=64,
        help_text=_(
            "The application's protocol number, as INPS gives it. Empty: Crocevia gives the "
            "application an id of its own."
        ),
    )

    def __init__(self, *args, comuni, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comune"].queryset = comuni
