"""The income-support applications of the demo (seed 002, §4.1: "monitor the applications
sent to INPS and stand beside the people on the reasons for revocation, suspension or
rejection"), loaded after the cases by `crocevia demo`.

Households of the demo (the reference person an adult who consented to sharing in the
network, no member with a case of the pathway; then adults alone, whose household of one
is recorded when they apply) apply for the ADI, a few for the SFL (another measure), in
the Comuni where they live, over the last ten months. The
administrative staff of the Comune di Pisa records each one and INPS's outcome (through
benefits.services): accepted, lapsed or revoked, suspended, rejected with INPS's reason,
or still being processed. The social worker follows up some of the negative outcomes,
and opens the case of some accepted ones (benefits.opening.case_open_from_benefit), then
pre-assesses most of those with the CPI consultant: the income-support section of the
report is no longer empty, and the follow-up queue holds the others.

`BenefitPlanner` plans them as plain data (its own random.Random: the persons and the
cases of the demo do not change); `load_benefits` writes them. Recognised by their id
("demo-inps-001"): a second run adds nothing.
"""

import datetime
import random
from dataclasses import dataclass

from crocevia.assessments.preassessment import case_preassess
from crocevia.benefits.models import BenefitApplication, Measure, OutcomeReason, Status
from crocevia.benefits.opening import case_open_from_benefit
from crocevia.benefits.services import (
    benefit_application_add,
    benefit_application_follow_up,
    benefit_application_record_outcome,
)
from crocevia.cases.models import Case, Origin
from crocevia.people.models import Household, Person
from crocevia.people.services import household_create
from crocevia.plans.services import latest_version, plan_draft_save, plan_get_or_create, plan_sign

SEED = 2028  # not the persons' nor the cases' seed: adding applications changes neither
PREFIX = "demo-inps-"
WINDOW = 300  # days: the applications are submitted over the last ten months

ACCEPTED, LAPSED, SUSPENDED = Status.ACCEPTED, Status.LAPSED, Status.SUSPENDED
PROCESSING, REJECTED = Status.PROCESSING, Status.REJECTED
# What happens to each application, in this order, so that a small demo has every status
# (the first eight), a case opened and pre-assessed, a follow-up done and one to do. The
# shares of the default demo follow seed 002's table (Pistoia, November 2018): most
# applications rejected or accepted, fewer lapsed, suspended or being processed.
#   (status, what follows: the "case" opened, then "preassessed", then a social "project"
#   signed; "followed" up; or nothing)
PLAN: list[tuple[str, str]] = [
    (ACCEPTED, "project"),
    (REJECTED, "followed"),
    (LAPSED, ""),
    (SUSPENDED, "followed"),
    (PROCESSING, ""),
    (ACCEPTED, ""),
    (REJECTED, ""),
    (ACCEPTED, "case"),
    (SUSPENDED, ""),
    (LAPSED, "followed"),
    (ACCEPTED, "preassessed"),
    (REJECTED, ""),
    (REJECTED, "followed"),
    (ACCEPTED, "preassessed"),
    (PROCESSING, ""),
    (REJECTED, ""),
    (ACCEPTED, ""),
    (LAPSED, ""),
    (REJECTED, "followed"),
    (ACCEPTED, "project"),
    (REJECTED, ""),
    (ACCEPTED, ""),
    (SUSPENDED, "followed"),
    (PROCESSING, ""),
    (REJECTED, ""),
    (ACCEPTED, "preassessed"),
    (LAPSED, "followed"),
    (REJECTED, ""),
    (ACCEPTED, "case"),
    (REJECTED, "followed"),
    (ACCEPTED, ""),
    (REJECTED, ""),
    (PROCESSING, ""),
    (ACCEPTED, "preassessed"),
    (REJECTED, ""),
    (SUSPENDED, ""),
]

