"""The world of the authorisation matrix: every role of the demo, and for every kind of
object a URL names one "mine" (zone ZPI, the roles' own zone) and one "other" (zone ZLI,
the outsider's zone).

Both sides are built by the same code (`_build_side`), through the services wherever a
service exists, so the two variants differ only in where they live. The objects' people
carry distinctive names (NAMES), which no page may show to the monitoring officer.
"""

import dataclasses
import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crocevia.accounts.models import Profile
from crocevia.assessments.models import Dimension
from crocevia.assessments.services import assessment_record
from crocevia.benefits.services import benefit_application_record
from crocevia.cases import services as case_services
from crocevia.cases.models import NeedClass, Stage
from crocevia.desk.models import DeskService
from crocevia.desk.referrals import referral_send
from crocevia.desk.services import contact_record
from crocevia.downloads.producing import produce_file
from crocevia.downloads.services import prepare_file
from crocevia.interchange import files as interchange_files
from crocevia.interchange.models import ImportJob
from crocevia.interventions.models import InterventionType
from crocevia.interventions.services import intervention_add
from crocevia.meetings.models import Meeting
from crocevia.meetings.services import meeting_record
from crocevia.network.models import Agreement, CasePart, Organisation
from crocevia.network.services import PartySpec, agreement_create
from crocevia.notifications.models import NotificationKind
from crocevia.notifications.services import notify
from crocevia.people import services as people_services
from crocevia.people.models import DuplicatePair, Relationship
from crocevia.plans.services import (
    plan_draft_save,
    plan_get_or_create,
    plan_sign,
    plan_submit,
    plan_validate,
)
from crocevia.programmes import services as programme_services
from crocevia.testing import (
    Actors,
    OrganisationFactory,
    build_actors,
    days_ago,
    make_case,
    make_member,
    make_person,
    make_physician,
    other_zone_cast,
)

# A minimal PDF: the agreement's signed document (the download view streams it back).
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# (family name, given names) of the persons of each side: [0] has the case, the contact,
# the referral; [1] shares their household; [2] has a case waiting for pre-assessment;
# [3] and [4] are one man registered twice (a pair of the duplicates queue); [5], [6] and
# [7] are persons of three Comuni of the zone, each shared with the side's CPI under an
# agreement: in force, expired yesterday, and in force with a clause that covers neither
# the registry nor a case's part (SHARED).
NAMES = {
    "mine": [
        ("Ndiaye", "Fatoumata"),
        ("Ndiaye", "Ousmane"),
        ("Balde", "Mariama"),
        ("Diallo", "Mamadou"),
        ("Diallo", "Mamadu"),
        ("Sissoko", "Aissatou"),
        ("Camara", "Ibrahima"),
        ("Barry", "Hadiatou"),
    ],
    "other": [
        ("Traore", "Kadiatou"),
        ("Traore", "Sekou"),
        ("Kouyate", "Binta"),
        ("Keita", "Boubacar"),
        ("Keita", "Bubakar"),
        ("Cisse", "Moussa"),
        ("Toure", "Aminata"),
        ("Sylla", "Fanta"),
    ],
}

# The agreements between a Comune of the side's zone (none of the roles' organisations)
# and the side's CPI that share the Comune's person and case with the CPI (issue 19): the
# CPI party's clause, and the last day of validity (None: open-ended; -1: yesterday).
SHARED = {
    "shared_in_force": (
        (CasePart.REGISTRY, CasePart.INTAKE, CasePart.PLAN),
        None,
    ),
    "shared_expired": (
        (CasePart.REGISTRY, CasePart.INTAKE, CasePart.PLAN),
        -1,
    ),
    "shared_not_covering": ((CasePart.CONTACTS,), None),
}

ROLES = [
    "anonymous",
    "desk_operator",
    "social_worker",
    "cpi_consultant",
    "coordinator",
    "health_member",
    "monitoring_officer",
    "admin",
    "outsider",
]


@dataclasses.dataclass
class Shared:
    """A person of a Comune of the zone, with a case of the Comune (waiting for its
    pre-assessment), and the agreement between the Comune and the side's CPI (SHARED)."""

    organisation: object
    person: object
    case: object
    agreement: object


