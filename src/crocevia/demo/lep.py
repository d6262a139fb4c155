"""The demo's LEP: a zone of the Metropolitan City of Florence, and the household
obligations (interventions.lep), loaded after the cases.

The LEP's access-point rule is 1 per 70,000 inhabitants in a Comune over 40,000 of a
metropolitan city, 1 per 40,000 elsewhere (network.lep). The demo's own zones are in the
provinces of Pisa, Livorno, Grosseto, Massa-Carrara and Pistoia: `seed_metropolitan_zone`
adds the Zona Fiorentina Nord-Ovest with its Comuni, flagged from their province, so that
the network page and the report show the rule (three Comuni over 40,000: 1 access point
each instead of 2). Written with the ORM, as the demo's network.

The cases of the demo follow its persons, and few households of theirs have a child in its
first thousand days: so that the case pages, the work queue and the coordination page show
both obligations, two households of complex cases gain their youngest child (registered
after the others, as happens), born 400 days before the case's assessment:
- the household of the open complex case assessed last with no intervention started: both
  obligations open (no intervention, no parenting support);
- the household of the complex case in progress assessed last, with an intervention
  started: it gains a parenting-support path too (family mediation, started today or on
  the day the plan started, if later), so the obligation is met.
Through the services of people and interventions, as an operator would record them.
Idempotent: a child whose external id exists is not registered again.
"""

import datetime

from crocevia.cases.models import Case, NeedClass, Stage
from crocevia.interventions.lep import with_lep_obligations
from crocevia.interventions.models import PARENTING_SUPPORT_TYPES, InterventionType
from crocevia.interventions.services import intervention_add, intervention_start
from crocevia.network.models import Comune, Organisation, Zone, metropolitan_by_province
from crocevia.people.models import Consent, Person, Relationship
from crocevia.people.services import (
    consent_record,
    household_add_member,
    household_create,
    person_create,
)

METRO_ZONE = ("ZFN", "Zona Fiorentina Nord-Ovest")
# ISTAT code, name, residents (approximate, 1 January 2018).
METRO_COMUNI = [
    ("048041", "Scandicci", 50645),
    ("048043", "Sesto Fiorentino", 49059),
    ("048006", "Campi Bisenzio", 46702),
    ("048024", "Lastra a Signa", 20044),
    ("048044", "Signa", 19036),
    ("048005", "Calenzano", 17915),
    ("048015", "Fiesole", 14005),
    ("048046", "Vaglia", 5166),
]

OPEN_CHILD = "demo-lep-p-0001"
MET_CHILD = "demo-lep-p-0002"
CHILDREN = (OPEN_CHILD, MET_CHILD)
CHILD_DAYS = 400  # the child's age on the day the case was assessed


def seed_metropolitan_zone() -> Zone:
    """The Zona Fiorentina Nord-Ovest and its Comuni, if missing (see the docstring)."""
    zone, _ = Zone.objects.get_or_create(code=METRO_ZONE[0], defaults={"name": METRO_ZONE[1]})
    for istat, name, population in METRO_COMUNI:
        Comune.objects.get_or_create(
            istat_code=istat,
            defaults={
                "name": name,
                "province": "FI",
                "population": population,
                "zone": zone,
                "in_metropolitan_city": metropolitan_by_province("FI"),
            },
        )
    return zone


def _complex_cases(today: datetime.date):
    return with_lep_obligations(
        Case.objects.filter(
            need_class=NeedClass.COMPLEX, assessed_on__isnull=False, case_manager__isnull=False
        )
        .exclude(stage=Stage.CLOSED)
        .select_related("person", "case_manager", "organisation"),
        on=today,
    ).order_by("-assessed_on", "-pk")


def _add_child(case: Case, external_id: str, today: datetime.date) -> Person:
    """The case's household (the person's own, created if none) gains a child born
    CHILD_DAYS before the assessment, registered by the case manager."""
    actor = case.case_manager
    person = case.person
    household = case.household or person.household
    if household is None:
        household = household_create(actor=actor, reference_person=person)
    child = person_create(
        actor=actor,
        data={
            "external_id": external_id,
            "family_name": person.family_name,
            "given_names": "Sofia" if external_id == OPEN_CHILD else "Adam",
            "sex": "F" if external_id == OPEN_CHILD else "M",
            "birth_date": case.assessed_on - datetime.timedelta(days=CHILD_DAYS),
            "citizenship": person.citizenship,
            "birth_country": "IT",
            "comune": person.comune,
        },
        organisation=case.organisation,
        confirmed_distinct=True,
    )
    household_add_member(
        actor=actor, household=household, person=child, relationship=Relationship.CHILD
    )
    consent_record(
        actor=actor,
        person=child,
        scope=Consent.Scope.PROCESSING,
        given_on=today,
        notes="Espresso dal genitore.",
    )
    return child


def seed_lep_examples(*, today: datetime.date) -> int:
    """Register the two children (see the module's docstring); returns how many."""
    existing = set(
        Person.objects.filter(external_id__in=CHILDREN).values_list("external_id", flat=True)
    )
    added = 0
    cases = list(_complex_cases(today))
    if OPEN_CHILD not in existing:
        case = next((c for c in cases if c.lep_no_intervention and not c.lep_young_child), None)
        if case is not None:
            _add_child(case, OPEN_CHILD, today)
            added += 1
    if MET_CHILD not in existing:
        case = next(
            (
                c
                for c in cases
                if c.stage == Stage.IN_PROGRESS and c.lep_intervention and not c.lep_young_child
            ),
            None,
        )
        if case is not None:
            _add_child(case, MET_CHILD, today)
            kind = InterventionType.objects.get(code=PARENTING_SUPPORT_TYPES[0])
            # Provided by an organisation of the zone of the kind that provides it (the
            # cooperative), as the demo's other interventions.
            provider = (
                Organisation.objects.filter(kind=kind.provider_kind, zone=case.zone_id)
                .order_by("pk")
                .first()
            )
            intervention = intervention_add(
                actor=case.case_manager,
                case=case,
                type=kind,
                provider=provider or case.organisation,
                hours=12,
                notes="Percorso di sostegno alla genitorialità per il nuovo nato.",
            )
            start = max(today - datetime.timedelta(days=7), case.plan_started_on or today)
            intervention_start(actor=case.case_manager, intervention=intervention, on=start)
            added += 1
    return added