# INPS's reasons, by outcome, with the note the operator adds (empty: none).
REASONS = {
    REJECTED: [
        (OutcomeReason.INCOME, "ISEE di circa 700 € sopra la soglia: valutare l'ISEE corrente."),
        (OutcomeReason.RESIDENCE, "Residenza in Italia da meno di cinque anni."),
        (OutcomeReason.HOUSEHOLD, ""),
        (OutcomeReason.DSU, "Nella DSU manca il reddito del coniuge."),
        (OutcomeReason.ASSETS, ""),
        (OutcomeReason.VEHICLES, "Autovettura immatricolata da meno di 36 mesi."),
    ],
    SUSPENDED: [
        (OutcomeReason.ACTIVATION, "Mancata presentazione al primo appuntamento al CPI."),
        (OutcomeReason.DSU, "DSU scaduta il 31 dicembre, non rinnovata."),
        (OutcomeReason.CHANGE_NOT_REPORTED, ""),
    ],
    LAPSED: [
        (OutcomeReason.ACTIVATION, "Patto di inclusione non sottoscritto entro i termini."),
        (OutcomeReason.JOB_REFUSED, ""),
        (OutcomeReason.CHANGE_NOT_REPORTED, "Nuovo lavoro del figlio non comunicato all'INPS."),
        (OutcomeReason.OTHER, "Trasferimento all'estero per più di due mesi consecutivi."),
    ],
}
FOLLOW_UPS = [
    "Colloquio con la richiedente: spiegato il motivo; fissato l'appuntamento al CAF per "
    "una nuova DSU.",
    "Telefonata al nucleo: presenteranno una nuova domanda con l'ISEE corrente.",
    "Colloquio in sede con la mediatrice: chiarito l'obbligo di comunicare le variazioni; "
    "accompagnamento al patronato per il ricorso.",
    "Appuntamento al CPI riprogrammato; il nucleo ha firmato il patto di servizio.",
    "Visita domiciliare: orientamento ai contributi comunali per l'affitto nell'attesa.",
]
INCOME = "Assegno di inclusione accolto dall'INPS; nessun altro reddito da lavoro stabile."


@dataclass
class ApplicationSpec:
    external_id: str
    household: str  # the demo household's external id ("": the applicant lives alone)
    applicant: str  # the reference person's external id
    comune: str  # ISTAT code
    measure: str
    status: str
    then: str  # "", "case", "preassessed", "followed"
    submitted_on: datetime.date
    outcome_on: datetime.date | None = None
    reason: str = ""
    note: str = ""
    followed_on: datetime.date | None = None
    follow_up_note: str = ""
    preassessed_on: datetime.date | None = None
    need: str = ""
    signed_on: datetime.date | None = None  # the social project's signature


def _days(day: datetime.date, n: int) -> datetime.date:
    return day + datetime.timedelta(days=n)


class BenefitPlanner:
    """Plans the applications of the eligible `units` (PlanBuilder's) as of `today`."""

    def __init__(self, units, today: datetime.date, taken: set[str], seed: int = SEED):
        """`taken`: the external ids of the persons and households with a case of the
        pathway (demo.cases): they apply for nothing here. The households of several
        first, then adults alone (a household of one for INPS: recorded when they apply)."""
        self.rng = random.Random(seed)
        self.today = today
        eligible = [
            u
            for u in units
            if u.members[0].data["age"] >= 18
            and u.members[0].network_consent
            and u.household_id not in taken
            and not any(m.external_id in taken for m in u.members)
        ]
        self.units = [u for u in eligible if u.household_id] + [
            u for u in eligible if not u.household_id
        ]

    def build(self) -> list[ApplicationSpec]:
        rng, today = self.rng, self.today
        turns = {status: 0 for status in REASONS}
        specs = []
        for number, (unit, (status, then)) in enumerate(
            zip(self.units, PLAN, strict=False), start=1
        ):
            reference = unit.members[0]
            if status == PROCESSING:
                submitted = _days(today, -rng.randint(3, 40))
            elif then in ("case", "preassessed"):
                # Recent enough for the case's pathway to be under way this year.
                submitted = _days(today, -rng.randint(60, 200))
            else:
                submitted = _days(today, -rng.randint(45, WINDOW))
            spec = ApplicationSpec(
                external_id=f"{PREFIX}{number:03d}",
                household=unit.household_id or "",
                applicant=reference.external_id,
                comune=reference.data["comune"],
                measure=Measure.OTHER if number % 9 == 0 else Measure.ADI,
                status=status,
                then=then,
                submitted_on=submitted,
            )
            if status != PROCESSING:
                # INPS answers within a month or so; a revocation comes months later.
                late = status == LAPSED
                spec.outcome_on = min(
                    _days(submitted, rng.randint(60, 120) if late else rng.randint(15, 40)),
                    _days(today, -1),
                )
            if status in REASONS:
                reasons = REASONS[status]
                spec.reason, spec.note = reasons[turns[status] % len(reasons)]
                turns[status] += 1
            if then == "followed":
                spec.followed_on = min(_days(spec.outcome_on, rng.randint(3, 25)), today)
                spec.follow_up_note = rng.choice(FOLLOW_UPS)
            if then in ("preassessed", "project"):
                spec.preassessed_on = min(_days(spec.outcome_on, rng.randint(7, 35)), today)
                spec.need = "social" if then == "project" else rng.choice(("social", "complex"))
            if then == "project":
                spec.signed_on = min(_days(spec.preassessed_on, rng.randint(5, 20)), today)
            specs.append(spec)
        return specs


