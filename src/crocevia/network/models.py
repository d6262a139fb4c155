from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .parts import CasePart  # noqa: F401 (named here too: network.models.CasePart)


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


# Provinces whose territory is a metropolitan city (law 56/2014; Sardinia's Cagliari
# included). In Tuscany: the Metropolitan City of Florence. The LEP's access-point norm is
# one per 70,000 inhabitants in a large Comune of a metropolitan city (INDICATORS.md).
# A Comune's own flag (Comune.in_metropolitan_city) is set from its province when it is
# created, and may be changed after (a province's territory is not always the city's).
METROPOLITAN_CITY_PROVINCES = frozenset(
    {"TO", "GE", "MI", "VE", "BO", "FI", "RM", "NA", "BA", "RC", "PA", "ME", "CT", "CA"}
)


def metropolitan_by_province(province: str) -> bool:
    """The flag a new Comune of `province` starts with."""
    return province in METROPOLITAN_CITY_PROVINCES


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
    # The LEP's access-point rule for a Comune over 40,000 inhabitants: 1 per 70,000 in a
    # metropolitan city, 1 per 40,000 elsewhere. Set from the province on creation
    # (network.services.comune_create, the territory import), kept as it is after.
    in_metropolitan_city = models.BooleanField(
        _("in a metropolitan city"),
        default=False,
        help_text=_(
            "Set from the province when the Comune is created; in a metropolitan city a "
            "Comune over 40,000 inhabitants needs one access point per 70,000 instead of "
            "40,000 (LEP)."
        ),
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


# --- agreements between organisations ---------------------------------------------------------


# Signed documents live in the default storage (the database, or the S3 bucket: settings
# STORAGES), under this prefix; never on an app server's disk, never with a URL: the
# download view checks who asks and streams them (network.access.get_agreement_document_for).
DOCUMENT_PREFIX = "agreements/"


def agreement_document_path(instance, filename) -> str:
    """A random name in the storage: the operator's file name is kept in `document_name`
    only."""
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()
    return f"{DOCUMENT_PREFIX}{uuid.uuid4().hex}{suffix}"


def _agreement_storage():
    """Named by migration 0002 (the documents were then under VAR_DIR/agreements/); they
    are in the default storage since 0004."""
    from django.core.files.storage import default_storage

    return default_storage


class Agreement(models.Model):
    """A signed agreement between organisations (convenzione, protocollo d'intesa)."""

    class Kind(models.TextChoices):
        CONVENTION = "convention", _("Convention")
        PROTOCOL = "protocol", _("Protocol of understanding")
        OTHER = "other", _("Other agreement")

    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reference = models.CharField(
        _("reference number"),
        max_length=100,
        blank=True,
        help_text=_("Register or protocol number of the signed act, if any."),
    )
    signed_on = models.DateField(_("signed on"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty when open-ended.")
    )
    renewable = models.BooleanField(_("renewable"), default=False)
    renewal_terms = models.TextField(_("renewal terms"), blank=True)
    document = models.FileField(
        _("signed document"),
        upload_to=agreement_document_path,
        max_length=255,
        blank=True,
    )
    document_name = models.CharField(_("document file name"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Raised by every saved change: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-valid_from", "title"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="agreement_valid_until_after_from",
            )
        ]
        indexes = [models.Index(fields=["valid_until"], name="agreement_valid_until_idx")]

    def __str__(self):
        return self.title

    def days_left(self, today) -> int | None:
        """Days from `today` to the last day of validity (0 = last day); None if open-ended."""
        if self.valid_until is None:
            return None
        return (self.valid_until - today).days

    def is_expired(self, today) -> bool:
        return self.valid_until is not None and self.valid_until < today

    def is_started(self, today) -> bool:
        return self.valid_from <= today

    def expires_within(self, days: int, today) -> bool:
        left = self.days_left(today)
        return left is not None and 0 <= left <= days


class AgreementParty(models.Model):
    """One signatory of an agreement: money transferred to it and what it may see."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="parties", verbose_name=_("agreement")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="agreement_parties",
        verbose_name=_("organisation"),
    )
    role = models.CharField(
        _("role"), max_length=100, blank=True, help_text=_("E.g. lead body, partner.")
    )
    amount = models.DecimalField(
        _("money transferred (€)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # Codes of CasePart this party may see of a case shared under the agreement.
    shared_parts = models.JSONField(_("case parts it may see"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("party to an agreement")
        verbose_name_plural = _("parties to agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organisation"], name="unique_agreement_party"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="agreement_party_amount_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.agreement} – {self.organisation}"

    def may_see(self, part: str) -> bool:
        return part in (self.shared_parts or [])
