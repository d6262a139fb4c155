"""Input shape of the referral forms; the rules (sharing basis, dates, who answers) live
in desk.referrals and people.sharing."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import PlausibleDateField, StyledFormMixin
from crocevia.network.models import Organisation
from crocevia.people.forms import SharingFieldsMixin

from .models import Referral


class ReferralSendForm(SharingFieldsMixin, StyledFormMixin, forms.Form):
    """Send a person to another organisation of the network, with the reason."""

    field_order = [
        "from_organisation",
        "to_organisation",
        "to_service",
        "sent_on",
        "reason",
        "sharing_basis",
        "consent_now",
        "sharing_note",
    ]

    from_organisation = forms.ModelChoiceField(
        label=_("Sent by"), queryset=None, empty_label=_("Choose an organisation")
    )
    to_organisation = forms.ModelChoiceField(
        label=_("Send to"),
        queryset=None,
        empty_label=_("Choose an organisation"),
        help_text=_("The organisation of the network that should take the person in."),
    )
    to_service = forms.CharField(
        label=_("Service or office"),
        max_length=120,
        required=False,
        help_text=_("Optional: the service of the organisation (e.g. the job orientation office)."),
    )
    sent_on = PlausibleDateField(label=_("Sent on"))
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the person needs and why you are sending them."),
    )

    def __init__(self, *args, senders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_organisation"].queryset = senders
        receivers = Organisation.objects.order_by("name")
        sender_list = list(senders[:2])
        if len(sender_list) == 1:
            self.fields["from_organisation"].initial = sender_list[0].pk
        self.fields["to_organisation"].queryset = receivers
        self.fields["sent_on"].initial = timezone.localdate

    def service_kwargs(self) -> dict:
        """The keyword arguments for referral_send (besides actor and person)."""
        data = self.cleaned_data
        return {
            "from_organisation": data["from_organisation"],
            "to_organisation": data["to_organisation"],
            "to_service": data["to_service"],
            "sent_on": data["sent_on"],
            "reason": data["reason"],
            **self.sharing_kwargs(),
        }


class _NoteFormMixin(StyledFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate


class ReferralAnswerForm(_NoteFormMixin):
    """The receiver's answer: accept, or decline saying why."""

    ACCEPT = "accept"
    DECLINE = "decline"

    decision = forms.ChoiceField(
        label=_("Answer"),
        choices=[(ACCEPT, _("Accept")), (DECLINE, _("Decline"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to accept or decline.")},
    )
    on = PlausibleDateField(label=_("Answered on"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when declining: say why, so the sender can help the person."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.DECLINE and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the referral is declined."))
        return data

    @property
    def accepts(self) -> bool:
        return self.cleaned_data["decision"] == self.ACCEPT


class ReferralCompleteForm(_NoteFormMixin):
    """The receiver closes an accepted referral with what was done."""

    on = PlausibleDateField(label=_("Completed on"))
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what was done for the person.")},
    )


class ReferralWithdrawForm(_NoteFormMixin):
    """The sender withdraws an open referral, saying why."""

    on = PlausibleDateField(label=_("Withdrawn on"))
    note = forms.CharField(
        label=_("Why is it withdrawn?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the referral is withdrawn.")},
    )


class ReferralQueueForm(StyledFormMixin, forms.Form):
    """The filters and the order of a referral queue (GET)."""

    state = forms.ChoiceField(required=False)
    overdue = forms.BooleanField(required=False)
    order = forms.ChoiceField(
        required=False,
        choices=[
            ("priority", _("Waiting first, oldest on top")),
            ("oldest", _("Oldest first")),
            ("newest", _("Newest first")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), *Referral.State.choices]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "state": data["state"],
            "overdue": data["overdue"],
            "order": data["order"] or "priority",
        }