def load_benefits(units, *, users: dict, network: dict, today: datetime.date) -> dict:
    """Write the planned applications through the services (see the module's doc); the
    counts of what was written."""
    taken = set(
        Case.objects.exclude(origin=Origin.BENEFIT).values_list("person__external_id", flat=True)
    ) | set(
        Case.objects.exclude(origin=Origin.BENEFIT)
        .exclude(household__isnull=True)
        .values_list("household__external_id", flat=True)
    )
    specs = BenefitPlanner(units, today, taken - {None}).build()
    existing = set(
        BenefitApplication.objects.filter(external_id__startswith=PREFIX).values_list(
            "external_id", flat=True
        )
    )
    specs = [s for s in specs if s.external_id not in existing]
    households = Household.objects.in_bulk(
        [s.household for s in specs if s.household], field_name="external_id"
    )
    persons = Person.objects.in_bulk([s.applicant for s in specs], field_name="external_id")
    clerk, social_worker = users["amministrativo"], users["assistente"]
    counts = dict.fromkeys(("applications", "follow_ups", "cases", "preassessed", "projects"), 0)
    for spec in specs:
        applicant = persons[spec.applicant]
        household = households.get(spec.household) or applicant.household
        if household is None:
            # Alone: a household of one, as INPS assesses it.
            household = household_create(actor=clerk, reference_person=applicant)
            applicant.refresh_from_db()
        application = benefit_application_add(
            actor=clerk,
            household=household,
            applicant=applicant,
            comune=network["comuni"][spec.comune],
            measure=spec.measure,
            submitted_on=spec.submitted_on,
            external_id=spec.external_id,
        )
        counts["applications"] += 1
        if spec.status != PROCESSING:
            application = benefit_application_record_outcome(
                actor=clerk,
                application=application,
                status=spec.status,
                outcome_on=spec.outcome_on,
                reason=spec.reason,
                note=spec.note,
            )
        if spec.followed_on:
            benefit_application_follow_up(
                actor=social_worker,
                application=application,
                on=spec.followed_on,
                note=spec.follow_up_note,
            )
            counts["follow_ups"] += 1
        if spec.then in ("case", "preassessed", "project"):
            case = case_open_from_benefit(
                actor=social_worker,
                application=application,
                organisation=network["organisations"]["SDS-PI"],
            )
            counts["cases"] += 1
            if spec.preassessed_on:
                case_preassess(
                    actor=social_worker,
                    case=case,
                    on=spec.preassessed_on,
                    need_class=spec.need,
                    area="economic_hardship",
                    social_worker=social_worker,
                    cpi_consultant=users["consulente"],
                    income_and_benefits=INCOME,
                )
                counts["preassessed"] += 1
            if spec.signed_on:
                _sign_project(case, social_worker, spec.signed_on)
                counts["projects"] += 1
    return counts


def _sign_project(case, social_worker, signed_on: datetime.date) -> None:
    """The social project of a household on the ADI: drafted and signed by its social
    worker (a social need: no validation by the coordination group)."""
    plan = plan_get_or_create(actor=social_worker, case=case)
    version = plan_draft_save(
        actor=social_worker,
        plan=plan,
        expected_revision=latest_version(plan).revision,
        person_commitments=(
            "Presentarsi ai colloqui concordati; comunicare all'INPS ogni variazione del "
            "nucleo e del reddito."
        ),
        service_commitments="Orientamento al lavoro con il CPI; contributo comunale per l'affitto.",
        objectives=[{"dimension": "income", "text": "Stabilizzare il reddito del nucleo"}],
        actions=[
            {
                "description": "Iscrizione al SIISL e primo colloquio al CPI",
                "responsible_user": social_worker,
                "responsible_organisation": None,
                "due_on": None,
                "objective": 1,
            }
        ],
    )
    plan_sign(actor=social_worker, version=version, signed_on=signed_on, operators=[social_worker])
