"""Meetings of a zone (team, coordination group, steering committee) and the cases they
discussed, each with its own minutes.

The tables are those the models had when they lived in `cases` (cases_meeting,
cases_meetingitem, cases_meeting_attendees): moving the models changed no data.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Meeting(models.Model):
    """A team, coordination-group or steering-committee meeting.

    What is said about a person is case data: it lives in the meeting's items
    (MeetingItem, one per case discussed), shown only to who may see that case. `notes`
    are the general notes, never about a person. `restricted_minutes` and
    `restricted_decisions` hold text written before the items existed, about several
    cases or none: shown only to who may change the meeting and see every case discussed
    (migration meeting_items_per_case), until an editor moves it into the items.
    """

    # Free text that may be about a person: the audit records that it changed, never its
    # value (issue 15, item 2; the keys of the per-case events included).
    AUDIT_SENSITIVE_FIELDS = (
        "notes",
        "restricted_minutes",
        "restricted_decisions",
        "minutes",
        "decisions",
    )

    class Kind(models.TextChoices):
        TEAM = "team", _("Team meeting")
        COORDINATION = "coordination", _("Coordination group")
        STEERING = "steering", _("Steering committee")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_on = models.DateField(_("date"))
    zone = models.ForeignKey(
        "network.Zone", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("zone")
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="meetings", verbose_name=_("attendees")
    )
    cases = models.ManyToManyField(
        "cases.Case",
        blank=True,
        through="MeetingItem",
        related_name="meetings",
        verbose_name=_("cases discussed"),
    )
    notes = models.TextField(_("general notes"), blank=True)
    restricted_minutes = models.TextField(_("earlier minutes (restricted)"), blank=True)
    restricted_decisions = models.TextField(_("earlier decisions (restricted)"), blank=True)
    # Raised by every saved change: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        db_table = "cases_meeting"

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on:%d/%m/%Y}"

    @property
    def has_restricted_text(self) -> bool:
        return bool(self.restricted_minutes.strip() or self.restricted_decisions.strip())


class MeetingItem(models.Model):
    """One case discussed at a meeting, with what was said and decided about it."""

    AUDIT_SENSITIVE_FIELDS = ("minutes", "decisions")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="meeting_items")
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)

    class Meta:
        ordering = ["case_id"]
        verbose_name = _("case discussed at a meeting")
        verbose_name_plural = _("cases discussed at meetings")
        db_table = "cases_meetingitem"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="meeting_item_unique_case")
        ]

    def __str__(self):
        return f"{self.meeting} – {self.case_id}"

    @property
    def has_text(self) -> bool:
        return bool(self.minutes.strip() or self.decisions.strip())
