"""Intake section A (pre-assessment) and section B (multidimensional assessment)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from crocevia.cases.models import NeedClass
from crocevia.desk.models import ItalianLevel


class Dimension(models.TextChoices):
    WORK = "work", _("Work")
    TRAINING = "training", _("Training")
    ITALIAN = "italian", _("Italian language")
    HOUSING = "housing", _("Housing")
    HEALTH = "health", _("Health")
    FAMILY = "family", _("Family and network")
    INCOME = "income", _("Income")
    LEGAL = "legal", _("Legal status")


class Housing(models.TextChoices):
    OWNED = "owned", _("Owned")
    RENTED = "rented", _("Rented")
    SOCIAL = "social", _("Social housing")
    GUEST = "guest", _("Guest of relatives or friends")
    RECEPTION = "reception", _("Reception centre")
    PRECARIOUS = "precarious", _("Precarious or none")


class Intake(models.Model):
    """Section A of the intake form, filled by the mini-team (social worker + CPI)."""

    # Free text about the person (health, legal, family): the trail says it changed.
    AUDIT_SENSITIVE_FIELDS = (
        "household_composition",
        "income_and_benefits",
        "work_history",
        "skills",
        "housing_notes",
        "health_declared",
        "legal_status",
        "services_involved",
    )

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="intake", verbose_name=_("case")
    )
    household_composition = models.TextField(_("household composition"), blank=True)
    income_and_benefits = models.TextField(_("income and benefits"), blank=True)
    work_history = models.TextField(_("work history"), blank=True)
    skills = models.TextField(_("skills and qualifications"), blank=True)
    italian_level = models.CharField(
        _("Italian level"), max_length=10, choices=ItalianLevel.choices, blank=True
    )
    housing = models.CharField(_("housing"), max_length=20, choices=Housing.choices, blank=True)
    housing_notes = models.TextField(_("housing notes"), blank=True)
    # Special-category data: only the case manager and health-profile members read it.
    health_declared = models.TextField(_("health as declared"), blank=True)
    legal_status = models.TextField(_("legal status and permit"), blank=True)
    services_involved = models.TextField(_("services already involved"), blank=True)
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("social worker of the mini-team"),
    )
    cpi_consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("CPI consultant of the mini-team"),
    )
    need_class = models.CharField(_("need class"), max_length=10, choices=NeedClass.choices)
    completed_on = models.DateField(_("completed on"))
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("intake (section A)")
        verbose_name_plural = _("intakes (section A)")

    def __str__(self):
        return _("Section A of %(case)s") % {"case": self.case}


class Assessment(models.Model):
    """Section B: the team's scores on each dimension, at entry, in itinere, at exit."""

    # "scores": the scores of every dimension, health included, as the trail records them.
    AUDIT_SENSITIVE_FIELDS = ("notes", "scores")

    class Phase(models.TextChoices):
        ENTRY = "entry", _("At entry")
        IN_ITINERE = "in_itinere", _("In itinere")
        EXIT = "exit", _("At exit")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="assessments", verbose_name=_("case")
    )
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["assessed_on", "id"]
        verbose_name = _("assessment (section B)")
        verbose_name_plural = _("assessments (section B)")

    def __str__(self):
        return f"{self.get_phase_display()} {self.assessed_on:%d/%m/%Y}"


class DimensionScore(models.Model):
    AUDIT_SENSITIVE_FIELDS = ("notes",)

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    score = models.PositiveSmallIntegerField(
        _("score (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("dimension score")
        verbose_name_plural = _("dimension scores")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension"], name="unique_dimension_per_assessment"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="dimension_score_1_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.get_dimension_display()}: {self.score}"
