from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crocevia.people.models import SharingBasis


class DeskService(models.Model):
    """A prestazione di sportello; the catalogue of INTERCHANGE.md, extensible in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("desk service")
        verbose_name_plural = _("desk services")

    def __str__(self):
        return self.name


class Contact(models.Model):
    """One visit of a person at a desk."""

    AUDIT_SENSITIVE_FIELDS = ("notes",)

    class Outcome(models.TextChoices):
        SOLVED = "solved", _("Solved at the desk")
        REFERRED = "referred", _("Referred to an organisation")
        SECOND_LEVEL = "second_level", _("Sent to level 2")

    # Unique through Meta.constraints, which (unlike unique=True) adds no second,
    # pattern-matching index on PostgreSQL: nobody searches contacts by part of this id.
    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True)
    # Indexed by the (person, date) and (desk, date) indexes below, which serve lookups
    # by person or desk alone: a third and fourth index would only slow every insert.
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("person"),
        db_index=False,
    )
    desk = models.ForeignKey(
        "network.Desk",
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("desk"),
        db_index=False,
    )
    date = models.DateField(_("date"))
    services = models.ManyToManyField(
        DeskService,
        through="ContactService",
        related_name="contacts",
        verbose_name=_("services given"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.SOLVED
    )
    referred_to = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
        verbose_name=_("referred to"),
    )
    notes = models.TextField(_("notes"), blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("operator"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Optimistic locking: an edit based on an older version is refused (desk.services).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # Covering like the date index below, for the report of one organisation or
            # zone: its contacts, persons and outcomes are read from this index alone.
            models.Index(
                fields=["desk", "date"],
                include=["id", "person", "outcome"],
                name="contact_desk_date_idx",
            ),
            models.Index(fields=["person", "date"], name="contact_person_date_idx"),
            # The monitoring report of a zone or the region reads a year of contacts by
            # date: the covered columns let PostgreSQL read this index alone, not the
            # table (bench/README.md "Monitoring report"); elsewhere a plain date index.
            models.Index(
                fields=["date"],
                include=["id", "person", "outcome"],
                name="contact_date_report_idx",
            ),
        ]
        constraints = [
            # A receiver only on a referral. A referral without one is a register's
            # referral to an organisation it does not name (INTERCHANGE.md): only an
            # import records it so; desk.services asks an operator for the receiver.
            models.CheckConstraint(
                condition=models.Q(outcome="referred") | models.Q(referred_to__isnull=True),
                name="contact_receiver_only_if_referred",
            ),
            models.UniqueConstraint(fields=["external_id"], name="contact_external_id_uniq"),
        ]

    def __str__(self):
        return f"{self.person} – {self.desk} – {self.date:%d/%m/%Y}"

    @property
    def receiver_not_named(self) -> bool:
        """A referral whose register did not name the receiving organisation."""
        return self.outcome == self.Outcome.REFERRED and self.referred_to_id is None


class ContactService(models.Model):
    """A service given in a contact (the through table of `Contact.services`).

    `date` and `desk` repeat the contact's, so that the monitoring report counts the
    services of a period from this table alone, by its (desk, date, service) index, instead
    of joining a year of contacts (bench/README.md "Monitoring report"). They are written
    only by desk.services (record, update, import), which keep them equal to the contact's;
    `test_contact_services.py` checks it.
    """

    # Indexed by the unique (contact, deskservice) pair, which serves lookups by contact.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, db_index=False)
    # Nobody looks services up by service alone (the report index ends with it).
    deskservice = models.ForeignKey(DeskService, on_delete=models.CASCADE, db_index=False)
    date = models.DateField(_("date"))
    # The contact's desk foreign key is checked; this copy needs no second check per row
    # (an import writes a million of them).
    desk = models.ForeignKey(
        "network.Desk",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        db_table = "desk_contact_services"
        verbose_name = _("service given")
        verbose_name_plural = _("services given")
        unique_together = [("contact", "deskservice")]
        indexes = [
            models.Index(fields=["desk", "date", "deskservice"], name="contact_service_report_idx")
        ]

    def __str__(self):
        return f"{self.contact_id} – {self.deskservice_id}"


class ItalianLevel(models.TextChoices):
    NONE = "none", _("None")
    PRE_A1 = "pre_a1", _("Pre-A1 (literacy)")
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


class WorkSector(models.TextChoices):
    AGRICULTURE = "agriculture", _("Agriculture")
    CONSTRUCTION = "construction", _("Construction")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    LOGISTICS = "logistics", _("Logistics and transport")
    CATERING = "catering", _("Catering and hospitality")
    CARE = "care", _("Care and domestic work")
    CLEANING = "cleaning", _("Cleaning services")
    HEALTH = "health", _("Health and social care")
    RETAIL = "retail", _("Retail")
    OTHER = "other", _("Other")


class LanguageNeed(models.Model):
    """The level of Italian and the need for job-specific Italian, recorded at a desk."""

    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="language_needs",
        verbose_name=_("person"),
    )
    contact = models.OneToOneField(
        Contact,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="language_need",
        verbose_name=_("contact"),
    )
    recorded_on = models.DateField(_("recorded on"))
    italian_level = models.CharField(
        _("Italian level"), max_length=10, choices=ItalianLevel.choices
    )
    needs_job_italian = models.BooleanField(_("needs job-specific Italian"), default=False)
    work_sector = models.CharField(
        _("work sector"), max_length=20, choices=WorkSector.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name = _("language need")
        verbose_name_plural = _("language needs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(needs_job_italian=False) | ~models.Q(work_sector=""),
                name="language_need_sector_when_job_italian",
            )
        ]

    def __str__(self):
        return f"{self.person} – {self.get_italian_level_display()}"


class Referral(models.Model):
    """A person sent from one service to another (invio): sent, then accepted or declined
    by the receiver, then completed with what was done; or withdrawn by the sender.

    Every send-on is one: a desk contact's outcome "referred" (origin `desk`, one per
    contact, kept in step with the contact by desk.referrals), the referral form, the
    coordination group's activation of a team member of another organisation (`team`),
    the CPI's return of a person whose pact was not kept (`sent_back`), and a register's
    row (`import`). The receiver may be left unnamed only by a register.
    """

    AUDIT_SENSITIVE_FIELDS = (
        "reason",
        "answer_note",
        "completion_note",
        "withdrawal_note",
        "sharing_note",
    )

    class State(models.TextChoices):
        SENT = "sent", _("Sent, waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Origin(models.TextChoices):
        DESK = "desk", _("Desk contact outcome")
        FORM = "form", _("Referral form")
        TEAM = "team", _("Activation of a team member")
        SENT_BACK = "sent_back", _("Sent back: pact not kept")
        IMPORT = "import", _("Imported register")

    OPEN_STATES = (State.SENT, State.ACCEPTED)

    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("person"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("contact"),
    )
    # The case a referral is about (a team activation, a person sent back to the team).
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("case"),
    )
    origin = models.CharField(
        _("origin"), max_length=12, choices=Origin.choices, default=Origin.FORM
    )
    from_organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="referrals_sent",
        verbose_name=_("from"),
    )
    to_organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_to",
        verbose_name=_("to"),
    )
    to_service = models.CharField(
        _("service"),
        max_length=120,
        blank=True,
        help_text=_("The service or office of the receiving organisation, if known."),
    )
    sent_on = models.DateField(_("sent on"))
    reason = models.TextField(_("reason"), blank=True)
    sharing_basis = models.CharField(
        _("sharing basis"),
        max_length=20,
        choices=SharingBasis.choices,
        default=SharingBasis.CONSENT,
    )
    sharing_note = models.CharField(_("legal basis reference"), max_length=250, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SENT)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answer_note = models.TextField(_("answer note"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    completion_note = models.TextField(_("what was done"), blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawal_note = models.TextField(_("reason for withdrawing"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    # When both sides were told the answer is overdue (once: desk.referrals).
    overdue_told_on = models.DateField(_("overdue told on"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_on", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["to_organisation", "state", "sent_on"], name="referral_inbox_idx"),
            models.Index(
                fields=["from_organisation", "state", "sent_on"], name="referral_sent_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="referral_external_id_uniq"),
            # A desk contact's outcome is one referral, kept in step with the contact.
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(origin="desk"),
                name="referral_one_per_desk_contact",
            ),
            models.CheckConstraint(
                condition=models.Q(to_organisation__isnull=False)
                | models.Q(origin__in=["desk", "import"]),
                name="referral_receiver_named_unless_register",
            ),
        ]

    def __str__(self):
        return f"{self.person} → {self.to_organisation or _('organisation not named')}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def receiver_label(self) -> str:
        if self.to_organisation_id is None:
            return str(_("organisation not named"))
        name = self.to_organisation.name
        return f"{name} – {self.to_service}" if self.to_service else name
