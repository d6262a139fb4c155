"""Forms of the case pages: the input's shape; the rules live in services and workflow."""

from itertools import groupby

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.accounts.models import Membership, Profile
from crocevia.core.forms import PlausibleDateField, StyledFormMixin
from crocevia.people.forms import SharingFieldsMixin

from .models import Outcome, Priority, Review


def network_memberships():
    """Every active membership of the network, for the team selects (one query)."""
    return (
        Membership.objects.filter(active=True, user__is_active=True)
        .exclude(profile=Profile.MONITORING_OFFICER)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__first_name", "pk")
    )


def membership_choices(memberships) -> list:
    """Operators grouped by organisation: "Rossi Anna (Social worker)"."""
    choices: list = [("", _("Choose an operator"))]
    # Each profile's name translated once, not once per operator (a region has hundreds).
    profiles = {value: str(label) for value, label in Profile.choices}
    for organisation, rows in groupby(memberships, key=lambda m: m.organisation):
        choices.append(
            (
                organisation.name,
                [(str(m.pk), f"{m.user} ({profiles.get(m.profile, m.profile)})") for m in rows],
            )
        )
    return choices


class MembershipChoiceField(forms.TypedChoiceField):
    """`choices`: membership_choices(memberships) when the caller has them already (the
    case page draws two such selects from the same list)."""

    def __init__(self, *, memberships, choices=None, **kwargs):
        self.memberships = {m.pk: m for m in memberships}
        if choices is None:
            choices = membership_choices(self.memberships.values())
        super().__init__(choices=choices, coerce=int, **kwargs)

    def clean(self, value):
        pk = super().clean(value)
        return self.memberships[pk] if pk not in (None, "") else None


def _today():
    return timezone.localdate()


class OpenSharingForm(SharingFieldsMixin, StyledFormMixin, forms.Form):
    """Opening a case from a desk contact: the basis on which its team will share."""


class OpenDirectForm(SharingFieldsMixin, StyledFormMixin, forms.Form):
    field_order = ["organisation", "referred_on"]

    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    referred_on = PlausibleDateField(label=_("Referred on"), initial=_today)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        only = list(organisations[:2])
        if len(only) == 1:
            self.fields["organisation"].initial = only[0].pk


class MemberForm(StyledFormMixin, forms.Form):
    membership = MembershipChoiceField(label=_("Operator"), memberships=[])
    on = PlausibleDateField(label=_("Joins on"), initial=_today)

    def __init__(self, *args, memberships, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"] = MembershipChoiceField(
            label=_("Operator"),
            memberships=memberships,
            choices=choices,
            help_text=_("Any operator of the network, grouped by organisation."),
        )
        self.fields["membership"].widget.attrs["class"] = "form-select"
        self.fields["membership"].widget.attrs["aria-describedby"] = "membership-help"


class ManagerForm(StyledFormMixin, forms.Form):
    manager = MembershipChoiceField(label=_("Case manager"), memberships=[])

    def __init__(self, *args, memberships, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"] = MembershipChoiceField(
            label=_("Case manager"), memberships=memberships, choices=choices
        )
        self.fields["manager"].widget.attrs["class"] = "form-select"


class DayForm(StyledFormMixin, forms.Form):
    """One date (team formed on, member removed on)."""

    on = PlausibleDateField(label=_("Date"), initial=_today)


OPEN_ITEMS_REASON_REQUIRED = _(
    "This case still has open items (listed above): deal with them first, or write why the "
    "case closes anyway."
)


class PriorityForm(StyledFormMixin, forms.Form):
    """The access priority of a waiting case (cases.services.case_set_priority)."""

    priority = forms.TypedChoiceField(
        label=_("Access priority"), choices=Priority.choices, coerce=int
    )
    note = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CloseForm(StyledFormMixin, forms.Form):
    closed_on = PlausibleDateField(label=_("Closed on"), initial=_today)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose the outcome"))] + list(Outcome.choices),
        error_messages={"required": _("Choose the outcome of the case to close it.")},
    )
    closing_note = forms.CharField(
        label=_("Closing note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    open_items_reason = forms.CharField(
        label=_("Why the case closes with open items"),
        required=False,
        error_messages={"required": OPEN_ITEMS_REASON_REQUIRED},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required while something above is still open: it is kept on the case and in "
            "its history."
        ),
    )

    def __init__(self, *args, open_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["aria-required"] = "true"
        if open_items:
            # Required by the service (services.closure); marked for the eye and the ear.
            self.fields["open_items_reason"].required = True
            self.fields["open_items_reason"].widget.attrs["aria-required"] = "true"


class ReviewScheduleForm(StyledFormMixin, forms.Form):
    scheduled_on = PlausibleDateField(label=_("Review on"), allow_future=True)
    kind = forms.ChoiceField(
        label=_("Kind of review"), choices=Review.Kind.choices, initial="in_itinere"
    )


class ReviewRecordForm(StyledFormMixin, forms.Form):
    review = forms.ModelChoiceField(
        label=_("Review"), queryset=Review.objects.none(), empty_label=None
    )
    held_on = PlausibleDateField(label=_("Held on"))
    notes = forms.CharField(
        label=_("What the review found"), widget=forms.Textarea(attrs={"rows": 3})
    )
    next_on = PlausibleDateField(
        label=_("Next review on"),
        required=False,
        allow_future=True,
        help_text=_("Leave empty if no further review is planned."),
    )

    def __init__(self, *args, case=None, pending=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pending is not None:
            # The case page passes the pending reviews it already loaded (no extra query).
            self.fields["review"].queryset = Review.objects.filter(pk__in=[r.pk for r in pending])
            self.fields["review"].choices = [(r.pk, str(r)) for r in pending]
        elif case is not None:
            self.fields["review"].queryset = case.reviews.filter(held_on__isnull=True)
        self.fields["held_on"].initial = timezone.localdate()


class SendBackForm(StyledFormMixin, forms.Form):
    """The employment centre's return of a person whose pact was not kept."""

    on = PlausibleDateField(label=_("Sent back on"), initial=_today)
    reason = forms.CharField(
        label=_("What was not kept"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Which commitments of the service pact the person did not keep."),
        error_messages={"required": _("Say what was not kept.")},
    )
