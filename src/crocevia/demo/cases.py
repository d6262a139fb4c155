"""The cases of the demo: the pathway of PATHWAY.md, at every stage, over ten months.

`CaseBuilder` plans the cases as plain data (deterministic for a given set of persons and
day, from its own random.Random so the persons of the demo do not change); `CaseLoader`
writes them through the services of cases, assessments, plans, interventions and the
follow-up, with the demo's operators as actors, in the order things happen on the
pathway. Every date is on or after the one before it and never after today.

Recognised by Case.external_id ("demo-case-001"; set with the ORM right after the case
opens, as no service takes it) and, for meetings, by zone, kind, day and author: a second
run adds nothing.
"""

import datetime
import random
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from crocevia.accounts.models import Membership
from crocevia.assessments.preassessment import case_preassess
from crocevia.assessments.services import assessment_record
from crocevia.cases.models import Case, Priority, Review, TeamMember
from crocevia.cases.services import (
    case_close,
    case_form_team,
    case_open_direct,
    case_open_from_contact,
    case_set_manager,
    case_set_priority,
    closure_open_items,
    review_record,
    review_schedule,
    team_member_add,
)
from crocevia.desk.models import Contact
from crocevia.interventions.models import InterventionType
from crocevia.interventions.services import intervention_add, intervention_start
from crocevia.meetings.models import Meeting
from crocevia.meetings.services import meeting_record
from crocevia.people.models import Person
from crocevia.plans.services import (
    latest_version,
    plan_draft_save,
    plan_get_or_create,
    plan_return,
    plan_sign,
    plan_submit,
    plan_validate,
)
from crocevia.programmes.models import BudgetAction

from .programmes import CURRENT_CODE

SEED = 2027  # not the persons' seed: adding cases must not change the persons
CASE_PREFIX = "demo-case-"
DEFAULT_CASES = 60
WINDOW = 300  # days: the cases open over the last ten months

REFERRED, PREASSESSED, TEAM_FORMED, ASSESSED = "referred", "preassessed", "team_formed", "assessed"
PLAN_SIGNED, IN_PROGRESS, CLOSED = "plan_signed", "in_progress", "closed"
STAGES = [REFERRED, PREASSESSED, TEAM_FORMED, ASSESSED, PLAN_SIGNED, IN_PROGRESS, CLOSED]
# Share of each stage among the demo cases (~60): most are under way or closed.
STAGE_MIX = {
    REFERRED: 6,
    PREASSESSED: 9,
    TEAM_FORMED: 3,
    ASSESSED: 3,
    PLAN_SIGNED: 6,
    IN_PROGRESS: 19,
    CLOSED: 14,
}
NEEDS_FOR = {
    PREASSESSED: ("complex", "work", "social"),
    TEAM_FORMED: ("complex",),
    ASSESSED: ("complex",),
    PLAN_SIGNED: ("complex", "work", "social"),
    IN_PROGRESS: ("complex", "work", "social", "complex", "social", "work", "complex"),
    CLOSED: ("complex", "work", "social"),
}
# (outcome, stage the case had reached when it closed)
CLOSURES = [
    ("employed", IN_PROGRESS),
    ("autonomous", IN_PROGRESS),
    ("dropped_out", PREASSESSED),
    ("traineeship", IN_PROGRESS),
    ("moved_away", PLAN_SIGNED),
    ("training", IN_PROGRESS),
    ("employed", IN_PROGRESS),
    ("other", IN_PROGRESS),
    ("dropped_out", IN_PROGRESS),
    ("autonomous", IN_PROGRESS),
]
CLOSING_NOTES = {
    "employed": "Assunto/a a tempo determinato (12 mesi) al termine del tirocinio.",
    "autonomous": "Obiettivi raggiunti: reddito da lavoro stabile e alloggio in affitto.",
    "dropped_out": "Non si è più presentato/a ai colloqui nonostante tre convocazioni.",
    "traineeship": "Tirocinio extracurricolare avviato; il CPI segue il percorso.",
    "moved_away": "Trasferito/a con la famiglia in un'altra regione; avvisati i servizi.",
    "training": "Iscritto/a a un corso di formazione professionale di 600 ore.",
    "other": "Rientrato/a temporaneamente nel paese d'origine per motivi familiari.",
}

# Days between milestones: (min, max).
STEP_DAYS = {
    "preassessed_on": (4, 28),
    "team_formed_on": (6, 21),
    "assessed_on": (5, 18),
    "plan_signed_on": (6, 20),
    "plan_started_on": (3, 18),
    "closed_on": (45, 170),
}
EARLY_CLOSE_DAYS = (12, 60)  # a case closed before its plan started
# Days a case has been waiting in its current stage, today: (min, max).
DWELL = {
    REFERRED: (2, 40),
    PREASSESSED: (3, 45),
    TEAM_FORMED: (2, 20),
    ASSESSED: (2, 20),
    PLAN_SIGNED: (2, 25),
    IN_PROGRESS: (20, 200),
    CLOSED: (3, 140),
}

DIMENSIONS = ("work", "training", "italian", "housing", "health", "family", "income", "legal")
ITALIAN_SCORE = {"none": 1, "pre_a1": 1, "A1": 2, "A2": 3, "B1": 4, "B2": 5, "C1": 5, "C2": 5}

# --- section A -----------------------------------------------------------------------------

