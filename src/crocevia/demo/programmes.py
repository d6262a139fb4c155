"""Demo data: the TEAMS programme (seed 000) and the Pistoia Poverty Fund plan (seed 002).

`seed_demo(coordinator=..., zone=...)` is called at the end of `crocevia demo`, after the
cases exist. Everything goes through the services (so it is validated and audited), and a
second run changes nothing: programmes, actions and targets are looked up by their codes,
the demo expenditures by their document reference.
"""

import datetime
from decimal import Decimal

from crocevia.accounts.models import User
from crocevia.cases.models import Case
from crocevia.network.models import Comune, Organisation, Zone
from crocevia.programmes import services
from crocevia.programmes.models import BudgetAction, Enrolment, Expenditure, Fund, Programme

SDS_PISANA = "SDS-PI"  # the demo's SdS (demo/management/commands/demo.py)

# Partners of TEAMS; the agreements helper gets or creates the same codes.
PARTNERS = [
    # code, name, kind, zone code, zone name
    ("COM-LIVORNO", "Comune di Livorno", Organisation.Kind.COMUNE, "ZLI", "Zona Livornese"),
    (
        "COESO-GR",
        "COeSO Società della Salute dell'Area Socio-Sanitaria Grossetana",
        Organisation.Kind.SDS,
        "ZGR",
        "Zona Grossetana",
    ),
    (
        "SDS-LUNIG",
        "Società della Salute della Lunigiana",
        Organisation.Kind.SDS,
        "ZLU",
        "Lunigiana",
    ),
]

TEAMS_CODE = "FAMI-TEAMS"
TEAMS_START, TEAMS_END = datetime.date(2018, 10, 1), datetime.date(2020, 12, 31)
TEAMS_SERVICE_QUARTERS = [f"{y}-Q{q}" for y in (2019, 2020) for q in (1, 2, 3, 4)]
# code, title, organisation, amount, planned quarters
TEAMS_ACTIONS = [
    (
        "PI-1",
        "Organizzazione e potenziamento dell'attività del servizio di informazione e "
        "consulenza per cittadini stranieri",
        SDS_PISANA,
        "9450.65",
        TEAMS_SERVICE_QUARTERS,
    ),
    (
        "PI-2",
        "Empowerment dell'attività da sportello immigrati a sportello/PUA di 2° livello",
        SDS_PISANA,
        "27050.65",
        TEAMS_SERVICE_QUARTERS,
    ),
    (
        "PI-3",
        "Sperimentazione dei modelli di presa in carico integrata",
        SDS_PISANA,
        "17600.00",
        TEAMS_SERVICE_QUARTERS,
    ),
    (
        "PI-4",
        "Supporto all'apprendimento della lingua italiana (solo corsi)",
        SDS_PISANA,
        "10000.00",
        ["2019-Q4", "2020-Q1", "2020-Q2", "2020-Q3"],
    ),
    # COeSO's own five lines add up to the € 30.000 of the convention.
    (
        "GR-1",
        "Organizzazione e potenziamento dell'attività del servizio sociale",
        "COESO-GR",
        "6451.00",
        TEAMS_SERVICE_QUARTERS,
    ),
    (
        "GR-2",
        "Qualificazione delle competenze del personale",
        "COESO-GR",
        "3599.00",
        ["2019-Q4", "2020-Q1"],
    ),
    (
        "GR-3",
        "Empowerment dell'attività da sportello immigrati a sportello/PUA di 2° livello",
        "COESO-GR",
        "8545.00",
        TEAMS_SERVICE_QUARTERS,
    ),
    (
        "GR-4",
        "Sperimentazione dei modelli di presa in carico integrata",
        "COESO-GR",
        "6451.00",
        TEAMS_SERVICE_QUARTERS,
    ),
    ("GR-5", "Attività amministrativa", "COESO-GR", "4954.00", TEAMS_SERVICE_QUARTERS),
    (
        "LI-1",
        "Convenzione: sperimentazione dei modelli di presa in carico integrata",
        "COM-LIVORNO",
        "30000.00",
        ["2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4"],
    ),
    (
        "MS-1",
        "Convenzione: sperimentazione dei modelli di presa in carico integrata",
        "SDS-LUNIG",
        "30000.00",
        ["2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4"],
    ),
]
TEAMS_TARGETS = {SDS_PISANA: 205, "COM-LIVORNO": 60, "COESO-GR": 60, "SDS-LUNIG": 60}
# action code, date, amount, description, document (the idempotency key)
TEAMS_EXPENDITURES = [
    (
        "PI-1",
        datetime.date(2019, 3, 29),
        "3150.20",
        "Operatore sportello immigrati, I trimestre",
        "DEMO-TEAMS-001",
    ),
    (
        "PI-1",
        datetime.date(2019, 6, 28),
        "3150.20",
        "Operatore sportello immigrati, II trimestre",
        "DEMO-TEAMS-002",
    ),
    (
        "PI-2",
        datetime.date(2019, 9, 30),
        "9016.88",
        "Servizio PUA di 2° livello, III trimestre",
        "DEMO-TEAMS-003",
    ),
    (
        "PI-3",
        datetime.date(2019, 12, 20),
        "5866.67",
        "Assistente sociale TEAMS, quota 2019",
        "DEMO-TEAMS-004",
    ),
    (
        "PI-4",
        datetime.date(2020, 2, 14),
        "2500.00",
        "Corso di italiano per la logistica",
        "DEMO-TEAMS-005",
    ),
    (
        "GR-1",
        datetime.date(2019, 11, 29),
        "2150.33",
        "Assistente sociale a tempo determinato",
        "DEMO-TEAMS-006",
    ),
]

