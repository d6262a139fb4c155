"""A household's income-support application (REI, then RdC, then ADI), its INPS outcome
and the follow-up of a negative one.

An accepted application must be pre-assessed: the case opened from it carries the INPS
outcome date as its `benefit_outcome_on` milestone (INDICATORS.md, benefit.*). A lapsed
(revoked), suspended or rejected one carries the reason INPS gave, from a closed list,
and waits for the social services to stand beside the household on it (seed 002, §4.1):
a FollowUp answers that outcome.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# An application recorded by hand without its INPS id gets this prefix and its own id,
# the key the interchange gives such a row (interchange.kinds.benefit_applications).
GENERATED_ID_PREFIX = "crocevia-application-"


class Measure(models.TextChoices):
    # The codes are the interchange format's (INTERCHANGE.md); the names are proper
    # names of Italian measures, kept as they are in every language.
    REI = "REI", _("REI – Reddito di inclusione")
    RDC = "RDC", _("RdC – Reddito di cittadinanza")
    ADI = "ADI", _("ADI – Assegno di inclusione")
    OTHER = "other", _("Other measure")


class Status(models.TextChoices):
    # The codes are the interchange format's and the indicators' (a public contract). The
    # labels name an application (Italian: "domanda", feminine), hence their context.
    # "lapsed" is INPS's decadenza and revoca alike.
    ACCEPTED = "accepted", pgettext_lazy("benefit application", "Accepted")
    LAPSED = "lapsed", pgettext_lazy("benefit application", "Lapsed or revoked")
    SUSPENDED = "suspended", pgettext_lazy("benefit application", "Suspended")
    PROCESSING = "processing", pgettext_lazy("benefit application", "Being processed")
    REJECTED = "rejected", pgettext_lazy("benefit application", "Rejected")


# The outcomes the social services stand beside the household on (seed 002, §4.1): each
# carries its reason, and waits for its follow-up.
NEGATIVE_STATUSES = (Status.LAPSED, Status.SUSPENDED, Status.REJECTED)


class OutcomeReason(models.TextChoices):
    """Why INPS revoked, suspended or rejected an application: the grounds of the ADI's
    rules (D.L. 48/2023 and its decree), which the RdC's mostly shared."""

    INCOME = "income_above_threshold", _("Income or ISEE above the threshold")
    ASSETS = "assets_above_threshold", _("Real-estate or financial assets above the threshold")
    VEHICLES = "vehicles", _("Cars, motorbikes or boats beyond the limits")
    RESIDENCE = "residence", _("Residence or citizenship requirement not met")
    HOUSEHOLD = (
        "household_conditions",
        _(
            "No member of the household in a required condition (minor, disabled, aged 60 or "
            "over, in a care programme)"
        ),
    )
    DSU = "dsu", _("DSU incomplete, inconsistent or expired")
    ACTIVATION = (
        "activation",
        _(
            "Activation duties not met (pact not signed, appointments missed, no SIISL "
            "registration)"
        ),
    )
    JOB_REFUSED = "job_refused", _("Suitable job offer refused")
    CHANGE_NOT_REPORTED = (
        "change_not_reported",
        _("Change in household, income or assets not reported"),
    )
    INCOMPATIBLE = (
        "incompatible",
        _("Incompatible condition (custodial measure, voluntary resignation)"),
    )
    OTHER = "other", _("Other reason (described in the note)")


class BenefitApplication(models.Model):
    # The note on INPS's outcome is free text about the household; the follow-up's note
    # is written into the application's events (benefit_application_follow_up).
    AUDIT_SENSITIVE_FIELDS = ("outcome_note", "follow_up_note")

    external_id = models.CharField(_("application id"), max_length=64, unique=True)
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="benefit_applications",
        verbose_name=_("household"),
    )
    applicant = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="benefit_applications",
        verbose_name=_("applicant"),
    )
    comune = models.ForeignKey(
        "network.Comune",
        on_delete=models.PROTECT,
        related_name="benefit_applications",
        verbose_name=_("Comune"),
    )
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    submitted_on = models.DateField(_("submitted on"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    outcome_on = models.DateField(_("INPS outcome on"), null=True, blank=True)
    # Recorded on the application's page (the import's columns do not carry them): a
    # status change the import brings clears them (benefits.services).
    outcome_reason = models.CharField(
        _("reason for the outcome"), max_length=30, choices=OutcomeReason.choices, blank=True
    )
    outcome_note = models.TextField(_("note on the outcome"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic locking: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-submitted_on", "-id"]
        verbose_name = _("income-support application")
        verbose_name_plural = _("income-support applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome_on__isnull=True) | Q(outcome_on__gte=F("submitted_on")),
                name="benefit_outcome_not_before_submission",
                violation_error_message=_(
                    "The INPS outcome date cannot be before the submission date."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(outcome_on__isnull=False),
                name="benefit_accepted_has_outcome_date",
                violation_error_message=_("An accepted application has an INPS outcome date."),
            ),
            models.CheckConstraint(
                condition=Q(outcome_reason="") | Q(status__in=[s.value for s in NEGATIVE_STATUSES]),
                name="benefit_reason_only_for_negative_outcome",
                violation_error_message=_(
                    "Only a lapsed, suspended or rejected application has a reason."
                ),
            ),
        ]
        indexes = [
            # benefit.households_accepted: accepted with outcome_on in the period.
            models.Index(fields=["status", "outcome_on"], name="benefit_status_outcome_idx"),
            # benefit.applications_by_comune: per Comune, submitted on or before `to`.
            models.Index(fields=["comune", "submitted_on"], name="benefit_comune_submitted_idx"),
        ]

    def __str__(self):
        return f"{self.get_measure_display()} {self.external_id}"

    @property
    def is_negative(self) -> bool:
        return self.status in NEGATIVE_STATUSES

    @property
    def has_generated_id(self) -> bool:
        """Recorded by hand without the INPS id: the id is ours."""
        return self.external_id.startswith(GENERATED_ID_PREFIX)


class FollowUp(models.Model):
    """The social services stood beside the household on a negative outcome: met or
    called them, explained the reason, helped them act on it. It answers the outcome the
    application had then (`status`, `outcome_on`): a new outcome waits for its own."""

    AUDIT_SENSITIVE_FIELDS = ("note",)

    application = models.ForeignKey(
        BenefitApplication,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("income-support application"),
    )
    status = models.CharField(_("outcome followed up"), max_length=20, choices=Status.choices)
    outcome_on = models.DateField(_("INPS outcome on"), null=True, blank=True)
    on = models.DateField(_("followed up on"))
    note = models.TextField(_("what was done"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("follow-up of an outcome")
        verbose_name_plural = _("follow-ups of outcomes")
        indexes = [
            models.Index(fields=["application", "status"], name="benefit_followup_app_idx"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.status} {self.on}"
