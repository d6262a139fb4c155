"""The case (presa in carico) of one person or household at level 2, and its team."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crocevia.people.models import SharingBasis


class Stage(models.TextChoices):
    """Where a case stands on the pathway (PATHWAY.md); changed only by workflow.py."""

    REFERRED = "referred", _("Referred, waiting for pre-assessment")
    PREASSESSED = "preassessed", _("Pre-assessed")
    TEAM_FORMED = "team_formed", _("Team formed")
    ASSESSED = "assessed", _("Assessed")
    PLAN_SIGNED = "plan_signed", _("Plan signed")
    IN_PROGRESS = "in_progress", _("Plan in progress")
    CLOSED = "closed", _("Closed")


class NeedClass(models.TextChoices):
    WORK = "work", _("Work only (service pact at the CPI)")
    SOCIAL = "social", _("Social only (personalised project)")
    COMPLEX = "complex", _("Complex needs (multidisciplinary team)")


class PlanKind(models.TextChoices):
    SERVICE_PACT = "service_pact", _("Service pact")
    SOCIAL_PROJECT = "social_project", _("Social project")
    INCLUSION_PROJECT = "inclusion_project", _("Inclusion project")


class Outcome(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    TRAINEESHIP = "traineeship", _("Traineeship")
    TRAINING = "training", _("In training")
    AUTONOMOUS = "autonomous", _("Autonomous from services")
    MOVED_AWAY = "moved_away", _("Moved away")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    OTHER = "other", _("Other")


class ServiceArea(models.TextChoices):
    """The social services' area of a case (the SST areas the Pisa report counts)."""

    ECONOMIC_HARDSHIP = "economic_hardship", _("Adults in economic hardship")
    HOUSING_EMERGENCY = "housing_emergency", _("Housing emergency")
    FAMILIES_PREVENTION = "families_prevention", _("Families and minors, secondary prevention")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    DISABILITY = "disability", _("Disability and non-self-sufficiency")
    OTHER = "other", _("Other")


# SIUSS's AreaUtenza of each service area (INDICATORS.md, cases.by_area): 1 families and
# minors, 2 disability and non-self-sufficiency, 3 poverty, hardship and other adults.
SIUSS_AREA = {
    ServiceArea.ECONOMIC_HARDSHIP: 3,
    ServiceArea.HOUSING_EMERGENCY: 3,
    ServiceArea.FAMILIES_PREVENTION: 1,
    ServiceArea.CHILD_PROTECTION: 1,
    ServiceArea.DISABILITY: 2,
    ServiceArea.OTHER: 3,
}


class Priority(models.IntegerChoices):
    """The access priority the coordination group gives a waiting case (seed 004: the
    group "sets the access priorities"); lists of waiting cases sort by it, then by age."""

    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class Origin(models.TextChoices):
    DESK_CONTACT = "desk_contact", _("Desk contact sent to level 2")
    REFERRAL = "referral", _("Referral accepted")
    DIRECT = "direct", _("Opened directly by a social worker")
    BENEFIT = "benefit", _("Income-support application")
    IMPORT = "import", _("Imported")


# The stages of a case waiting to be taken in charge: for its pre-assessment, its team,
# its assessment or its plan (no plan signed yet).
WAITING_STAGES = (Stage.REFERRED, Stage.PREASSESSED, Stage.TEAM_FORMED, Stage.ASSESSED)


