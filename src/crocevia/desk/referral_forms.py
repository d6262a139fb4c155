"""Input shape of the referral forms; the rules (consent, dates, who decides) live in
desk.referrals."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import PlausibleDateField, StyledFormMixin
from crocevia.network.models import Organisation


class ReferralSendForm(StyledFormMixin, forms.Form):
    """Send a person to another organisation of the network, with the reason."""

    from_organisation = forms.ModelChoiceField(
        label=_("Sent by"), queryset=None, empty_label=_("Choose an organisation")
    )
    to_organisation = forms.ModelChoiceField(
        label=_("Send to"),
        queryset=None,
        empty_label=_("Choose an organisation"),
        help_text=_("The organisation of the network that should take the person in."),
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
            # One organisation of mine: preselect it and do not offer it as the receiver.
            self.fields["from_organisation"].initial = sender_list[0].pk
            receivers = receivers.exclude(pk=sender_list[0].pk)
        self.fields["to_organisation"].queryset = receivers
        self.fields["sent_on"].initial = timezone.localdate

    def service_kwargs(self) -> dict:
        """The keyword arguments for referral_send (besides actor and person)."""
        data = self.cleaned_data
        return {
            "from_organisation": data["from_organisation"],
            "to_organisation": data["to_organisation"],
            "sent_on": data["sent_on"],
            "reason": data["reason"],
        }


class ReferralDecideForm(StyledFormMixin, forms.Form):
    """The receiver's decision: accept, or refuse with a note saying why."""

    ACCEPT = "accept"
    REFUSE = "refuse"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(ACCEPT, _("Accept")), (REFUSE, _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to accept or refuse.")},
    )
    decided_on = PlausibleDateField(label=_("Decided on"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when refusing: say why, so the sender can help the person."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REFUSE and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the referral is refused."))
        return data

    @property
    def accepts(self) -> bool:
        return self.cleaned_data["decision"] == self.ACCEPT