@dataclasses.dataclass
class Side:
    """The objects of one zone that the URLs' keyword arguments name."""

    zone: object
    organisation: object
    person: object
    member: object  # the person's household member
    consent: object
    contact: object
    case: object  # team formed, assessed, plan validated and signed (open)
    referred_case: object  # waiting for its pre-assessment
    team_member: object  # the CPI consultant on `case`'s team
    plan: object
    version: object
    action: object
    intervention: object
    referral: object
    meeting: object
    programme: object
    budget_action: object
    agreement: object
    job: object
    notification: object  # the side's coordinator's (notifications are their recipient's only)
    prepared: object  # a file prepared for the side's coordinator, ready (theirs only)
    pair: object  # a pair of possible duplicates (two records of one man)
    # The household's income-support applications, in the side's Comune: the person's,
    # accepted (no case opened from it); the member's, rejected and not followed up.
    application: object
    rejected_application: object
    shared_in_force: Shared  # SHARED: an agreement in force covers the registry, the plan
    shared_expired: Shared  # ... the same clause, expired yesterday
    shared_not_covering: Shared  # ... in force, its clause covering the contacts only


@dataclasses.dataclass
class World:
    users: dict  # role -> User (anonymous: None)
    mine: Side
    other: Side
    names: list  # every name of every person of the world

    def side(self, variant: str) -> Side:
        return self.mine if variant in ("mine", "-") else self.other


