"""The catalogue of interventions and the interventions activated in plans."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from crocevia.network.models import Organisation

# The catalogue's parenting-support kinds (LEP "first 1,000 days": INDICATORS.md,
# lep.first_1000_days_parenting): "Sostegno alla genitorialità e mediazione familiare".
PARENTING_SUPPORT_TYPES = ("mediazione-familiare",)


class InterventionType(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    provider_kind = models.CharField(
        _("provider kind"),
        max_length=20,
        choices=Organisation.Kind.choices,
        help_text=_("The kind of organisation that usually provides it."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("intervention type")
        verbose_name_plural = _("intervention types")

    def __str__(self):
        return self.name


class Intervention(models.Model):
    AUDIT_SENSITIVE_FIELDS = ("notes",)

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("In progress")
        COMPLETED = "completed", _("Completed")
        INTERRUPTED = "interrupted", _("Interrupted")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="interventions", verbose_name=_("case")
    )
    type = models.ForeignKey(
        InterventionType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type")
    )
    provider = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="interventions_provided",
        verbose_name=_("provider"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    hours = models.DecimalField(
        _("hours"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    cost = models.DecimalField(
        _("cost (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "What the intervention costs the budget action paying for it: committed while "
            "it is planned or in progress, spent once it ends."
        ),
    )
    # The budget action paying for it (programmes, above us: named by string, its rules
    # reached through interventions.hooks). Empty: paid from ordinary funds.
    funding_action = models.ForeignKey(
        "programmes.BudgetAction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("budget action paying for it"),
    )
    # The free text recorded before interventions were paid by budget actions, kept when
    # the migration could not match it to one action (0004, 0005).
    funding_legacy = models.CharField(
        _("funding (old free text)"), max_length=120, blank=True, editable=False
    )
    over_budget_justification = models.TextField(_("over-budget justification"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="intervention_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.type} – {self.provider}"