class Case(models.Model):
    # The service area "disability" reveals a health condition: recorded as changed only.
    # The priority's note gives the group's reasons: free text about the person.
    AUDIT_SENSITIVE_FIELDS = (
        "closing_note",
        "area",
        "open_items_reason",
        "priority_note",
        "sharing_note",
    )

    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="cases", verbose_name=_("person")
    )
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("household"),
    )
    organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("organisation"),
    )
    zone = models.ForeignKey(
        "network.Zone", on_delete=models.PROTECT, related_name="cases", verbose_name=_("zone")
    )
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    source_contact = models.OneToOneField(
        "desk.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case",
        verbose_name=_("desk contact"),
    )
    # What lets the team share the person's data across organisations (people.sharing),
    # asked when the case opens; empty: not asked (a case opened before the rule).
    sharing_basis = models.CharField(
        _("sharing basis"), max_length=20, choices=SharingBasis.choices, blank=True
    )
    sharing_note = models.CharField(_("legal basis reference"), max_length=250, blank=True)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.REFERRED
    )
    # Milestones (PATHWAY.md): days, each on or after the one before.
    referred_on = models.DateField(_("referred on"))
    benefit_outcome_on = models.DateField(_("INPS outcome on"), null=True, blank=True)
    # The household's accepted application the case was opened from (origin "benefit");
    # its INPS outcome date is benefit_outcome_on.
    benefit_application = models.ForeignKey(
        "benefits.BenefitApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("income-support application"),
    )
    preassessed_on = models.DateField(_("pre-assessed on"), null=True, blank=True)
    need_class = models.CharField(
        _("need class"), max_length=10, choices=NeedClass.choices, blank=True
    )
    area = models.CharField(
        _("service area"),
        max_length=30,
        choices=ServiceArea.choices,
        blank=True,
        help_text=_("Chosen at the pre-assessment; empty for cases imported without it."),
    )
    team_formed_on = models.DateField(_("team formed on"), null=True, blank=True)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    plan_signed_on = models.DateField(_("plan signed on"), null=True, blank=True)
    plan_kind = models.CharField(
        _("plan kind"), max_length=20, choices=PlanKind.choices, blank=True
    )
    plan_started_on = models.DateField(_("plan started on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    # Why the case closed although something was still open (services.closure): empty
    # when nothing was, and for closures imported from a register.
    open_items_reason = models.TextField(_("reason for closing with open items"), blank=True)

    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_cases",
        verbose_name=_("case manager"),
    )
    # The access priority (cases.services.case_set_priority): medium until the
    # coordination group sets it (priority_set_by empty).
    priority = models.PositiveSmallIntegerField(
        _("access priority"), choices=Priority.choices, default=Priority.MEDIUM
    )
    priority_note = models.TextField(_("reason for the priority"), blank=True)
    priority_set_at = models.DateTimeField(_("priority set at"), null=True, blank=True)
    priority_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("priority set by"),
    )
    previous_case = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="later_cases",
        verbose_name=_("previous case"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-referred_on", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["zone", "stage"], name="case_zone_stage_idx"),
            models.Index(fields=["organisation", "referred_on"], name="case_org_referred_idx"),
            models.Index(fields=["preassessed_on"], name="case_preassessed_idx"),
        ]

    def __str__(self):
        return _("Case %(id)s – %(person)s") % {"id": self.pk, "person": self.person}

    @property
    def is_closed(self) -> bool:
        return self.stage == Stage.CLOSED

    @property
    def is_waiting(self) -> bool:
        """Open and without a signed plan, or with its case manager to be appointed: what
        the access priority orders (WAITING in cases.selectors)."""
        return not self.is_closed and (self.stage in WAITING_STAGES or self.case_manager_to_appoint)

    @property
    def case_manager_to_appoint(self) -> bool:
        """An open case past team formation with no case manager: imported from a
        register that did not name one; the coordination group appoints one."""
        return (
            not self.is_closed and self.team_formed_on is not None and self.case_manager_id is None
        )

    @property
    def case_manager_not_named(self) -> bool:
        """A closed case whose team formed under a case manager its register did not name."""
        return self.is_closed and self.team_formed_on is not None and self.case_manager_id is None


class TeamMember(models.Model):
    """An operator on a case's team; membership is what lets another organisation see it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="case_memberships",
        verbose_name=_("operator"),
    )
    organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=30)
    # Physicians and ASL specialist services (UFSMA, SERD) read health information.
    health_access = models.BooleanField(_("reads health information"), default=False)
    added_on = models.DateField(_("added on"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    removed_on = models.DateField(_("removed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"],
                condition=models.Q(removed_on__isnull=True),
                name="unique_active_team_member",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.organisation})"


class Review(models.Model):
    """A scheduled check of a plan (in itinere) or the closing check (in uscita)."""

    AUDIT_SENSITIVE_FIELDS = ("notes",)

    class Kind(models.TextChoices):
        IN_ITINERE = "in_itinere", _("In itinere")
        EXIT = "exit", _("At exit")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.IN_ITINERE)
    scheduled_on = models.DateField(_("scheduled on"))
    held_on = models.DateField(_("held on"), null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
    )
    notes = models.TextField(_("notes"), blank=True)
    next_on = models.DateField(_("next review on"), null=True, blank=True)
    # When the case manager was told the review is overdue (once: cases.services.reviews).
    overdue_told_on = models.DateField(_("overdue told on"), null=True, blank=True)

    class Meta:
        ordering = ["scheduled_on", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self):
        return f"{self.get_kind_display()} {self.scheduled_on:%d/%m/%Y}"