PISTOIA_ZONE = ("ZPT", "Zona Pistoiese")
PISTOIA_COMUNE = ("047014", "Pistoia", "PT", 90363)
PISTOIA_SDS = ("SDS-PT", "Società della Salute Pistoiese")
POVERTY_CODE = "FP-QS-2018-PT"
POVERTY_START, POVERTY_END = datetime.date(2018, 10, 1), datetime.date(2020, 10, 31)
Q2_Q4 = ["2019-Q2", "2019-Q3", "2019-Q4"]
Y2019 = ["2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"]
# Seed 002, section 4 and table 7: code, title, amount, priority code, planned quarters.
# d1 (paid by the Comuni and the SdS), b2 and b3 (paid by PON SIA) have no amount on the
# fund and are not budget lines of this plan.
POVERTY_ACTIONS = [
    (
        "a1",
        "Potenziamento dell'Ufficio Relazioni con il Pubblico comunale (URP)",
        "91774.80",
        "",
        Q2_Q4,
    ),
    ("b1", "Potenziamento del Segretariato Sociale", "99766.80", "", Q2_Q4),
    (
        "c1",
        "Attività di informazione sul potenziamento dei servizi di accesso alle misure di "
        "inclusione",
        "2000.00",
        "",
        ["2019-Q2"],
    ),
    ("a2", "Potenziamento mini-équipe", "99766.80", "", Q2_Q4),
    ("c2", "Dotazione strumentale – acquisti", "7500.00", "A.2.b", ["2018-Q4", "2019-Q1"]),
    ("d2", "Attività di formazione", "3000.00", "A.1.d", Y2019),
    ("a3", "Individuazione di un program manager", "59860.08", "", ["2019-Q1"]),
    ("c3", "Dotazione strumentale – acquisti", "5000.00", "A.1.b", Y2019),
    ("d3", "Attività di formazione – empowerment degli operatori sociali", "3000.00", "", Y2019),
    ("a4", "Sostegno socio-educativo domiciliare", "15000.00", "A.1.c.2", Y2019),
    (
        "b4",
        "Assistenza educativa territoriale per l'occupabilità e l'inclusione sociale",
        "115724.16",
        "",
        Y2019,
    ),
    (
        "c4",
        "Sostegno alla genitorialità e servizio di mediazione familiare",
        "42552.88",
        "A.1.c.3",
        Y2019,
    ),
    ("d4", "Servizi di alfabetizzazione per famiglie di immigrati", "4000.00", "A.1.c.4", Y2019),
    ("e4", "Servizio di assistenza domiciliare socio-assistenziale", "20000.00", "A.1.c.5", Y2019),
    ("f4", "Servizio di pronto intervento sociale (SEUS)", "5000.00", "A.1.c.5", Y2019),
    ("g4", "Servizi di prossimità", "15000.00", "A.1.c.5", Y2019),
    (
        "h4",
        "Tirocini finalizzati all'inclusione sociale e work experience",
        "5000.00",
        "B.2.b",
        Y2019,
    ),
]
POVERTY_EXPENDITURES = [
    (
        "a1",
        datetime.date(2019, 6, 30),
        "22943.70",
        "Personale URP, II trimestre 2019",
        "DEMO-FP-001",
    ),
    (
        "b1",
        datetime.date(2019, 6, 30),
        "24941.70",
        "Segretariato sociale, II trimestre 2019",
        "DEMO-FP-002",
    ),
    (
        "c2",
        datetime.date(2019, 2, 15),
        "7320.00",
        "Acquisto PC portatili (convenzione CONSIP)",
        "DEMO-FP-003",
    ),
    ("a3", datetime.date(2019, 12, 31), "14965.02", "Program manager, quota 2019", "DEMO-FP-004"),
]