def _build_side(cast: Actors, names, *, physician=None, physician_org=None, code="") -> Side:
    person = make_person(cast, family_name=names[0][0], given_names=names[0][1])
    member = make_person(cast, family_name=names[1][0], given_names=names[1][1])
    waiting = make_person(cast, family_name=names[2][0], given_names=names[2][1])
    consent = person.consents.get()
    household = people_services.household_create(actor=cast.social_worker, reference_person=person)
    people_services.household_add_member(
        actor=cast.social_worker,
        household=household,
        person=member,
        relationship=Relationship.CHILD,
    )
    applications = [
        benefit_application_record(
            actor=cast.social_worker,
            data={
                "external_id": f"INPS-{code}-{n}",
                "household": household,
                "applicant": applicant,
                "comune": cast.pisa,
                "measure": "ADI",
                "submitted_on": days_ago(90),
                "status": status,
                "outcome_on": days_ago(60),
                "outcome_reason": reason,
            },
        )
        for n, (applicant, status, reason) in enumerate(
            [(person, "accepted", ""), (member, "rejected", "income_above_threshold")]
        )
    ]
    service = DeskService.objects.filter(active=True).order_by("position").first()
    contact = contact_record(
        actor=cast.desk_operator,
        person=person,
        desk=cast.desk,
        date=timezone.localdate(),  # on the desk register of today
        services=[service],
    )

    # The case: pre-assessed complex, team formed (the CPI consultant on it), then the
    # entry assessment, the plan drafted and signed, an intervention planned.
    case = make_case(cast, stage=Stage.TEAM_FORMED, need_class=NeedClass.COMPLEX, person=person)
    if physician is not None:
        case_services.team_member_add(
            actor=cast.social_worker,
            case=case,
            user=physician,
            organisation=physician_org,
            role=Profile.PHYSICIAN,
            on=days_ago(35),
        )
    team_member = case.team.get(user=cast.cpi_consultant)
    assessment_record(
        actor=cast.social_worker,
        case=case,
        phase="entry",
        assessed_on=days_ago(30),
        scores={d.value: (3, "") for d in Dimension},
    )
    plan = plan_get_or_create(actor=cast.social_worker, case=case)
    version = plan_draft_save(
        actor=cast.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="Frequentare il corso",
        service_commitments="Attivare il tirocinio",
        objectives=[{"dimension": "work", "text": "Trovare un tirocinio"}],
        actions=[
            {
                "description": "Colloquio di orientamento",
                "responsible_user": cast.cpi_consultant,
                "responsible_organisation": None,
                "due_on": None,
                "objective": 1,
            }
        ],
    )
    # The case manager submits it, the coordination group validates it, then it is signed.
    plan_submit(actor=cast.social_worker, plan=plan, on=days_ago(25))
    plan_validate(actor=cast.coordinator, plan=plan, on=days_ago(22))
    version = plan_sign(
        actor=cast.social_worker,
        version=version,
        signed_on=days_ago(20),
        operators=[cast.social_worker],
    )
    case.refresh_from_db()
    intervention = intervention_add(
        actor=cast.social_worker,
        case=case,
        type=InterventionType.objects.filter(active=True).order_by("position").first(),
        provider=cast.cpi,
    )
    referred_case = make_case(cast, stage=Stage.REFERRED, person=waiting)

    referral = referral_send(
        actor=cast.desk_operator,
        person=person,
        from_organisation=cast.sds,
        to_organisation=cast.cpi,
        sent_on=days_ago(1),
        reason="Ricerca di lavoro",
    )
    meeting = meeting_record(
        actor=cast.coordinator,
        zone=cast.zone,
        kind=Meeting.Kind.TEAM,
        held_on=days_ago(5),
        attendees=[cast.social_worker, cast.cpi_consultant],
        # Two cases that not every reader of the meeting may see (the CPI consultant is on
        # `case`'s team only): what is said of each reaches who may see that case only.
        cases=[case, referred_case],
        notes="Riunione mensile dell'équipe",
        items={
            case.pk: {
                "minutes": f"Verifica del progetto {code}",
                "decisions": f"Proseguire il tirocinio {code}",
            },
            referred_case.pk: {
                "minutes": f"Pre-valutazione da completare {code}",
                "decisions": f"Rinviato alla prossima riunione {code}",
            },
        },
    )

    programme = programme_services.programme_create(
        actor=cast.coordinator,
        code=f"PRG-{code}",
        name=f"Programma {code}",
        fund="fami",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
        lead_organisation=cast.sds,
        partners=[cast.cpi],
    )
    budget_action = programme_services.action_create(
        actor=cast.coordinator,
        programme=programme,
        code="a1",
        title="Azione a1",
        responsible_organisation=cast.cpi,
        amount=Decimal("1000.00"),
    )
    programme_services.expenditure_record(
        actor=cast.coordinator,
        action=budget_action,
        spent_on=datetime.date(2025, 5, 10),
        amount=Decimal("100.00"),
        description="Fattura",
    )
    programme_services.target_set(
        actor=cast.coordinator, programme=programme, organisation=cast.sds, target_number=10
    )
    programme_services.case_enrol(actor=cast.coordinator, programme=programme, case=case)

    agreement = agreement_create(
        actor=cast.coordinator,
        title=f"Convenzione {code}",
        kind=Agreement.Kind.CONVENTION,
        signed_on=datetime.date(2025, 1, 1),
        valid_from=datetime.date(2025, 1, 1),
        parties=[
            PartySpec(cast.sds, role="Capofila", shared_parts=(CasePart.REGISTRY,)),
            PartySpec(cast.cpi, role="Partner", shared_parts=(CasePart.REGISTRY, CasePart.PLAN)),
        ],
        document=SimpleUploadedFile("convenzione.pdf", PDF_BYTES, "application/pdf"),
    )
    # A finished import of the side's coordinator (jobs are their owner's only).
    job = ImportJob.objects.create(
        kind="persons",
        user=cast.coordinator,
        status=ImportJob.Status.DONE,
        file_name="persone.csv",
    )
    [notification] = notify(
        recipients=[cast.coordinator],
        kind=NotificationKind.REFERRAL_RECEIVED,
        url=f"/casi/{case.pk}/",
        reference=f"n. {case.pk}",
    )
    # The side's coordinator's export of the desks, prepared by the worker (ready).
    prepared = prepare_file(
        user=cast.coordinator,
        title=f"Esportazione degli sportelli {code}",
        file_name="sportelli.xlsx",
        content_type=interchange_files.XLSX,
        producer=interchange_files.PRODUCER,
        kwargs={"kind": "desks", "fmt": "xlsx", "pseudonymise": False, "zones": [cast.zone.pk]},
    )
    produce_file(prepared.pk)
    prepared.refresh_from_db()
    # One man registered twice at the desk (confirmed as "a different person"): the pair
    # waits in the duplicates queue.
    twins = [
        people_services.person_create(
            actor=cast.desk_operator,
            data={
                "family_name": family,
                "given_names": given,
                "sex": "M",
                "birth_date": datetime.date(1991, 2, 3),
                "citizenship": "GN",
                "birth_country": "GN",
                "codice_fiscale": "",
                "comune": None,
                "phone": "",
                "email": "",
                "languages": [],
                "needs_mediator": False,
                "permit_type": "",
                "permit_expires_on": None,
            },
            organisation=cast.sds,
            confirmed_distinct=True,
        )
        for family, given in names[3:5]
    ]
    pair = DuplicatePair.objects.get(person_a=twins[0], person_b=twins[1])
    shared = {
        attribute: _shared(cast, number, names[5 + number], code, clause, until)
        for number, (attribute, (clause, until)) in enumerate(SHARED.items())
    }
    return Side(
        zone=cast.zone,
        organisation=cast.sds,
        person=person,
        member=member,
        consent=consent,
        contact=contact,
        case=case,
        referred_case=referred_case,
        team_member=team_member,
        plan=plan,
        version=version,
        action=version.actions.get(),
        intervention=intervention,
        referral=referral,
        meeting=meeting,
        programme=programme,
        budget_action=budget_action,
        agreement=agreement,
        job=job,
        notification=notification,
        prepared=prepared,
        pair=pair,
        application=applications[0],
        rejected_application=applications[1],
        **shared,
    )


