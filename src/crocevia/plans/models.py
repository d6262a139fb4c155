"""The personalised plan (PAP / pact) and its versions.

A plan has versions; the latest unsigned version is the draft being edited. Recording
the signature date freezes that version; a later change copies it into a new draft, and
earlier versions stay readable.

An inclusion project (a complex case's plan) is validated by the coordination group
before it is signed (seed 004: the group "validates the plans, ensuring equal offers for
equal needs"): the case manager submits the draft, the group validates it or returns it
with comments. Each version carries its state (ValidationStatus); ValidationEvent keeps
every step. A change to a submitted or validated draft's content sends it back to be
submitted again, so the version the person signs is the version validated.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crocevia.assessments.models import Dimension
from crocevia.cases.models import PlanKind


class ValidationStatus(models.TextChoices):
    """Where a plan version stands with the coordination group."""

    DRAFT = "draft", _("Not submitted for validation")
    SUBMITTED = "submitted", _("Submitted for validation")
    RETURNED = "returned", _("Returned with comments")
    VALIDATED = "validated", _("Validated")


class Plan(models.Model):
    # The comments of a submission, a validation or a return: free text about the person.
    AUDIT_SENSITIVE_FIELDS = ("validation_comments",)

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="plan", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PlanKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return f"{self.get_kind_display()} – {self.case}"

    @property
    def requires_validation(self) -> bool:
        """The coordination group validates the plans of the complex cases, whose teams it
        composed (PATHWAY.md, 3 and 4); a service pact (the CPI's) and a social project (the
        social service's) are signed without it."""
        return self.kind == PlanKind.INCLUSION_PROJECT


class PlanVersion(models.Model):
    # "objectives", "actions": their texts, as the trail records a version's content.
    AUDIT_SENSITIVE_FIELDS = (
        "person_commitments",
        "service_commitments",
        "notes",
        "objectives",
        "actions",
    )

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    person_commitments = models.TextField(_("commitments of the person"), blank=True)
    service_commitments = models.TextField(_("commitments of the services"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_by_operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("signed by")
    )
    validation_status = models.CharField(
        _("validation"),
        max_length=10,
        choices=ValidationStatus.choices,
        default=ValidationStatus.DRAFT,
    )
    validated_on = models.DateField(_("validated on"), null=True, blank=True)
    # Empty on a version validated before validations were recorded (signed earlier).
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validated by"),
    )
    # Optimistic locking: the second of two concurrent saves is refused.
    revision = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_version")
        ]

    def __str__(self):
        return _("Version %(n)s") % {"n": self.number}

    @property
    def is_frozen(self) -> bool:
        return self.signed_on is not None

    @property
    def is_validated(self) -> bool:
        return self.validation_status == ValidationStatus.VALIDATED


class ValidationEvent(models.Model):
    """One step of a version's validation, kept for its history: a submission, a
    validation, a return with comments, or a change that reopened it."""

    AUDIT_SENSITIVE_FIELDS = ("comments",)

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for validation")
        VALIDATED = "validated", _("Validated")
        RETURNED = "returned", _("Returned with comments")
        REOPENED = "reopened", _("Changed after submission: to be submitted again")

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="validation_events"
    )
    kind = models.CharField(_("step"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("on"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    comments = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("validation step")
        verbose_name_plural = _("validation steps")

    def __str__(self):
        return f"{self.get_kind_display()} {self.on:%d/%m/%Y}"


class Objective(models.Model):
    AUDIT_SENSITIVE_FIELDS = ("text",)

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="objectives")
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    text = models.TextField(_("objective"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self):
        return self.text[:60]


class Action(models.Model):
    AUDIT_SENSITIVE_FIELDS = ("description",)

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="actions")
    objective = models.ForeignKey(
        Objective,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("objective"),
    )
    description = models.TextField(_("action"))
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible operator"),
    )
    responsible_organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible organisation"),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # The meeting whose decision this action comes from (plans.services, from a meeting).
    from_meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_actions",
        verbose_name=_("from the meeting"),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self):
        return self.description[:60]