def _organisation(code, name, kind, zone_code, zone_name) -> Organisation:
    zone, _ = Zone.objects.get_or_create(code=zone_code, defaults={"name": zone_name})
    organisation, _ = Organisation.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "zone": zone}
    )
    return organisation


def _programme(actor, *, code, defaults, lead, partners) -> Programme:
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        programme = services.programme_create(
            actor=actor, code=code, lead_organisation=lead, partners=partners, **defaults
        )
    return programme


def _actions(actor, programme, specs) -> dict[str, BudgetAction]:
    existing = {a.code: a for a in programme.actions.all()}
    for code, title, organisation, amount, priority, quarters in specs:
        if code not in existing:
            existing[code] = services.action_create(
                actor=actor,
                programme=programme,
                code=code,
                title=title,
                responsible_organisation=organisation,
                amount=Decimal(amount),
                priority_code=priority,
                planned_quarters=quarters,
            )
    return existing


def _expenditures(actor, actions, specs) -> None:
    done = set(
        Expenditure.objects.filter(document_reference__in=[s[4] for s in specs]).values_list(
            "document_reference", flat=True
        )
    )
    for code, day, amount, description, document in specs:
        if document not in done:
            services.expenditure_record(
                actor=actor,
                action=actions[code],
                spent_on=day,
                amount=Decimal(amount),
                description=description,
                document_reference=document,
            )


def _administrator():
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def seed_teams(*, coordinator, zone) -> Programme:
    sds = Organisation.objects.get(code=SDS_PISANA)
    partners = {code: _organisation(*spec) for spec in PARTNERS for code in [spec[0]]}
    programme = _programme(
        coordinator,
        code=TEAMS_CODE,
        lead=sds,
        partners=list(partners.values()),
        defaults={
            "name": "TEAMS – Tuscany Empowerment Actions for Migrant System",
            "fund": Fund.FAMI,
            "start_date": TEAMS_START,
            "end_date": TEAMS_END,
            "description": (
                "FAMI 2014-2020, annualità 2018-2020, capofila Regione Toscana. Piano di azione "
                "locale Area Vasta Nord Ovest (PI-LI-MS) e Sud-Est (GR), capofila di zona la "
                "Società della Salute Zona Pisana; convenzione con trasferimento di € 30.000 a "
                "ciascun ente firmatario."
            ),
        },
    )
    organisations = {SDS_PISANA: sds, **partners}
    actions = _actions(
        coordinator,
        programme,
        [(c, t, organisations[o], a, "", q) for c, t, o, a, q in TEAMS_ACTIONS],
    )
    existing_targets = set(programme.targets.values_list("organisation__code", flat=True))
    for code, number in TEAMS_TARGETS.items():
        if code not in existing_targets:
            services.target_set(
                actor=coordinator,
                programme=programme,
                organisation=organisations[code],
                target_number=number,
            )
    _expenditures(coordinator, actions, TEAMS_EXPENDITURES)
    # Cases of the SdS pre-assessed while TEAMS ran count toward it (the demo's own cases
    # are recent: they go to the current plan below).
    if not Enrolment.objects.filter(programme=programme).exists():
        cases = Case.objects.filter(
            organisation=sds, preassessed_on__range=(TEAMS_START, TEAMS_END)
        ).order_by("pk")[:40]
        for case in cases:
            services.case_enrol(actor=coordinator, programme=programme, case=case)
    return programme


def seed_poverty_plan(*, actor) -> Programme:
    zone, _ = Zone.objects.get_or_create(code=PISTOIA_ZONE[0], defaults={"name": PISTOIA_ZONE[1]})
    istat, name, province, population = PISTOIA_COMUNE
    comune, _ = Comune.objects.get_or_create(
        istat_code=istat,
        defaults={"name": name, "province": province, "population": population, "zone": zone},
    )
    sds, _ = Organisation.objects.get_or_create(
        code=PISTOIA_SDS[0],
        defaults={
            "name": PISTOIA_SDS[1],
            "kind": Organisation.Kind.SDS,
            "zone": zone,
            "comune": comune,
        },
    )
    programme = _programme(
        actor,
        code=POVERTY_CODE,
        lead=sds,
        partners=[],
        defaults={
            "name": "Fondo Povertà – Quota servizi 2018: Documento programmatico di zona",
            "fund": Fund.POVERTY_FUND,
            "start_date": POVERTY_START,
            "end_date": POVERTY_END,
            "description": (
                "Documento programmatico di zona per il contrasto alla povertà (art. 13, "
                "d.lgs. 147/2017), approvato dall'Assemblea dei Soci il 30/01/2019. Le azioni "
                "d1 (a carico dei Comuni e della SdS), b2 e b3 (PON SIA) non gravano sul Fondo."
            ),
        },
    )
    actions = _actions(
        actor, programme, [(c, t, sds, a, p, q) for c, t, a, p, q in POVERTY_ACTIONS]
    )
    _expenditures(actor, actions, POVERTY_EXPENDITURES)
    return programme