def _shared(cast: Actors, number: int, name, code: str, clause, until) -> Shared:
    """A Comune of the cast's zone with its social worker, a person it registered (with
    consent) and their case, and an agreement with the cast's CPI whose CPI party's clause
    is `clause` (the Comune's own clause covers everything: it is not the CPI's to read)."""
    comune = OrganisationFactory(
        code=f"COM{number}-{code}",
        name=f"Comune {number + 1} della zona {code}",
        kind=Organisation.Kind.COMUNE,
        zone=cast.zone,
        comune=cast.pisa,
    )
    social_worker = make_member(f"assistente-{number}-{code}", comune, Profile.SOCIAL_WORKER)
    person = make_person(
        cast,
        family_name=name[0],
        given_names=name[1],
        created_by_organisation=comune,
        created_by=social_worker,
    )
    case = make_case(cast, person=person, organisation=comune, opened_by=social_worker)
    agreement = agreement_create(
        actor=cast.coordinator,
        title=f"Protocollo {code} {number + 1}",
        kind=Agreement.Kind.PROTOCOL,
        signed_on=datetime.date(2025, 1, 1),
        valid_from=datetime.date(2025, 1, 1),
        valid_until=None if until is None else days_ago(-until),
        parties=[
            PartySpec(comune, role="Comune", shared_parts=tuple(CasePart.values)),
            PartySpec(cast.cpi, role="Centro per l'Impiego", shared_parts=clause),
        ],
    )
    return Shared(organisation=comune, person=person, case=case, agreement=agreement)


def build_world() -> World:
    actors = build_actors()
    physician, asl = make_physician(actors)
    mine = _build_side(actors, NAMES["mine"], physician=physician, physician_org=asl, code="PI")
    other = _build_side(other_zone_cast(actors), NAMES["other"], code="LI")
    users = {
        "anonymous": None,
        "desk_operator": actors.desk_operator,
        "social_worker": actors.social_worker,
        "cpi_consultant": actors.cpi_consultant,
        "coordinator": actors.coordinator,
        "health_member": physician,
        "monitoring_officer": actors.monitoring_officer,
        "admin": actors.admin,
        "outsider": actors.outsider,
    }
    names = sorted({n for pair in NAMES.values() for p in pair for n in p})
    return World(users=users, mine=mine, other=other, names=names)