INCOME = [
    "Nessun reddito da sei mesi; ha chiesto l'Assegno di inclusione (ADI).",
    "Lavori saltuari senza contratto, circa 400 € al mese.",
    "Reddito del coniuge, operaio a tempo determinato: circa 1.100 € al mese.",
    "Percepisce l'Assegno di inclusione da marzo (480 € al mese).",
    "NASpI in scadenza a fine mese; nessun'altra entrata.",
    "Solo l'Assegno unico per i figli.",
    "Contributo affitto del Comune l'anno scorso; oggi nessun reddito da lavoro.",
    "Pocket money del centro di accoglienza fino al mese scorso.",
    "Part-time a 20 ore come addetto/a alle pulizie, 650 € al mese.",
]
WORK = {
    "construction": "Manovale edile per quattro anni con contratti a termine; fermo da un anno.",
    "agriculture": "Bracciante stagionale nella raccolta (vendemmia, ortaggi) nel Valdarno.",
    "logistics": "Magazziniere in una cooperativa all'Interporto di Guasticce.",
    "manufacturing": "Operaio in una conceria di Santa Croce, contratto non rinnovato.",
    "catering": "Aiuto cuoco e lavapiatti in ristoranti del centro di Pisa.",
    "cleaning": "Addetto/a alle pulizie per una cooperativa, 15 ore settimanali.",
    "retail": "Commesso/a in un minimarket, senza contratto regolare.",
    "care": "Assistente familiare convivente per tre anni; la persona assistita è deceduta.",
    "health": "OSS nel paese d'origine; titolo non riconosciuto in Italia.",
}
NO_WORK = "Nessuna esperienza di lavoro in Italia; nel paese d'origine agricoltore/trice."
SKILLS = [
    "Patente B",
    "Licenza media nel paese d'origine",
    "Diploma di ragioneria (non riconosciuto)",
    "Attestato HACCP",
    "Uso di base del computer",
    "Corso sulla sicurezza sul lavoro (4 ore)",
    "Saldatura, esperienza nel paese d'origine",
    "Patentino del muletto (scaduto)",
    "Sartoria",
    "Lingua inglese fluente",
]
HOUSING = {"rented": 35, "guest": 20, "precarious": 14, "reception": 10, "social": 10, "owned": 3}
HOUSING_NOTES = {
    "rented": [
        "Affitto 550 € al mese; sfratto per morosità notificato a gennaio.",
        "Bilocale in affitto a Cascina, 480 € più le utenze.",
        "Affitto regolare ma sovraffollato (sei persone in due stanze).",
    ],
    "guest": [
        "Ospite di un cugino, deve lasciare l'alloggio entro l'estate.",
        "Ospite di connazionali, senza contratto né residenza.",
    ],
    "precarious": [
        "Dorme in auto o da amici; usa il dormitorio nei mesi invernali.",
        "Posto letto a 250 € al mese senza contratto.",
    ],
    "reception": ["Centro di accoglienza straordinaria (CAS) di Pisa, uscita prevista a breve."],
    "social": ["Alloggio ERP a Pisa, canone sociale; arretrati da rateizzare."],
    "owned": ["Casa di proprietà con mutuo; rate arretrate."],
}
HEALTH = [
    "Diabete di tipo 2, in cura presso il medico di base.",
    "Lombalgia cronica: non può sollevare pesi.",
    "Invalidità civile al 46%, in attesa di revisione.",
    "Riferisce insonnia e ansia dopo il viaggio; non seguito/a da servizi.",
]
HEALTH_UFSMA = [
    "Sintomi di stress post-traumatico segnalati dal centro di accoglienza.",
    "Episodi depressivi; in passato seguito/a da uno psichiatra nel paese d'origine.",
]
PERMIT_TEXT = {
    "asylum_seeker": "Richiedente asilo, in attesa dell'audizione in Commissione territoriale.",
    "asylum": "Titolare di protezione internazionale (status di rifugiato).",
    "subsidiary": "Protezione sussidiaria.",
    "special": "Protezione speciale, convertibile in permesso per lavoro.",
    "work": "Permesso di soggiorno per lavoro subordinato.",
    "family": "Permesso di soggiorno per motivi familiari.",
    "eu_long_term": "Permesso UE per soggiornanti di lungo periodo.",
    "study": "Permesso per studio, iscritto/a all'Università di Pisa.",
    "health": "Permesso per cure mediche.",
    "other": "Protezione temporanea (Ucraina).",
}
SERVICES_INVOLVED = [
    "Nessuno.",
    "Sportello immigrati di Pisa (rinnovo del permesso).",
    "Caritas: pacco alimentare mensile.",
    "CPI: DID rilasciata, nessun colloquio successivo.",
    "Servizio sociale professionale per i figli minori.",
    "Progetto SAI di Pisa fino all'anno scorso.",
    "Patronato INCA per la domanda ADI.",
]
RELATION = {"partner": ("marito", "moglie"), "sibling": ("fratello", "sorella")}

# --- section B, plans, interventions ---------------------------------------------------------

OBJECTIVES = {
    "work": [
        "Inserimento lavorativo con un contratto di almeno sei mesi.",
        "Completare un tirocinio e ottenere una proposta di assunzione.",
        "Aggiornare il CV e candidarsi ad almeno dieci offerte.",
    ],
    "training": [
        "Conseguire l'attestato HACCP.",
        "Completare un corso di alfabetizzazione informatica.",
        "Avviare il riconoscimento del titolo di studio.",
    ],
    "italian": [
        "Raggiungere il livello A2 e superare il test per il permesso UE.",
        "Frequentare con regolarità il corso di italiano L2 al CPIA.",
    ],
    "housing": [
        "Trovare un alloggio in affitto sostenibile.",
        "Presentare la domanda per il bando ERP.",
        "Uscire dall'accoglienza con una soluzione abitativa autonoma.",
    ],
    "health": [
        "Iscrizione al Servizio sanitario e scelta del medico di base.",
        "Regolarità nelle visite e nelle cure concordate.",
    ],
    "family": [
        "Iscrivere i figli a scuola e al doposcuola.",
        "Sostegno alla genitorialità con incontri mensili.",
    ],
    "income": [
        "Presentare la domanda di Assegno di inclusione.",
        "Concordare un piano di rientro degli arretrati dell'affitto.",
    ],
    "legal": [
        "Rinnovare il permesso di soggiorno prima della scadenza.",
        "Convertire il permesso in lavoro subordinato.",
    ],
}
# dimension -> [(action, responsible username, responsible organisation code)]
ACTIONS = {
    "work": [
        ("Colloquio di orientamento e bilancio delle competenze", "consulente", "CPI-PI"),
        ("Ricerca dell'azienda ospitante e attivazione del tirocinio", "esperto.lavoro", "CPI-PI"),
    ],
    "training": [("Iscrizione al corso e verifica della frequenza", "tutor.coop", "COOP-APPRODO")],
    "italian": [("Iscrizione al corso di italiano L2 e test d'ingresso", "tutor", "CPIA1-PI")],
    "housing": [
        ("Accompagnamento nella ricerca della casa", "educatore", "COOP-APPRODO"),
        ("Domanda per il bando ERP del Comune", "amministrativo", "COM-PISA"),
    ],
    "health": [("Accompagnamento all'iscrizione al SSN", "mediatrice", "SDS-PI")],
    "family": [("Colloqui con la scuola e con la famiglia", "assistente", "SDS-PI")],
    "income": [("Domanda ADI con il patronato e verifica dell'esito", "assistente", "SDS-PI")],
    "legal": [("Appuntamento in Questura per il rinnovo", "mediatrice", "SDS-PI")],
}
# dimension -> intervention type codes of the seeded catalogue
INTERVENTIONS_FOR = {
    "work": ["tirocinio", "orientamento-cpi", "tirocinio-inclusione", "work-experience"],
    "training": ["voucher-formativo", "formazione", "lab-informatica"],
    "italian": ["italiano-l2", "alfabetizzazione"],
    "housing": ["prossimita", "educativa-territoriale"],
    "health": ["mediazione-culturale"],
    "family": ["socio-educativo-domiciliare", "mediazione-familiare"],
    "income": ["assistenza-economica", "cantieri-sociali"],
    "legal": ["mediazione-culturale"],
}
# code -> (hours, cost in euro or None, days it lasts, the action of the current plan
# paying for it: demo.programmes.CURRENT_ACTIONS; None: the Comune's ordinary funds)
INTERVENTION_TERMS = {
    "tirocinio": (480, "3000.00", 180, "B.1"),
    "orientamento-cpi": (8, None, 30, None),
    "tirocinio-inclusione": (300, "1800.00", 120, "B.1"),
    "work-experience": (240, "1200.00", 90, "B.1"),
    "voucher-formativo": (120, "1500.00", 90, "B.1"),
    "formazione": (80, "960.00", 60, "B.1"),
    "lab-informatica": (30, "450.00", 45, "A.2"),
    "italiano-l2": (100, None, 150, None),
    "alfabetizzazione": (60, "720.00", 120, "A.2"),
    "prossimita": (20, "300.00", 90, "C.1"),
    "educativa-territoriale": (48, "1104.00", 120, "C.1"),
    "mediazione-culturale": (20, "500.00", 90, "A.2"),
    "socio-educativo-domiciliare": (60, "1380.00", 150, "C.1"),
    "mediazione-familiare": (12, "360.00", 90, "C.1"),
    "assistenza-economica": (None, "1200.00", 120, None),
    "cantieri-sociali": (160, "800.00", 90, "C.1"),
}
# Why a case closed with something still open, by outcome (services.closure).
OPEN_ITEMS_REASON = {
    "dropped_out": "La persona ha interrotto il percorso: gli interventi restano sospesi.",
    "moved_away": "Trasferimento in un altro comune: il caso passa al servizio di residenza.",
    "employed": "Assunzione: il percorso si chiude prima della verifica finale.",
    "": "Obiettivi del piano raggiunti; gli interventi residui non sono più necessari.",
}
REVIEW_NOTES = [
    "Frequenza regolare; obiettivi in linea con il piano.",
    "Tirocinio avviato, buon riscontro dell'azienda ospitante.",
    "Difficoltà con gli orari del corso: concordato il turno serale.",
    "Alloggio ancora da trovare; rafforzato l'accompagnamento.",
    "Migliorato l'italiano (test A2 superato); prossimo passo la ricerca attiva.",
    "Situazione stabile; la famiglia partecipa agli incontri.",
]
# The coordination group's reasons for a high (0) and a low (1) access priority.
PRIORITY_NOTES = {
    0: "Nucleo con minori e sfratto in corso: da prendere in carico per primo.",
    1: "Situazione stabile, in attesa dei documenti richiesti alla persona.",
}
# What the coordination group asks of a plan it returns.
RETURN_COMMENTS = (
    "Precisare i tempi del tirocinio e indicare un corso di italiano adatto al livello; "
    "a parità di bisogno, altri progetti della zona prevedono anche l'orientamento al CPI."
)