CURRENT_CODE = "FP-QS-2024-ZPI"
CURRENT_START, CURRENT_END = datetime.date(2025, 1, 1), datetime.date(2026, 12, 31)
CURRENT_QUARTERS = [f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
CURRENT_ACTIONS = [
    # code, title, organisation, amount, funding priority, planned quarters
    ("A.1", "Rafforzamento del servizio sociale professionale", SDS_PISANA, "184500.00",
     "A.1.a", CURRENT_QUARTERS),
    ("A.2", "Mediazione linguistico-culturale nei punti d'accesso", SDS_PISANA, "42000.00",
     "A.1.c.5", CURRENT_QUARTERS),
    ("B.1", "Tirocini di inclusione sociale", "CPI-PI", "96000.00", "B.2.b",
     CURRENT_QUARTERS[2:]),
    ("C.1", "Sostegno socio-educativo domiciliare", "COM-PISA", "61250.50", "A.1.c.2",
     CURRENT_QUARTERS),
]  # fmt: skip
CURRENT_TARGETS = {SDS_PISANA: 120, "CPI-PI": 40}
CURRENT_EXPENDITURES = [
    ("A.1", datetime.date(2025, 3, 31), "23062.50", "Assistenti sociali, I trimestre 2025",
     "DEMO-ZPI-001"),
    ("A.1", datetime.date(2025, 6, 30), "23062.50", "Assistenti sociali, II trimestre 2025",
     "DEMO-ZPI-002"),
    ("A.2", datetime.date(2025, 6, 30), "5250.00", "Mediatori, I semestre 2025",
     "DEMO-ZPI-003"),
    ("B.1", datetime.date(2025, 9, 30), "12000.00", "Indennità tirocini, III trimestre 2025",
     "DEMO-ZPI-004"),
    ("C.1", datetime.date(2025, 12, 31), "7656.31", "Educatori domiciliari, II semestre 2025",
     "DEMO-ZPI-005"),
]  # fmt: skip


def seed_current_plan(*, coordinator) -> Programme:
    """A plan running now (the seeds' programmes ended in 2020), so that the demo's own
    cases, pre-assessed in the last months, show targets being reached."""
    codes = {SDS_PISANA, "CPI-PI", "COM-PISA"}
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    if set(organisations) != codes:
        return None
    programme = _programme(
        coordinator,
        code=CURRENT_CODE,
        lead=organisations[SDS_PISANA],
        partners=[organisations["CPI-PI"], organisations["COM-PISA"]],
        defaults={
            "name": "Fondo Povertà – Quota servizi 2024, Zona Pisana",
            "fund": Fund.POVERTY_FUND,
            "start_date": CURRENT_START,
            "end_date": CURRENT_END,
            "description": (
                "Piano di zona per l'attuazione dei livelli essenziali (servizio sociale "
                "professionale, sostegni del progetto personalizzato) con la quota servizi del "
                "Fondo Povertà; i casi presi in carico nel periodo sono iscritti al piano."
            ),
        },
    )
    actions = _actions(
        coordinator,
        programme,
        [(c, t, organisations[o], a, p, q) for c, t, o, a, p, q in CURRENT_ACTIONS],
    )
    existing_targets = set(programme.targets.values_list("organisation__code", flat=True))
    for code, number in CURRENT_TARGETS.items():
        if code not in existing_targets:
            services.target_set(
                actor=coordinator,
                programme=programme,
                organisation=organisations[code],
                target_number=number,
            )
    _expenditures(coordinator, actions, CURRENT_EXPENDITURES)
    if not Enrolment.objects.filter(programme=programme).exists():
        cases = Case.objects.filter(
            organisation__in=organisations.values(),
            preassessed_on__range=(CURRENT_START, CURRENT_END),
        ).order_by("pk")
        for case in cases:
            services.case_enrol(actor=coordinator, programme=programme, case=case)
    return programme


def seed_demo(*, coordinator, zone) -> list[Programme]:
    """Create TEAMS (managed by the demo's coordinator) and the Pistoia plan (created by the
    demo's administrator: the Pistoia zone has no coordinator in the demo). Idempotent."""
    programmes = [seed_teams(coordinator=coordinator, zone=zone)]
    current = seed_current_plan(coordinator=coordinator)
    if current is not None:
        programmes.append(current)
    administrator = _administrator()
    if administrator is not None:
        programmes.append(seed_poverty_plan(actor=administrator))
    return programmes
