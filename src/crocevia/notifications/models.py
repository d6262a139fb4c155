"""Notifications: what an operator is told, in the application and by e-mail.

A notification is one row per recipient. The in-app inbox reads every row; the e-mail
side of a row is a small state machine (`EmailState`) walked by the worker
(`delivery.py`): an immediate row is mailed alone, soon after the commit that created it;
a digest row waits for the daily digest. What a mail may say is decided in `delivery.py`:
the kind, the reference number and the link, never the title.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """What happened. Other apps name one of these when they call `services.notify`."""

    REFERRAL_RECEIVED = "referral_received", _("Referral received")
    REFERRAL_ANSWERED = "referral_answered", _("Referral answered")
    REFERRAL_OVERDUE = "referral_overdue", _("Referral awaiting an answer past its deadline")
    CASE_MANAGER_APPOINTED = "case_manager_appointed", _("Appointed case manager")
    TEAM_ADDED = "team_added", _("Added to a case team")
    PLAN_TO_VALIDATE = "plan_to_validate", _("Plan to validate")
    PLAN_RETURNED = "plan_returned", _("Plan returned with comments")
    REVIEW_OVERDUE = "review_overdue", _("Review overdue")
    SENT_BACK = "sent_back", _("Person sent back by the employment centre")


class EmailMode(models.TextChoices):
    """How an operator wants to hear of a kind by e-mail (the inbox shows them all)."""

    IMMEDIATE = "immediate", _("E-mail at once")
    DIGEST = "digest", _("Daily digest e-mail")
    NONE = "none", _("No e-mail (in the application only)")


DEFAULT_EMAIL_MODE = EmailMode.IMMEDIATE


class EmailState(models.TextChoices):
    NONE = "none", _("Not to be mailed")
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    # Shown in the application only, never mailed; it names no person either (the inbox
    # shows it without the case's access check): an organisation, a version, a day.
    title = models.CharField(_("title"), max_length=200, blank=True)
    # A path of this application (starting with a single "/"): the object to open.
    url = models.CharField(_("link"), max_length=500)
    # The case or referral number the object's page shows ("Caso n. 42").
    reference = models.CharField(_("reference"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("caused by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    email_mode = models.CharField(
        _("e-mail"), max_length=16, choices=EmailMode.choices, default=EmailMode.NONE
    )
    email_state = models.CharField(
        _("e-mail state"), max_length=16, choices=EmailState.choices, default=EmailState.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    # When the last attempt was claimed (a row left "sending" by a dead worker is retried).
    email_claimed_at = models.DateTimeField(_("e-mail attempt started"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    email_error = models.TextField(_("last e-mail error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The inbox (newest first) and the header's unread count.
            models.Index(fields=["recipient", "-created_at"], name="notif_inbox_idx"),
            models.Index(fields=["recipient", "read_at"], name="notif_unread_idx"),
            # The worker's and the digest's rows to send.
            models.Index(fields=["email_state", "email_mode"], name="notif_email_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """An operator's choice for one kind; without a row, DEFAULT_EMAIL_MODE."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("operator"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    email_mode = models.CharField(_("e-mail"), max_length=16, choices=EmailMode.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_one_per_kind")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()}: {self.get_email_mode_display()}"