V2_OBJECTIVES = {
    "work": "Dopo il tirocinio: candidature mirate nel settore della logistica.",
    "training": "Aggiunto il corso per il patentino del muletto.",
    "italian": "Passaggio al corso B1 per il lavoro.",
    "housing": "Domanda per il contributo affitto del Comune.",
    "income": "Piano di rientro degli arretrati concordato con il proprietario.",
    "family": "Centro estivo per i figli durante il tirocinio.",
    "legal": "Conversione del permesso dopo l'assunzione.",
    "health": "Controlli periodici concordati con il medico di base.",
}


@dataclass
class InterventionSpec:
    code: str
    starts_on: datetime.date
    ends_on: datetime.date
    started: bool
    notes: str = ""


@dataclass
class ReviewSpec:
    scheduled_on: datetime.date
    held_on: datetime.date | None = None
    notes: str = ""
    next_on: datetime.date | None = None
    kind: str = "in_itinere"


# The service areas of the demo's cases, in the proportions of the Pisa report (most cases
# are adults in economic hardship); a case's area is picked from its external id.
DEMO_AREAS = (
    *["economic_hardship"] * 5,
    *["housing_emergency"] * 2,
    *["families_prevention"] * 2,
    "child_protection",
    "disability",
    "other",
)


def demo_area(external_id: str) -> str:
    return DEMO_AREAS[zlib.crc32(external_id.encode()) % len(DEMO_AREAS)]


@dataclass
class CaseSpec:
    external_id: str
    person: str  # the demo person's external id
    contact: str | None  # the desk contact sent to level 2, or None (opened directly)
    target: str
    need: str = ""
    milestones: dict[str, datetime.date] = field(default_factory=dict)
    intake: dict = field(default_factory=dict)
    manager: str = ""  # username of the case manager (complex cases)
    members: list[tuple[str, str]] = field(default_factory=list)  # (username, role)
    scores: dict[str, int] = field(default_factory=dict)  # entry scores
    entry_on: datetime.date | None = None
    objectives: list[tuple[str, str]] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    validated_on: datetime.date | None = None
    v2_on: datetime.date | None = None  # a second version drafted and signed on this day
    v2_objective: tuple[str, str] | None = None
    interventions: list[InterventionSpec] = field(default_factory=list)
    reviews: list[ReviewSpec] = field(default_factory=list)
    itinere_on: datetime.date | None = None
    outcome: str = ""
    closing_note: str = ""
    closed_from: str = ""


