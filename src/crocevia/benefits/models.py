"""A household's income-support application (REI, then RdC, then ADI) and its INPS outcome.

An accepted application must be pre-assessed: the case opened from it carries the INPS
outcome date as its `benefit_outcome_on` milestone (INDICATORS.md, benefit.*).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Measure(models.TextChoices):
    # The codes are the interchange format's (INTERCHANGE.md); the names are proper
    # names of Italian measures, kept as they are in every language.
    REI = "REI", _("REI – Reddito di inclusione")
    RDC = "RDC", _("RdC – Reddito di cittadinanza")
    ADI = "ADI", _("ADI – Assegno di inclusione")
    OTHER = "other", _("Other measure")


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    LAPSED = "lapsed", _("Lapsed")
    SUSPENDED = "suspended", _("Suspended")
    PROCESSING = "processing", _("Being processed")
    REJECTED = "rejected", _("Rejected")


class BenefitApplication(models.Model):
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
        ]
        indexes = [
            # benefit.households_accepted: accepted with outcome_on in the period.
            models.Index(fields=["status", "outcome_on"], name="benefit_status_outcome_idx"),
            # benefit.applications_by_comune: per Comune, submitted on or before `to`.
            models.Index(fields=["comune", "submitted_on"], name="benefit_comune_submitted_idx"),
        ]

    def __str__(self):
        return f"{self.get_measure_display()} {self.external_id}"
