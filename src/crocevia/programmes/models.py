"""Programmes that fund the network's work: budget actions, expenditures and targets."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


def quarters_between(start: datetime.date, end: datetime.date) -> list[str]:
    """Every quarter touched by [start, end], in order."""
    quarters = []
    year, q = start.year, (start.month - 1) // 3 + 1
    last = (end.year, (end.month - 1) // 3 + 1)
    while (year, q) <= last:
        quarters.append(f"{year}-Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return quarters


class Fund(models.TextChoices):
    FAMI = "fami", _("FAMI (Asylum, Migration and Integration Fund)")
    PON_INCLUSIONE = "pon_inclusione", _("PON Inclusione")
    POVERTY_FUND = "poverty_fund", _("Poverty Fund, services quota")
    INCOME_SUPPORT = "income_support", _("REI / RdC / ADI")
    POR_FSE = "por_fse", _("POR FSE")
    OTHER = "other", _("Other")


class Programme(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    fund = models.CharField(_("fund"), max_length=20, choices=Fund.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    lead_organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="led_programmes",
        verbose_name=_("lead organisation"),
    )
    organisations = models.ManyToManyField(
        "network.Organisation",
        through="Participation",
        related_name="programmes",
        verbose_name=_("participating organisations"),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="programme_end_after_start"
            )
        ]

    def __str__(self):
        return f"{self.code} – {self.name}"

    def contains(self, day: datetime.date) -> bool:
        return self.start_date <= day <= self.end_date

    @property
    def quarters(self) -> list[str]:
        return quarters_between(self.start_date, self.end_date)


class Participation(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        PARTNER = "partner", _("Partner")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="participations"
    )
    organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="programme_participations",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.PARTNER)

    class Meta:
        ordering = ["role", "organisation__name"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organisation"], name="unique_programme_participation"
            )
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_role_display()})"


class BudgetAction(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="actions", verbose_name=_("programme")
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    responsible_organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="budget_actions",
        verbose_name=_("responsible organisation"),
    )
    amount = models.DecimalField(_("budget (€)"), **MONEY)
    priority_code = models.CharField(
        _("funding priority code"), max_length=20, blank=True, help_text=_("e.g. A.1.c.2")
    )
    # Quarters such as "2019-Q3", each inside the programme's period (the cronoprogramma).
    planned_quarters = models.JSONField(_("planned quarters"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["programme", "position", "code"]
        verbose_name = _("budget action")
        verbose_name_plural = _("budget actions")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="unique_action_code"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="action_amount_positive"),
        ]

    def __str__(self):
        return f"{self.code} – {self.title}"


class Expenditure(models.Model):
    action = models.ForeignKey(
        BudgetAction,
        on_delete=models.PROTECT,
        related_name="expenditures",
        verbose_name=_("budget action"),
    )
    spent_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (€)"), **MONEY)
    description = models.CharField(_("description"), max_length=300)
    document_reference = models.CharField(
        _("supporting document"),
        max_length=200,
        blank=True,
        help_text=_("Invoice, payment order or decree number."),
    )
    over_budget_justification = models.TextField(_("over-budget justification"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["spent_on", "id"]
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expenditure_amount_positive")
        ]

    def __str__(self):
        return f"{self.action.code} {self.spent_on} {self.amount}"


class Target(models.Model):
    class Indicator(models.TextChoices):
        TAKEN_IN_CHARGE = "cases.taken_in_charge", _("Persons taken in charge")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="targets", verbose_name=_("programme")
    )
    organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="programme_targets",
        verbose_name=_("organisation"),
    )
    indicator = models.CharField(
        _("indicator"), max_length=40, choices=Indicator.choices, default=Indicator.TAKEN_IN_CHARGE
    )
    target_number = models.PositiveIntegerField(_("target"))

    class Meta:
        ordering = ["programme", "organisation__name"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organisation", "indicator"], name="unique_programme_target"
            ),
            models.CheckConstraint(condition=Q(target_number__gt=0), name="target_positive"),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.target_number}"


class Enrolment(models.Model):
    """A case counted toward a programme (a case may be enrolled in several)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("programme")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="programme_enrolments",
        verbose_name=_("case"),
    )
    enrolled_on = models.DateField(_("enrolled on"))
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["programme", "case"], name="unique_programme_case")
        ]

    def __str__(self):
        return f"{self.programme_id}: {self.case_id}"
