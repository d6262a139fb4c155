from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Zone(models.Model):
    """A zona distretto: several Comuni served together."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self):
        return self.name


class Comune(models.Model):
    istat_code = models.CharField(
        _("ISTAT code"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", _("The ISTAT code has 6 digits."))],
    )
    name = models.CharField(_("name"), max_length=200)
    province = models.CharField(
        _("province"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("The province is two capital letters."))],
    )
    population = models.PositiveIntegerField(_("population"), default=0)
    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="comuni", verbose_name=_("zone")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("Comune")
        verbose_name_plural = _("Comuni")

    def __str__(self):
        return f"{self.name} ({self.province})"


class Organisation(models.Model):
    class Kind(models.TextChoices):
        SDS = "sds", _("Società della Salute")
        COMUNE = "comune", _("Comune")
        CPI = "cpi", _("Employment centre (CPI)")
        CPIA = "cpia", _("Adult school (CPIA)")
        ASL_SERVICE = "asl_service", _("ASL service")
        THIRD_SECTOR = "third_sector", _("Third sector")
        REGION = "region", _("Region")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    zone = models.ForeignKey(
        Zone,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("zone"),
        null=True,
        blank=True,
        help_text=_("Empty only for the Region and other bodies above the zones."),
    )
    comune = models.ForeignKey(
        Comune,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("Comune"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name


class Desk(models.Model):
    class Level(models.IntegerChoices):
        FIRST = 1, _("Level 1 (reception, information, referral)")
        SECOND = 2, _("Level 2 (PUA: opens cases)")

    code = models.CharField(_("code"), max_length=30, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="desks", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    level = models.PositiveSmallIntegerField(
        _("level"), choices=Level.choices, default=Level.FIRST, validators=[MinValueValidator(1)]
    )
    comune = models.ForeignKey(
        Comune, on_delete=models.PROTECT, related_name="desks", verbose_name=_("Comune")
    )
    opening_hours = models.TextField(_("opening hours"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("desk")
        verbose_name_plural = _("desks")

    def __str__(self):
        return self.name