def _quotas(total: int, weights: dict[str, int]) -> dict[str, int]:
    whole = sum(weights.values())
    raw = {k: total * w / whole for k, w in weights.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[
        : total - sum(counts.values())
    ]:
        counts[k] += 1
    # Every stage shows as soon as there are enough cases for all of them.
    if total >= len(weights):
        for k in weights:
            while counts[k] == 0:
                donor = max(counts, key=counts.get)
                counts[donor] -= 1
                counts[k] += 1
    return counts


def _gendered(text: str, female: bool) -> str:
    """ "Assunto/a", "agricoltore/trice": the form that fits the person."""
    text = re.sub(r"(\w+)o/a\b", r"\1a" if female else r"\1o", text)
    return re.sub(r"(\w+)tore/trice\b", r"\1trice" if female else r"\1tore", text)


def _days(day: datetime.date, n: int) -> datetime.date:
    return day + datetime.timedelta(days=n)


class CaseBuilder:
    """Plans `count` cases for the demo persons (`units` from PlanBuilder) as of `today`."""

    def __init__(self, units, today: datetime.date, count: int, seed: int = SEED):
        self.rng = random.Random(seed)
        self.units = units
        self.today = today
        self.count = count
        self.need_turn = {stage: 0 for stage in STAGES}
        self.closure_turn = 0

    # -- which stage, which person ------------------------------------------------------------

    def _steps(self, target: str, need: str, closed_from: str = "") -> list[str]:
        reached = closed_from or target
        if reached == REFERRED:
            steps = []
        else:
            steps = ["preassessed_on"]
            order = [PREASSESSED, TEAM_FORMED, ASSESSED, PLAN_SIGNED, IN_PROGRESS]
            at = order.index(reached) if reached in order else len(order) - 1
            if need == "complex":
                steps += ["team_formed_on", "assessed_on"][: max(0, at)]
            if at >= order.index(PLAN_SIGNED):
                steps.append("plan_signed_on")
            if at >= order.index(IN_PROGRESS):
                steps.append("plan_started_on")
        if target == CLOSED:
            steps.append("closed_on")
        return steps

    def _next_need(self, target: str) -> str:
        needs = NEEDS_FOR.get(target, ("",))
        return needs[self.need_turn[target] % len(needs)]

    def _next_closure(self) -> tuple[str, str]:
        return CLOSURES[self.closure_turn % len(CLOSURES)]

    def _span(self, target: str) -> tuple[int, int]:
        need = self._next_need(target)
        closed_from = self._next_closure()[1] if target == CLOSED else ""
        steps = self._steps(target, need, closed_from)
        low = sum(STEP_DAYS[s][0] for s in steps) + DWELL[target][0]
        high = sum(STEP_DAYS[s][1] for s in steps) + DWELL[target][1]
        return low, min(high, WINDOW)

    def build(self) -> list[CaseSpec]:
        rng, today = self.rng, self.today
        quotas = _quotas(self.count, STAGE_MIX) if self.count else {}
        people = {}
        for unit in self.units:
            for person in unit.members:
                people[person.external_id] = (person, unit)
        # Only adults who consented to sharing in the network: the CPI consultant of the
        # mini-team is of another organisation than the case's.
        eligible = [
            (p, u)
            for p, u in people.values()
            if p.data["age"] >= 18 and p.network_consent and p.contacts
        ]
        used_people, used_households = set(), set()
        planned: list[tuple[str, str, str | None, int]] = []  # (target, person, contact, age)

        # Cases opened from the desk contacts sent to level 2, oldest first.
        sent = sorted(
            (
                (c.date, p.external_id, c.external_id)
                for p, u in eligible
                for c in p.contacts
                if c.outcome == "second_level" and (today - c.date).days <= WINDOW
            ),
        )
        for day, person_id, contact_id in sent:
            unit = people[person_id][1]
            if person_id in used_people or (unit.household_id in used_households):
                continue
            age = (today - day).days
            fits = [s for s in STAGES if quotas.get(s) and self._fits(s, age)]
            if not fits:
                continue
            target = max(fits, key=lambda s: (quotas[s], -STAGES.index(s)))
            quotas[target] -= 1
            planned.append((target, person_id, contact_id, age))
            self._advance(target)
            used_people.add(person_id)
            if unit.household_id:
                used_households.add(unit.household_id)

        # The others, opened directly by the social worker for persons the desks know.
        rng.shuffle(eligible)
        pool = [
            (p, u)
            for p, u in eligible
            if p.external_id not in used_people and u.household_id not in used_households
        ]
        for target in STAGES:
            for _ in range(quotas.get(target, 0)):
                low, high = self._span(target)
                age = rng.randint(low, max(low, high))
                age = min(age, WINDOW)
                opened = _days(today, -age)
                choice = next(
                    (
                        (p, u)
                        for p, u in pool
                        if p.contacts[0].date <= _days(opened, -7)
                        and (not u.household_id or u.household_id not in used_households)
                    ),
                    None,
                )
                if choice is None:
                    continue
                pool.remove(choice)
                person, unit = choice
                if unit.household_id:
                    used_households.add(unit.household_id)
                planned.append((target, person.external_id, None, age))
                self._advance(target)

        # Number the cases by their opening day, then plan each one's pathway.
        self.need_turn = {stage: 0 for stage in STAGES}
        self.closure_turn = 0
        planned.sort(key=lambda row: (-row[3], row[1]))
        specs = []
        for number, (target, person_id, contact_id, age) in enumerate(planned, start=1):
            spec = CaseSpec(f"{CASE_PREFIX}{number:03d}", person_id, contact_id, target)
            person, unit = people[person_id]
            self._pathway(spec, person, unit, age)
            specs.append(spec)
        # At least one plan in two versions and one ASL physician on a team.
        if specs and not any(s.v2_on for s in specs):
            self._force_second_version(specs)
        return specs

    def _fits(self, target: str, age: int) -> bool:
        low, high = self._span(target)
        return low <= age <= high

    def _advance(self, target: str) -> None:
        self.need_turn[target] += 1
        if target == CLOSED:
            self.closure_turn += 1

    # -- one case ---------------------------------------------------------------------------

    def _pathway(self, spec: CaseSpec, person, unit, age: int) -> None:
        rng, today = self.rng, self.today
        target = spec.target
        spec.need = self._next_need(target) if target != REFERRED else ""
        if target == CLOSED:
            spec.outcome, spec.closed_from = self._next_closure()
            spec.closing_note = _gendered(CLOSING_NOTES[spec.outcome], person.data["sex"] == "F")
        self._advance(target)
        steps = self._steps(target, spec.need, spec.closed_from)
        lengths = []
        for step in steps:
            low, high = STEP_DAYS[step]
            if step == "closed_on" and spec.closed_from != IN_PROGRESS:
                low, high = EARLY_CLOSE_DAYS
            lengths.append(rng.randint(low, high))
        budget = age - DWELL[target][0]
        if sum(lengths) > budget:
            scale = max(budget, len(lengths)) / sum(lengths)
            lengths = [max(1, int(n * scale)) for n in lengths]
        opened = _days(today, -age)
        spec.milestones["referred_on"] = opened
        day = opened
        for step, n in zip(steps, lengths, strict=True):
            day = min(_days(day, n), today)
            spec.milestones[step] = day
        if not spec.need:
            return
        spec.intake = self._intake(spec, person, unit)
        self._scores(spec, person)
        self._team(spec, person)
        self._plan(spec)

    def _intake(self, spec: CaseSpec, person, unit) -> dict:
        rng = self.rng
        data = person.data
        female = data["sex"] == "F"
        others = [m for m in unit.members if m is not person]
        if not others:
            household = rng.choice(
                [
                    f"Vive {'sola' if female else 'solo'}.",
                    f"{'Sola' if female else 'Solo'} in Italia; la famiglia è nel paese d'origine.",
                    "Condivide un appartamento con due connazionali.",
                ]
            )
        else:
            parent = person.relationship in ("reference", "partner")
            parts = []
            for m in others:
                rel, age, she = m.relationship, m.data["age"], m.data["sex"] == "F"
                if rel in ("reference", "partner"):
                    parts.append(("moglie" if she else "marito") if parent else "un genitore")
                elif rel == "child":
                    who = (
                        ("figlia" if she else "figlio")
                        if parent
                        else ("sorella" if she else "fratello")
                    )
                    parts.append(f"{who} di {age} anni")
                else:
                    parts.append("un parente")
            household = f"Nucleo di {len(unit.members)} persone: " + ", ".join(parts) + "."
            household = household.replace("un genitore, un genitore", "i genitori")
        sector = rng.choice(list(WORK))
        work = NO_WORK if rng.random() < 0.12 else WORK[sector]
        housing = rng.choices(list(HOUSING), weights=list(HOUSING.values()))[0]
        country = data["citizenship"]
        if country == "IT":
            legal = "Cittadino/a italiano/a."
        elif country == "RO":
            legal = "Cittadino/a dell'Unione europea, iscritto/a all'anagrafe."
        else:
            legal = PERMIT_TEXT.get(data["permit_type"], "Permesso di soggiorno in corso.")
            expires = data["permit_expires_on"]
            if expires:
                when = "scaduto il" if expires < spec.milestones["referred_on"] else "scade il"
                legal += f" {when[0].upper()}{when[1:]} {expires:%d/%m/%Y}."
        health = ""
        if spec.need == "complex" and rng.random() < 0.4:
            health = rng.choice(HEALTH_UFSMA)
        elif rng.random() < 0.12:
            health = rng.choice(HEALTH)
        texts = {
            "household_composition": household,
            "income_and_benefits": rng.choice(INCOME),
            "work_history": work,
            "skills": "; ".join(rng.sample(SKILLS, rng.randint(1, 3))) + ".",
            "italian_level": data.get("italian_level") or rng.choice(("A2", "B1", "B2")),
            "housing": housing,
            "housing_notes": rng.choice(HOUSING_NOTES[housing]),
            "health_declared": health,
            "legal_status": legal,
            "services_involved": rng.choice(SERVICES_INVOLVED),
        }
        return {k: _gendered(v, female) for k, v in texts.items()}

    def _scores(self, spec: CaseSpec, person) -> None:
        rng = self.rng
        data = person.data
        scores = {d: rng.randint(2, 4) for d in DIMENSIONS}
        scores["italian"] = ITALIAN_SCORE.get(data.get("italian_level") or "C2", 3)
        permit = data["permit_type"]
        scores["legal"] = (
            5 if permit in ("", "eu_long_term") else 2 if permit == "asylum_seeker" else 3
        )
        if spec.need == "work":
            scores["work"] = rng.randint(1, 2)
            scores["training"] = rng.randint(2, 3)
        elif spec.need == "social":
            for d in rng.sample(["housing", "family", "income"], 2):
                scores[d] = rng.randint(1, 2)
        else:
            for d in rng.sample(["work", "housing", "income", "family"], 3):
                scores[d] = rng.randint(1, 2)
        if spec.intake["health_declared"]:
            scores["health"] = rng.randint(1, 2)
        if spec.intake["housing"] == "precarious":
            scores["housing"] = 1
        spec.scores = scores
        m = spec.milestones
        if spec.need == "complex":
            spec.entry_on = m.get("assessed_on")
        elif "plan_signed_on" in m:
            gap = (m["plan_signed_on"] - m["preassessed_on"]).days
            spec.entry_on = _days(m["preassessed_on"], min(3, gap))
        elif spec.target == PREASSESSED and self.rng.random() < 0.5:
            spec.entry_on = m["preassessed_on"]

    def _team(self, spec: CaseSpec, person) -> None:
        if spec.need != "complex" or "team_formed_on" not in spec.milestones:
            return
        rng = self.rng
        work_led = spec.scores["work"] <= 1 and spec.scores["housing"] >= 3
        spec.manager = "consulente" if work_led else "assistente"
        members = [("tutor.coop", "tutor")]
        if spec.intake["health_declared"]:
            members.append(("medico.ufsma", "physician"))
        if person.data["needs_mediator"] or rng.random() < 0.3:
            members.append(("mediatrice", "cultural_mediator"))
        if spec.scores["work"] <= 2 and rng.random() < 0.5:
            members.append(("esperto.lavoro", "labour_policy_expert"))
        if spec.scores["family"] <= 2:
            members.append(("educatore", "educator"))
        spec.members = members

    def _plan(self, spec: CaseSpec) -> None:
        m = spec.milestones
        signed = m.get("plan_signed_on")
        if signed is None:
            return
        rng, today = self.rng, self.today
        end = m.get("closed_on") or today
        ranked = sorted(DIMENSIONS, key=lambda d: (spec.scores[d], rng.random()))
        wanted = {"work": 2, "social": 2, "complex": rng.randint(3, 4)}[spec.need]
        if spec.need == "work":
            dims = ["work"] + [d for d in ranked if d != "work" and d != "health"][: wanted - 1]
        else:
            dims = [d for d in ranked if d != "health" or spec.need == "complex"][:wanted]
        spec.objectives = [(d, rng.choice(OBJECTIVES[d])) for d in dims]
        for index, d in enumerate(dims, start=1):
            for text, user, org in ACTIONS[d][: rng.randint(1, len(ACTIONS[d]))]:
                due = _days(signed, rng.randint(20, 120))
                done = None
                if due <= end and rng.random() < 0.6:
                    done = max(signed, _days(due, -rng.randint(0, 10)))
                spec.actions.append(
                    {
                        "description": text,
                        "user": user,
                        "organisation": org,
                        "due_on": due,
                        "done_on": done,
                        "objective": index,
                    }
                )
        # The draws stay those of before validation came first: the demo does not change.
        if spec.need == "complex" or rng.random() < 0.3:
            gap = rng.randint(2, 10)
            if spec.need == "complex":
                # The coordination group validates an inclusion project before it is signed.
                spec.validated_on = max(_days(signed, -gap), m["assessed_on"])
        started = m.get("plan_started_on")
        if started is None and spec.target == PLAN_SIGNED:
            # Signed, waiting for the first intervention to start; its review is ahead.
            code = rng.choice(INTERVENTIONS_FOR[dims[0]])
            starts = _days(today, rng.randint(5, 20))
            spec.interventions.append(
                InterventionSpec(code, starts, _days(starts, INTERVENTION_TERMS[code][2]), False)
            )
            spec.reviews.append(ReviewSpec(_days(signed, rng.choice((30, 45, 60)))))
            return
        if started is None:
            return
        # The interventions: one per objective (two at most), the first starts the plan.
        for n, d in enumerate(dims[:3]):
            code = rng.choice(INTERVENTIONS_FOR[d])
            if any(i.code == code for i in spec.interventions):
                continue
            starts = started if n == 0 else _days(started, rng.randint(0, 40))
            days = INTERVENTION_TERMS[code][2]
            spec.interventions.append(
                InterventionSpec(code, starts, _days(starts, days), starts <= end)
            )
        # Reviews every 60 days after the signature; some left overdue.
        overdue = spec.target == IN_PROGRESS and rng.random() < 0.35
        scheduled = _days(signed, 60)
        while True:
            hold = _days(scheduled, rng.randint(0, 4))
            if hold > end or (spec.target == CLOSED and hold >= _days(end, -5)):
                if spec.target == IN_PROGRESS or scheduled < end:
                    spec.reviews.append(ReviewSpec(scheduled))
                break
            following = _days(hold, 60)
            review = ReviewSpec(scheduled, hold, rng.choice(REVIEW_NOTES), following)
            if overdue and following <= _days(today, -7):
                spec.reviews.append(review)
                spec.reviews.append(ReviewSpec(following))
                break
            spec.reviews.append(review)
            scheduled = following
        if spec.target == CLOSED and spec.reviews and spec.reviews[-1].held_on is None:
            spec.reviews.pop()  # the closing review takes its place
            if spec.reviews:
                spec.reviews[-1].next_on = None
        held = [r for r in spec.reviews if r.held_on]
        if held:
            spec.itinere_on = held[0].held_on
            if rng.random() < 0.3:
                self._second_version(spec, held[0].held_on, end)
        if spec.target == CLOSED:
            spec.reviews.append(ReviewSpec(_days(end, -3), end, spec.closing_note, None, "exit"))

    def _second_version(self, spec: CaseSpec, day: datetime.date, end: datetime.date) -> None:
        signed = _days(day, self.rng.randint(1, 7))
        if signed <= end and signed <= self.today:
            extra = next((d for d, _t in spec.objectives if d in V2_OBJECTIVES), "work")
            spec.v2_on = signed
            spec.v2_objective = (extra, V2_OBJECTIVES[extra])

    def _force_second_version(self, specs: list[CaseSpec]) -> None:
        for spec in specs:
            held = [r for r in spec.reviews if r.held_on]
            if held and spec.objectives:
                self._second_version(
                    spec, held[0].held_on, spec.milestones.get("closed_on") or self.today
                )
                if spec.v2_on:
                    return
        for spec in specs:
            m = spec.milestones
            if spec.objectives and "plan_started_on" in m:
                self._second_version(spec, m["plan_started_on"], m.get("closed_on") or self.today)
                if spec.v2_on:
                    return


def later_scores(spec: CaseSpec, phase: str) -> dict[str, int]:
    """In itinere and exit scores: better on the plan's dimensions (not for drop-outs)."""
    targeted = {d for d, _t in spec.objectives}
    rng = random.Random(f"{spec.external_id}-{phase}")
    gain = 0 if spec.outcome == "dropped_out" else (1 if phase == "in_itinere" else 2)
    scores = {}
    for d, s in spec.scores.items():
        step = (
            rng.randint(max(0, gain - 1), gain) if d in targeted else rng.randint(0, 1) * (gain > 1)
        )
        scores[d] = min(5, s + step)
    return scores


def intervention_terms(code: str) -> tuple[Decimal | None, Decimal | None, str | None]:
    hours, cost, _days_, funding = INTERVENTION_TERMS[code]
    return (
        Decimal(hours) if hours is not None else None,
        Decimal(cost) if cost is not None else None,
        funding,
    )


# --- loading (services) ----------------------------------------------------------------------

COORDINATION_ATTENDEES = ("coordinatore", "assistente", "consulente", "program.manager")


class CaseLoader:
    """Writes the planned cases through the services, as the demo's operators."""

    def __init__(self, users: dict, network: dict, log, today: datetime.date):
        self.users = users
        self.orgs = network["organisations"]
        self.zone = network["zone"]
        self.log = log
        self.today = today
        self.types = {t.code: t for t in InterventionType.objects.all()}
        # The current plan's actions (demo.programmes, loaded before the cases).
        self.funding_actions = {
            a.code: a for a in BudgetAction.objects.filter(programme__code=CURRENT_CODE)
        }
        self.org_of = {}  # username -> organisation (their demo membership)

        for m in Membership.objects.filter(user__in=users.values()).select_related(
            "organisation", "user"
        ):
            self.org_of.setdefault(m.user.username, m.organisation)
        self.provider_of_kind = {}
        for org in self.orgs.values():
            self.provider_of_kind.setdefault(org.kind, org)
        self.counts = dict(
            cases=0,
            skipped=0,
            assessments=0,
            plans=0,
            versions=0,
            validations=0,
            interventions=0,
            reviews=0,
            priorities=0,
        )
        self.drafts = 0  # plans of assessed cases drafted so far (_draft_plan)

    def load(self, specs: list[CaseSpec]) -> dict:
        existing = set(
            Case.objects.filter(external_id__startswith=CASE_PREFIX).values_list(
                "external_id", flat=True
            )
        )
        persons = {
            p.external_id: p
            for p in Person.objects.filter(external_id__in=[s.person for s in specs])
        }
        contacts = {
            c.external_id: c
            for c in Contact.objects.filter(external_id__in=[s.contact for s in specs if s.contact])
        }
        cases = {}
        for n, spec in enumerate(specs, start=1):
            if spec.external_id in existing:
                self.counts["skipped"] += 1
                continue
            person = persons.get(spec.person)
            if person is None or (spec.contact and spec.contact not in contacts):
                self.counts["skipped"] += 1
                continue
            case = self._case(spec, person, contacts.get(spec.contact))
            self._priority(spec, case)
            cases[spec.external_id] = case
            self.counts["cases"] += 1
            if n % 10 == 0:
                self.log(f"  cases {n}/{len(specs)}…")
        return cases

    # -- one case, in the order of the pathway -------------------------------------------------

    def _case(self, spec: CaseSpec, person, contact):
        u, m = self.users, spec.milestones
        social_worker, coordinator = u["assistente"], u["coordinatore"]
        if contact is not None:
            case = case_open_from_contact(actor=social_worker, contact=contact, on=m["referred_on"])
        else:
            case = case_open_direct(
                actor=social_worker,
                person=person,
                organisation=self.orgs["SDS-PI"],
                referred_on=m["referred_on"],
            )
        # No service takes the external id: set it right after the opening.
        Case.objects.filter(pk=case.pk).update(external_id=spec.external_id)
        case.external_id = spec.external_id
        if "preassessed_on" not in m:
            return case

        case_preassess(
            actor=social_worker,
            case=case,
            on=m["preassessed_on"],
            need_class=spec.need,
            area=demo_area(spec.external_id),
            social_worker=social_worker,
            cpi_consultant=u["consulente"],
            **spec.intake,
        )
        # The work-only case is the CPI's: its consultant writes the pact.
        writer = u["consulente"] if spec.need == "work" else social_worker
        if spec.need != "complex" and spec.entry_on:
            self._assess(spec, case, writer, "entry", spec.entry_on, spec.scores)
        if "team_formed_on" in m:
            manager = u[spec.manager]
            case_set_manager(actor=coordinator, case=case, user=manager)
            for username, role in spec.members:
                team_member_add(
                    actor=coordinator,
                    case=case,
                    user=u[username],
                    organisation=self.org_of[username],
                    role=role,
                    on=m["team_formed_on"],
                )
            case.refresh_from_db()
            case_form_team(actor=coordinator, case=case, on=m["team_formed_on"])
            writer = manager
            if "assessed_on" in m:
                self._assess(spec, case, manager, "entry", m["assessed_on"], spec.scores)
        if "plan_signed_on" in m:
            self._plan(spec, case, writer)
        elif "assessed_on" in m and not m.get("closed_on"):
            self._draft_plan(spec, case, writer)
        if spec.closed_from == IN_PROGRESS and spec.entry_on:
            self._assess(spec, case, writer, "exit", m["closed_on"], later_scores(spec, "exit"))
        if "closed_on" in m:
            case.refresh_from_db()
            # What the pathway left open (an exit review not held, an intervention never
            # ended) is closed over with the reason the operator would give.
            open_items = closure_open_items(case)
            case_close(
                actor=writer,
                case=case,
                on=m["closed_on"],
                outcome=spec.outcome,
                closing_note=spec.closing_note,
                open_items_reason=OPEN_ITEMS_REASON.get(spec.outcome, OPEN_ITEMS_REASON[""])
                if open_items
                else "",
            )
        return case

    def _priority(self, spec: CaseSpec, case) -> None:
        """The coordination group's access priority of some waiting cases (picked from the
        external id, not from the builder's draws): high for one in four, low for one in
        four; the others keep the medium they start with, not set yet."""
        if spec.target not in (REFERRED, PREASSESSED, TEAM_FORMED, ASSESSED):
            return
        turn = zlib.crc32(spec.external_id.encode()) % 4
        if turn > 1:
            return
        case.refresh_from_db()
        case_set_priority(
            actor=self.users["coordinatore"],
            case=case,
            priority=Priority.HIGH if turn == 0 else Priority.LOW,
            note=PRIORITY_NOTES[turn],
        )
        self.counts["priorities"] += 1

    def _draft_plan(self, spec: CaseSpec, case, writer) -> None:
        """The draft plan of an assessed complex case, on its way to the coordination
        group: in turn submitted (waiting for validation), returned with comments, and
        still being written."""
        turn = self.drafts % 3
        self.drafts += 1
        plan = plan_get_or_create(actor=writer, case=case)
        weakest = sorted(DIMENSIONS, key=lambda d: (spec.scores[d], d))[:2]
        objectives = [(d, OBJECTIVES[d][0]) for d in weakest if d in OBJECTIVES]
        plan_draft_save(
            actor=writer,
            plan=plan,
            expected_revision=latest_version(plan).revision,
            person_commitments="Partecipare ai colloqui e alle attività concordate.",
            service_commitments="Attivare gli interventi previsti e verificare il piano.",
            objectives=[{"dimension": d, "text": t} for d, t in objectives],
            actions=[],
        )
        self.counts["plans"] += 1
        if turn == 2:
            return
        assessed = spec.milestones["assessed_on"]
        submitted = min(_days(assessed, 2), self.today)
        plan_submit(actor=writer, plan=plan, on=submitted)
        if turn == 1:
            plan_return(
                actor=self.users["coordinatore"],
                plan=plan,
                on=min(_days(submitted, 5), self.today),
                comments=RETURN_COMMENTS,
            )

    def _assess(self, spec, case, actor, phase, day, scores) -> None:
        notes = {
            "entry": "Valutazione d'ingresso dell'équipe.",
            "in_itinere": "Valutazione in itinere alla verifica del piano.",
            "exit": "Valutazione in uscita alla chiusura del caso.",
        }[phase]
        assessment_record(
            actor=actor,
            case=case,
            phase=phase,
            assessed_on=day,
            scores={d: (s, "") for d, s in scores.items()},
            notes=notes,
        )
        self.counts["assessments"] += 1
        case.refresh_from_db()

    def _items(self, spec: CaseSpec, objectives, actions) -> tuple[list, list]:
        return (
            [{"dimension": d, "text": t} for d, t in objectives],
            [
                {
                    "description": a["description"],
                    "responsible_user": self.users[a["user"]],
                    "responsible_organisation": self.orgs[a["organisation"]],
                    "due_on": a["due_on"],
                    "done_on": a["done_on"],
                    "objective": a["objective"],
                }
                for a in actions
            ],
        )

    def _plan(self, spec: CaseSpec, case, writer) -> None:
        m = spec.milestones
        plan = plan_get_or_create(actor=writer, case=case)
        objectives, actions = self._items(spec, spec.objectives, spec.actions)
        person_commitments = (
            "Partecipare ai colloqui e alle attività concordate; comunicare ogni cambiamento "
            "della situazione familiare, abitativa o di lavoro."
        )
        service_commitments = (
            "Attivare gli interventi previsti entro i tempi indicati e verificare il piano "
            "ogni due mesi con la persona."
        )
        version = plan_draft_save(
            actor=writer,
            plan=plan,
            expected_revision=latest_version(plan).revision,
            person_commitments=person_commitments,
            service_commitments=service_commitments,
            objectives=objectives,
            actions=actions,
        )
        signers = [
            t.user
            for t in TeamMember.objects.filter(case=case, removed_on__isnull=True).select_related(
                "user"
            )
        ]
        if spec.validated_on:
            # The case manager submits the draft; the coordination group validates it.
            submitted = max(m["assessed_on"], _days(spec.validated_on, -3))
            plan_submit(actor=writer, plan=plan, on=submitted)
            plan_validate(actor=self.users["coordinatore"], plan=plan, on=spec.validated_on)
            self.counts["validations"] += 1
        plan_sign(actor=writer, version=version, signed_on=m["plan_signed_on"], operators=signers)
        self.counts["plans"] += 1
        self.counts["versions"] += 1
        case.refresh_from_db()

        for item in spec.interventions:
            hours, cost, action_code = intervention_terms(item.code)
            kind = self.types[item.code].provider_kind
            terms = dict(
                actor=writer,
                case=case,
                type=self.types[item.code],
                provider=self.provider_of_kind[kind],
                starts_on=item.starts_on,
                ends_on=item.ends_on,
                hours=hours,
                cost=cost,
                notes=item.notes,
            )
            action = self.funding_actions.get(action_code)
            try:
                intervention = intervention_add(**terms, funding_action=action)
            except ValidationError:
                if action is None:
                    raise
                # Started before the plan, or beyond what remains of the action: paid
                # from ordinary funds, as an operator would record it.
                intervention = intervention_add(**terms)
            self.counts["interventions"] += 1
            if item.started:
                intervention_start(actor=writer, intervention=intervention, on=item.starts_on)
        case.refresh_from_db()

        review = None
        for item in spec.reviews:
            if item.kind == "exit":
                review = review_schedule(
                    actor=writer, case=case, scheduled_on=item.scheduled_on, kind=Review.Kind.EXIT
                )
            elif review is None:
                review = review_schedule(actor=writer, case=case, scheduled_on=item.scheduled_on)
            else:  # scheduled by the previous review's next_on
                review = Review.objects.get(
                    case=case, held_on__isnull=True, scheduled_on=item.scheduled_on
                )
            self.counts["reviews"] += 1
            if item.held_on is None:
                continue
            review_record(
                actor=writer,
                review=review,
                held_on=item.held_on,
                notes=item.notes,
                next_on=item.next_on,
            )
            if item.held_on == spec.itinere_on and spec.entry_on:
                self._assess(
                    spec, case, writer, "in_itinere", item.held_on, later_scores(spec, "in_itinere")
                )
            if spec.v2_on and item.held_on == spec.itinere_on:
                self._second_version(spec, plan, writer, signers)
        if spec.v2_on and spec.itinere_on is None:
            self._second_version(spec, plan, writer, signers)

    def _second_version(self, spec: CaseSpec, plan, writer, signers) -> None:
        current = latest_version(plan)
        objectives = [*spec.objectives, spec.v2_objective]
        changed = [dict(a) for a in spec.actions]
        if changed:
            # The first open action gets more time after the review.
            late = next((a for a in changed if not a["done_on"]), changed[0])
            late["due_on"] = max(late["due_on"], _days(spec.v2_on, 45))
        owner = next(a for a in ACTIONS[spec.v2_objective[0]])
        changed.append(
            {
                "description": owner[0],
                "user": owner[1],
                "organisation": owner[2],
                "due_on": _days(spec.v2_on, 60),
                "done_on": None,
                "objective": len(objectives),
            }
        )
        items = self._items(spec, objectives, changed)
        version = plan_draft_save(
            actor=writer,
            plan=plan,
            expected_revision=current.revision,
            person_commitments=current.person_commitments,
            service_commitments=current.service_commitments + " Piano rimodulato dopo la verifica.",
            objectives=items[0],
            actions=items[1],
        )
        if plan.requires_validation:
            plan_submit(actor=writer, plan=plan, on=spec.v2_on)
            plan_validate(actor=self.users["coordinatore"], plan=plan, on=spec.v2_on)
            self.counts["validations"] += 1
        plan_sign(actor=writer, version=version, signed_on=spec.v2_on, operators=signers)
        self.counts["versions"] += 1

    # -- meetings -------------------------------------------------------------------------------

    def meetings(self, specs: list[CaseSpec]) -> int:
        """Coordination group every four weeks and team meetings every month, with minutes."""
        by_id = {
            c.external_id: c
            for c in Case.objects.filter(external_id__startswith=CASE_PREFIX).select_related(
                "person"
            )
        }
        complex_specs = [s for s in specs if s.need == "complex" and s.external_id in by_id]
        if not complex_specs:
            return 0
        u, today = self.users, self.today
        created = 0

        def record(actor, kind, day, attendees, cases, notes, items):
            """`items`: {case pk: {"minutes", "decisions"}}, what was said of each case
            (read only by who may see it); `notes` are general, never about a person."""
            nonlocal created
            if Meeting.objects.filter(
                zone=self.zone, kind=kind, held_on=day, created_by=actor
            ).exists():
                return
            meeting_record(
                actor=actor,
                zone=self.zone,
                kind=kind,
                held_on=day,
                attendees=attendees,
                cases=cases,
                notes=notes,
                items=items,
            )
            created += 1

        # Coordination group: the complex cases pre-assessed since the last meeting.
        day = _days(today, -WINDOW + 20)
        day = _days(day, (1 - day.weekday()) % 7)  # a Tuesday
        previous = _days(day, -28)
        while day <= today:
            waiting = [s for s in complex_specs if previous < s.milestones["preassessed_on"] <= day]
            signed = [
                s for s in complex_specs if s.validated_on and previous < s.validated_on <= day
            ]
            if waiting or signed:
                items = {}
                for s in waiting:
                    case = by_id[s.external_id]
                    if s.manager and s.milestones.get("team_formed_on", today) <= _days(day, 21):
                        who = u[s.manager].get_full_name()
                        items[case.pk] = {
                            "minutes": "Caso complesso pre-valutato dal mini-team.",
                            "decisions": (
                                f"Case manager {who}; équipe con "
                                f"{len(s.members) + 2} operatori di più enti."
                            ),
                        }
                    else:
                        items[case.pk] = {
                            "minutes": "Documentazione incompleta.",
                            "decisions": "Rinviato, documentazione da completare.",
                        }
                for s in signed:
                    case = by_id[s.external_id]
                    items.setdefault(
                        case.pk,
                        {
                            "minutes": "Progetto presentato dal case manager.",
                            "decisions": "Validato senza osservazioni.",
                        },
                    )
                notes = (
                    f"Esaminati {len(waiting)} casi complessi pre-valutati dal mini-team"
                    + (f" e {len(signed)} progetti da validare" if signed else "")
                    + ". Verificata l'omogeneità dell'offerta tra bisogni simili."
                )
                record(
                    u["coordinatore"],
                    Meeting.Kind.COORDINATION,
                    day,
                    [u[n] for n in COORDINATION_ATTENDEES],
                    [by_id[s.external_id] for s in waiting + signed],
                    notes,
                    items,
                )
            previous, day = day, _days(day, 28)

        # Team meetings: the social worker gathers the teams of the cases under way.
        day = (
            min(
                s.milestones["team_formed_on"]
                for s in complex_specs
                if "team_formed_on" in s.milestones
            )
            if any("team_formed_on" in s.milestones for s in complex_specs)
            else None
        )
        while day is not None and (day := _days(day, 30)) <= today:
            active = [
                s
                for s in complex_specs
                if s.milestones.get("team_formed_on", today) < day
                and "team_formed_on" in s.milestones
                and (s.milestones.get("closed_on") is None or s.milestones["closed_on"] >= day)
            ]
            if not active:
                continue
            cases = [by_id[s.external_id] for s in active]
            attendees = {
                t.user
                for t in TeamMember.objects.filter(
                    case__in=cases, removed_on__isnull=True
                ).select_related("user")
            }
            items = {
                by_id[s.external_id].pk: {
                    "minutes": self.rng_note(s, day).capitalize(),
                    "decisions": "",
                }
                for s in active
            }
            record(
                u["assistente"],
                Meeting.Kind.TEAM,
                day,
                sorted(attendees, key=lambda x: x.pk),
                cases,
                f"Aggiornati {len(active)} progetti in corso. Prossima riunione d'équipe tra "
                "un mese.",
                items,
            )
        return created

    @staticmethod
    def rng_note(spec: CaseSpec, day: datetime.date) -> str:
        m = spec.milestones
        if m.get("plan_started_on") and m["plan_started_on"] <= day:
            return "interventi in corso, aggiornati obiettivi e scadenze."
        if m.get("plan_signed_on") and m["plan_signed_on"] <= day:
            return "progetto firmato, in attesa dell'avvio degli interventi."
        if m.get("assessed_on") and m["assessed_on"] <= day:
            return "valutazione completata, bozza del progetto in discussione."
        return "valutazione multidimensionale in corso."
