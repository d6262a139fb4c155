from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Household(models.Model):
    """People living together: the unit of the income-support measures."""

    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        ref = self.members.filter(household_relationship=Relationship.REFERENCE).first()
        if ref:
            return _("Household of %(name)s") % {"name": ref.full_name}
        return _("Household %(id)s") % {"id": self.pk}


class Relationship(models.TextChoices):
    REFERENCE = "reference", _("Reference person")
    PARTNER = "partner", _("Spouse or partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    OTHER = "other", _("Other cohabitant")


class PermitType(models.TextChoices):
    NONE = "", _("None or not known")
    EU_LONG_TERM = "eu_long_term", _("EU long-term residence permit")
    WORK = "work", _("Work")
    FAMILY = "family", _("Family reasons")
    STUDY = "study", _("Study")
    ASYLUM = "asylum", _("Refugee status (asylum)")
    SUBSIDIARY = "subsidiary", _("Subsidiary protection")
    SPECIAL = "special", _("Special protection")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum application pending")
    HEALTH = "health", _("Medical treatment")
    OTHER = "other", _("Other")


class Person(models.Model):
    """The registry record (anagrafica) of someone served."""

    # A permit for medical treatment discloses health: the trail says it changed.
    AUDIT_SENSITIVE_FIELDS = ("permit_type",)

    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    family_name = models.CharField(_("family name"), max_length=120)
    given_names = models.CharField(_("given names"), max_length=120)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    birth_country = CountryField(_("birth country"), blank=True)
    citizenship = CountryField(_("citizenship"), blank=True)
    codice_fiscale = models.CharField(_("codice fiscale"), max_length=16, blank=True)
    comune = models.ForeignKey(
        "network.Comune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("Comune of residence"),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    needs_mediator = models.BooleanField(_("needs a cultural mediator"), default=False)
    permit_type = models.CharField(
        _("residence permit"), max_length=20, choices=PermitType.choices, blank=True
    )
    permit_expires_on = models.DateField(_("permit expires on"), null=True, blank=True)
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("household"),
    )
    household_relationship = models.CharField(
        _("relationship to the reference person"),
        max_length=20,
        choices=Relationship.choices,
        blank=True,
    )
    # Derived search columns, kept by the services (people.services._derive).
    search_name = models.CharField(max_length=250, editable=False, db_index=True)
    # Registration: who and which organisation created the record (an access rule).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_by_organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by organisation"),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic locking: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    # A record merged into another (people.merge): a tombstone that keeps its external id
    # (an import of the old register finds the survivor through it) and its history.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        verbose_name=_("merged into"),
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)

    class Meta:
        ordering = ["family_name", "given_names", "birth_date"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            # Equality and prefix (LIKE 'ABC%') searches of the code on PostgreSQL; the
            # unique constraint below adds the equality index SQLite uses.
            models.Index(
                fields=["codice_fiscale"],
                name="person_cf_pattern_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["birth_date"], name="person_birth_idx"),
            models.Index(fields=["family_name", "given_names"], name="person_name_idx"),
        ]
        constraints = [
            # A codice fiscale identifies one person (stored in its canonical form, so the
            # omocodia variants of a code are the same code). Tombstones hold none.
            models.UniqueConstraint(
                fields=["codice_fiscale"],
                condition=~models.Q(codice_fiscale=""),
                name="person_cf_unique",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_names}"

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def codice_fiscale_as_issued(self) -> str:
        """The code as on the person's card: the omocodia variant, when it was issued so
        (the record stores the canonical form, which all the variants share)."""
        if not self.codice_fiscale or self.pk is None:
            return self.codice_fiscale
        for alias in self.aliases.all():
            if alias.kind == PersonAlias.Kind.ISSUED:
                return alias.value
        return self.codice_fiscale


class PersonAlias(models.Model):
    """Another identifier a person is found by: an earlier or variant codice fiscale."""

    class Kind(models.TextChoices):
        # The 11-digit code given before the definitive one (asylum seekers).
        PROVISIONAL = "provisional_cf", _("Provisional codice fiscale")
        # The code as issued, when it is an omocodia variant of the stored canonical one.
        ISSUED = "issued_cf", _("Codice fiscale as issued (omocodia)")
        # The code of a record merged into this one, when it differed.
        MERGED = "merged_cf", _("Codice fiscale of a merged record")
        # A code this record was registered with while another record already had it:
        # held back until a coordinator merges the two or corrects the code.
        HELD = "held_cf", _("Codice fiscale held by another record")

    # Codes that belong to this person: no other person may take them.
    OWNED_KINDS = (Kind.PROVISIONAL, Kind.ISSUED, Kind.MERGED)

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("other identifier")
        verbose_name_plural = _("other identifiers")
        indexes = [
            models.Index(
                fields=["value"], name="person_alias_value_idx", opclasses=["varchar_pattern_ops"]
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["value"],
                condition=models.Q(kind__in=["provisional_cf", "issued_cf", "merged_cf"]),
                name="person_alias_owned_unique",
            ),
            models.UniqueConstraint(fields=["person", "kind", "value"], name="person_alias_uniq"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"


class DuplicatePair(models.Model):
    """Two records that may be one person, for a coordinator to merge or tell apart."""

    class Reason(models.TextChoices):
        SAME_CODE = "same_code", _("Same codice fiscale")
        SIMILAR_NAME = "similar_name", _("Similar name and same birth date")

    class Status(models.TextChoices):
        OPEN = "open", _("To be checked")
        DISTINCT = "distinct", _("Different persons")
        MERGED = "merged", _("Merged")

    # person_a has the lower id: one row per pair.
    person_a = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    person_b = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("other person")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    status = models.CharField(
        _("state"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        indexes = [models.Index(fields=["status", "person_a"], name="duplicate_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicate_pair_uniq"),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")),
                name="duplicate_pair_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.status})"


class SharingBasis(models.TextChoices):
    """What lets a person's data cross to another organisation (people.sharing)."""

    CONSENT = "consent", _("The person's consent to sharing within the network")
    SAME_ORGANISATION = "same_organisation", _("Within the same organisation")
    LEGAL_OBLIGATION = (
        "legal_obligation",
        _("A legal obligation or an order of the judicial authority"),
    )
    VITAL_INTEREST = (
        "vital_interest",
        _("Protection of the vital interests of a person who cannot consent"),
    )
    REGISTER = "register", _("Recorded in a register before this rule")


class Consent(models.Model):
    AUDIT_SENSITIVE_FIELDS = ("notes",)

    class Scope(models.TextChoices):
        PROCESSING = "processing", _("Processing of personal data")
        NETWORK_SHARING = "network_sharing", _("Sharing within the network of services")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="consents", verbose_name=_("person")
    )
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    given_on = models.DateField(_("date"))
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("collected by"),
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self):
        return f"{self.get_scope_display()} ({self.given_on:%d/%m/%Y})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None
