"""The indicators of ../shared/domain/INDICATORS.md, computed in the database.

`build_report(start, end, scope)` returns the report object of INDICATORS.md "The report":
{"period": {"from", "to"}, "scope": {...}, "indicators": {key: value}} with every key of
KEYS. Counts, distinct persons and breakdowns are SQL aggregations; only the working-day
counts are computed in Python, from the date pairs the database returns (holidays are
calendar logic). A report issues a bounded number of queries, whatever the data.

Scope (the issue's rules): a zone report counts only the organisations of the zone; an
organisation report only its desks and its cases; a contact at another organisation's
desk never counts. For the figures that belong to a territory rather than to desks and
cases (population, staffing, meetings, income-support applications):
- an organisation report uses its zone for `network.*` and meetings (the zone is where
  the LEP norms and the coordination meetings live), and the applications of its Comune
  for `benefit.*` (an organisation without a Comune has none);
- a zone report uses the zone's Comuni.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case as CaseWhen
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from crocevia.benefits.models import BenefitApplication
from crocevia.benefits.models import Status as ApplicationStatus
from crocevia.cases.models import (
    Case,
    NeedClass,
    Outcome,
    PlanKind,
    ServiceArea,
    TeamMember,
)
from crocevia.cases.selectors import teams_active
from crocevia.desk.models import (
    Contact,
    ContactService,
    DeskService,
    LanguageNeed,
    Referral,
    WorkSector,
)
from crocevia.interventions.lep import household_obligations
from crocevia.meetings.models import Meeting
from crocevia.meetings.selectors import meetings_with_minutes, with_minutes
from crocevia.network.lep import zone_norms
from crocevia.network.models import (
    Agreement,
    AgreementParty,
    Organisation,
    Zone,
)
from crocevia.network.selectors import lep_figures
from crocevia.people.models import Person, Sex
from crocevia.programmes.models import MONEY, BudgetAction, Expenditure, Target

from .workdays import Calendar, half_up, percentage, statistics

# Every key of INDICATORS.md, in the order of its tables.
KEYS = (
    "desk.contacts",
    "desk.persons",
    "desk.persons_by_sex",
    "desk.persons_by_citizenship_group",
    "desk.top_citizenships",
    "desk.services",
    "desk.outcomes",
    "cases.opened",
    "cases.taken_in_charge",
    "cases.by_need_class",
    "cases.by_citizenship_group",
    "cases.targets",
    "cases.wd_preassessment_to_assessment",
    "cases.wd_plan_to_start",
    "cases.plans_by_kind",
    "cases.closed_by_outcome",
    "benefit.applications_by_comune",
    "benefit.households_accepted",
    "benefit.pct_preassessed",
    "benefit.wd_outcome_to_preassessment",
    "benefit.pct_with_project",
    "benefit.service_pacts",
    "benefit.household_profile",
    "network.population",
    "network.inhabitants_per_social_worker",
    "network.inhabitants_per_access_point",
    "network.meetings_with_minutes",
    "budget.by_action",
    "language.needs_by_sector",
    "cases.by_area",
    "network.partner_organisations_in_teams",
    "network.agreements_active",
    "lep.access_points",
    "lep.social_workers",
    "lep.teams",
    "lep.assessed_with_intervention",
    "lep.first_1000_days_parenting",
)

# The other 26 member states of the European Union (ISO 3166-1 alpha-2).
EU_COUNTRIES = frozenset(
    ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR")
    + ("HU", "IE", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
)
CITIZENSHIP_GROUPS = ("IT", "EU", "non_EU", "unknown")
APPLICATION_STATUSES = ("accepted", "lapsed", "suspended", "processing", "rejected")
HOUSEHOLD_SIZES = ("1", "2", "3", "4", "5", "6+")
TOP_CITIZENSHIPS = 5
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Scope:
    """The whole installation (both None), one zone or one organisation."""

    zone: Zone | None = None
    organisation: Organisation | None = None

    def __post_init__(self):
        if self.zone is not None and self.organisation is not None:
            raise ValueError("A scope is a zone or an organisation, not both.")

    def as_json(self) -> dict:
        if self.organisation is not None:
            return {
                "kind": "organisation",
                "code": self.organisation.code,
                "name": self.organisation.name,
            }
        if self.zone is not None:
            return {"kind": "zone", "code": self.zone.code, "name": self.zone.name}
        return {"kind": "installation", "code": None, "name": _("Whole installation")}

    def organisation_q(self, prefix: str) -> Q:
        """Q restricting `<prefix>` (a path to an Organisation) to the scope."""
        if self.organisation is not None:
            return Q(**{f"{prefix}_id": self.organisation.pk})
        if self.zone is not None:
            return Q(**{f"{prefix}__zone_id": self.zone.pk})
        return Q()

    def comune_q(self, prefix: str) -> Q:
        """Q restricting `<prefix>` (a path to a Comune) to the scope's territory."""
        if self.organisation is not None:
            return Q(**{f"{prefix}_id": self.organisation.comune_id})
        if self.zone is not None:
            return Q(**{f"{prefix}__zone_id": self.zone.pk})
        return Q()

    @property
    def zone_ids(self) -> list[int] | None:
        """The zones of the territorial figures (None: every zone)."""
        if self.organisation is not None:
            zone_id = self.organisation.zone_id
            return [] if zone_id is None else [zone_id]
        if self.zone is not None:
            return [self.zone.pk]
        return None


def _citizenship_group(field: str = "citizenship") -> CaseWhen:
    return CaseWhen(
        When(**{field: "IT"}, then=Value("IT")),
        When(**{f"{field}__in": sorted(EU_COUNTRIES)}, then=Value("EU")),
        When(Q(**{field: ""}) | Q(**{f"{field}__isnull": True}), then=Value("unknown")),
        default=Value("non_EU"),
        output_field=CharField(),
    )


def _counts(queryset, field: str, keys) -> dict:
    """{key: n} for every key (0 when absent), counting rows of `queryset` by `field`."""
    result = {key: 0 for key in keys}
    for value, n in queryset.values_list(field).annotate(n=Count("pk")).order_by():
        if value in result:
            result[value] = n
    return result


def _groups(persons) -> dict:
    return _counts(persons.annotate(_group=_citizenship_group()), "_group", CITIZENSHIP_GROUPS)


# --- desk activity ---------------------------------------------------------------------------


def citizenship_group(code: str | None) -> str:
    """The citizenship group of an ISO alpha-2 code (INDICATORS.md "Conventions")."""
    if code == "IT":
        return "IT"
    if code in EU_COUNTRIES:
        return "EU"
    return "non_EU" if code else "unknown"


def desk_indicators(start, end, scope: Scope, *, top: int = TOP_CITIZENSHIPS) -> dict:
    """Three scans of the period's contacts (speed: bench/README.md "Monitoring report"):
    by outcome (their sum is desk.contacts), their distinct persons by (sex, citizenship)
    (their sum is desk.persons; sexes, groups and the top citizenships follow in Python)
    and the services given."""
    contacts = Contact.objects.filter(date__gte=start, date__lte=end).filter(
        scope.organisation_q("desk__organisation")
    )
    outcomes = dict.fromkeys(Contact.Outcome.values, 0)
    total = 0
    for outcome, n in contacts.values_list("outcome").annotate(n=Count("pk")).order_by():
        total += n
        if outcome in outcomes:
            outcomes[outcome] = n

    sexes = dict.fromkeys(Sex.values, 0)
    groups = dict.fromkeys(CITIZENSHIP_GROUPS, 0)
    by_country: dict[str, int] = {}
    persons = 0
    rows = (
        Person.objects.filter(pk__in=contacts.values("person_id"))
        .values_list("sex", "citizenship")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for sex, citizenship, n in rows:
        persons += n
        if sex in sexes:
            sexes[sex] += n
        groups[citizenship_group(citizenship)] += n
        if citizenship:
            by_country[citizenship] = by_country.get(citizenship, 0) + n
    top_rows = sorted(by_country.items(), key=lambda item: (-item[1], item[0]))[:top]

    codes = dict(DeskService.objects.order_by("code").values_list("pk", "code"))
    services = dict.fromkeys(codes.values(), 0)
    # A service is given at most once per contact (the unique pair), so counting rows counts
    # contacts. The rows repeat the contact's date and desk: no join with the contacts.
    given = ContactService.objects.filter(date__gte=start, date__lte=end).filter(
        scope.organisation_q("desk__organisation")
    )
    for service_id, n in given.values_list("deskservice_id").annotate(n=Count("*")).order_by():
        services[codes[service_id]] = n
    return {
        "desk.contacts": total,
        "desk.persons": persons,
        "desk.persons_by_sex": sexes,
        "desk.persons_by_citizenship_group": groups,
        "desk.top_citizenships": [[code, n] for code, n in top_rows],
        "desk.services": services,
        "desk.outcomes": outcomes,
    }


# --- cases -----------------------------------------------------------------------------------


class _Delays:
    """Working-day statistics from (d1, d2, comune id) rows; national holidays are computed
    once per report, patron days loaded once per statistic (two queries)."""

    def __init__(self):
        self._national = {}

    def stats(self, rows) -> dict:
        rows = list(rows)
        calendar = Calendar.for_comuni(
            {comune for _d1, _d2, comune in rows}, national=self._national
        )
        return statistics(
            calendar.working_days(d1, d2, comune)
            for d1, d2, comune in rows
            if d1 is not None and d2 is not None and d1 <= d2
        )


def _delay_rows(queryset, first: str, second: str):
    return queryset.filter(**{f"{first}__isnull": False}).values_list(
        first, second, "organisation__comune_id"
    )


def case_indicators(start, end, scope: Scope, delays: _Delays) -> dict:
    cases = Case.objects.filter(scope.organisation_q("organisation"))
    preassessed_q = Q(preassessed_on__gte=start, preassessed_on__lte=end)
    signed_q = Q(plan_signed_on__gte=start, plan_signed_on__lte=end)
    closed_q = Q(closed_on__gte=start, closed_on__lte=end)
    # Every count in one scan of the scope's cases.
    counts = cases.aggregate(
        opened=Count("pk", filter=Q(referred_on__gte=start, referred_on__lte=end)),
        taken=Count("person_id", distinct=True, filter=preassessed_q),
        **{
            f"need_{value}": Count("pk", filter=preassessed_q & Q(need_class=value))
            for value in NeedClass.values
        },
        **{
            f"plan_{value}": Count("pk", filter=signed_q & Q(plan_kind=value))
            for value in PlanKind.values
        },
        **{
            f"closed_{value}": Count("pk", filter=closed_q & Q(outcome=value))
            for value in Outcome.values
        },
    )
    preassessed = cases.filter(preassessed_q)
    taken = Person.objects.filter(pk__in=preassessed.values("person_id"))
    assessed = cases.filter(assessed_on__gte=start, assessed_on__lte=end)
    started = cases.filter(plan_started_on__gte=start, plan_started_on__lte=end)
    return {
        "cases.opened": counts["opened"],
        "cases.taken_in_charge": counts["taken"],
        "cases.by_need_class": {v: counts[f"need_{v}"] for v in NeedClass.values},
        "cases.by_citizenship_group": _groups(taken),
        "cases.targets": _targets(start, end, scope),
        "cases.wd_preassessment_to_assessment": delays.stats(
            _delay_rows(assessed, "preassessed_on", "assessed_on")
        ),
        "cases.wd_plan_to_start": delays.stats(
            _delay_rows(started, "plan_signed_on", "plan_started_on")
        ),
        "cases.plans_by_kind": {v: counts[f"plan_{v}"] for v in PlanKind.values},
        "cases.closed_by_outcome": {v: counts[f"closed_{v}"] for v in Outcome.values},
    }


def _targets(start, end, scope: Scope) -> dict:
    """{organisation code: {"target", "achieved", "pct"}} for the organisations of the scope
    with a target in a programme active in the period (targets of several programmes add up);
    achieved = the organisation's cases.taken_in_charge in the period."""
    targets = list(
        Target.objects.filter(
            scope.organisation_q("organisation"),
            indicator=Target.Indicator.TAKEN_IN_CHARGE,
            programme__start_date__lte=end,
            programme__end_date__gte=start,
        )
        .values_list("organisation_id", "organisation__code")
        .annotate(total=Sum("target_number"))
        .order_by("organisation__code")
    )
    if not targets:
        return {}
    achieved = dict(
        Case.objects.filter(
            organisation_id__in=[org_id for org_id, _code, _total in targets],
            preassessed_on__gte=start,
            preassessed_on__lte=end,
        )
        .values_list("organisation_id")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    )
    result = {}
    for org_id, code, total in targets:
        done = achieved.get(org_id, 0)
        result[code] = {"target": total, "achieved": done, "pct": percentage(done, total)}
    return result


def organisation_case_figures(start, end, codes) -> dict:
    """{organisation code: {"taken", "groups", "needs", "areas"}}: what each organisation's
    own report says of its persons taken in charge in the period (cases.taken_in_charge,
    cases.by_citizenship_group, cases.by_need_class, the persons of cases.by_area), for
    the masking of the targets shown in another scope (reporting.tables). Three queries."""
    cases = Case.objects.filter(
        organisation__code__in=codes, preassessed_on__gte=start, preassessed_on__lte=end
    )
    result = {
        code: {
            "taken": 0,
            "groups": dict.fromkeys(CITIZENSHIP_GROUPS, 0),
            "needs": dict.fromkeys(NeedClass.values, 0),
            "areas": dict.fromkeys(ServiceArea.values, 0),
        }
        for code in codes
    }
    for code, group, n in (
        cases.annotate(_group=_citizenship_group("person__citizenship"))
        .values_list("organisation__code", "_group")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    ):
        result[code]["groups"][group] = n
        result[code]["taken"] += n  # a person has one citizenship: the groups add up
    for code, need, n in (
        cases.values_list("organisation__code", "need_class").annotate(n=Count("pk")).order_by()
    ):
        if need in result[code]["needs"]:
            result[code]["needs"][need] = n
    for code, area, n in (
        cases.exclude(area="")
        .values_list("organisation__code", "area")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    ):
        result[code]["areas"][area] = n
    return result


# --- income-support measures -----------------------------------------------------------------


def _adult_limit(day: datetime.date, years: int) -> datetime.date:
    """The latest birth date of someone at least `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February → born on 1 March is not yet of age on 28 February
        return day.replace(year=day.year - years, day=28)


def benefit_indicators(start, end, scope: Scope, delays: _Delays) -> dict:
    applications = BenefitApplication.objects.filter(scope.comune_q("comune"))
    by_comune = {}
    total = dict.fromkeys((*APPLICATION_STATUSES, "total"), 0)
    rows = (
        applications.filter(submitted_on__lte=end)
        .values_list("comune__name", "status")
        .annotate(n=Count("pk"))
        .order_by("comune__name", "status")
    )
    for name, status, n in rows:
        line = by_comune.setdefault(name, dict.fromkeys((*APPLICATION_STATUSES, "total"), 0))
        if status in line:
            line[status] += n
            total[status] += n
        line["total"] += n
        total["total"] += n
    by_comune["TOTAL"] = total

    # The accepted households, their members and the scope's cases linked to them are
    # read once (three queries, a few rows per household); the profile and the flags
    # follow in Python. A case's household is its own, else its person's.
    accepted = applications.filter(
        status=ApplicationStatus.ACCEPTED, outcome_on__gte=start, outcome_on__lte=end
    ).values("household_id")
    households = set(accepted.values_list("household_id", flat=True))
    members = Person.objects.filter(household_id__in=accepted)
    births: dict[int, list[datetime.date]] = {}
    household_of: dict[int, int] = {}
    for pk, household_id, born in members.values_list("pk", "household_id", "birth_date"):
        births.setdefault(household_id, []).append(born)
        household_of[pk] = household_id
    linked = (
        Case.objects.filter(scope.organisation_q("organisation"))
        .filter(
            Q(household_id__in=accepted)
            | Q(household_id__isnull=True, person_id__in=members.values("pk"))
        )
        .values_list("household_id", "person_id", "preassessed_on", "plan_signed_on", "plan_kind")
        .order_by()
    )
    projects = (PlanKind.SOCIAL_PROJECT, PlanKind.INCLUSION_PROJECT)
    with_preassessment, with_project, with_pact = set(), set(), set()
    for household_id, person_id, preassessed_on, signed_on, kind in linked:
        household = household_id if household_id is not None else household_of[person_id]
        if preassessed_on is not None and preassessed_on <= end:
            with_preassessment.add(household)
        if signed_on is not None and signed_on <= end:
            if kind in projects:
                with_project.add(household)
            elif kind == PlanKind.SERVICE_PACT:
                with_pact.add(household)

    adult = _adult_limit(end, 18)
    toddler = _adult_limit(end, 4)
    profile = dict.fromkeys(("s1", "s2", "s3", "s4", "s5", "s6", "single_parent", "toddlers"), 0)
    for household in households:
        born = births.get(household, ())
        size = len(born)
        profile[f"s{min(max(size, 1), 6)}"] += 1
        adults = sum(1 for day in born if day <= adult)
        if adults == 1 and adults < size:
            profile["single_parent"] += 1
        if any(day > toddler for day in born):
            profile["toddlers"] += 1
    profile["households"] = len(households)
    flags = {
        "preassessed": len(with_preassessment),
        "project": len(with_project),
        "pact": len(with_pact),
    }
    n = profile["households"]
    sizes = ("s1", "s2", "s3", "s4", "s5", "s6")
    preassessed = Case.objects.filter(
        scope.organisation_q("organisation"),
        preassessed_on__gte=start,
        preassessed_on__lte=end,
    )
    return {
        "benefit.applications_by_comune": by_comune,
        "benefit.households_accepted": n,
        "benefit.pct_preassessed": percentage(flags["preassessed"], n),
        "benefit.wd_outcome_to_preassessment": delays.stats(
            _delay_rows(preassessed, "benefit_outcome_on", "preassessed_on")
        ),
        "benefit.pct_with_project": percentage(flags["project"], n),
        "benefit.service_pacts": flags["pact"],
        "benefit.household_profile": {
            "households": n,
            "size_pct": {
                label: percentage(profile[key], n)
                for label, key in zip(HOUSEHOLD_SIZES, sizes, strict=True)
            },
            "single_parent_pct": percentage(profile["single_parent"], n),
            "with_children_0_3": profile["toddlers"],
        },
    }


# --- network, staffing and money -------------------------------------------------------------


def network_indicators(start, end, scope: Scope) -> dict:
    zone_ids = scope.zone_ids
    if zone_ids == []:  # an organisation above the zones (the Region)
        figures = {
            "network.population": None,
            "network.inhabitants_per_social_worker": None,
            "network.inhabitants_per_access_point": None,
        }
        meetings = dict.fromkeys(Meeting.Kind.values, 0)
    else:
        figures = lep_figures(zone_ids=zone_ids).as_indicators()
        if zone_ids is not None and len(zone_ids) == 1:
            meetings = meetings_with_minutes(Zone(pk=zone_ids[0]), start, end)
        else:
            meetings = _counts(
                with_minutes(Meeting.objects.filter(held_on__gte=start, held_on__lte=end)),
                "kind",
                Meeting.Kind.values,
            )
    return {**figures, "network.meetings_with_minutes": meetings}


def _cents(amount) -> int:
    return int(Decimal(amount or 0).quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def budget_indicators(start, end, scope: Scope) -> dict:
    """{action code: {"budget", "spent", "pct"}} in cents, for the actions of the scope's
    organisations in programmes active in the period; spent = expenditure dated on or
    before `to`. An action code used by two programmes is qualified as "PROGRAMME/ACTION"."""
    money = DecimalField(**MONEY)
    spent = Subquery(
        Expenditure.objects.filter(action_id=OuterRef("pk"), spent_on__lte=end)
        .values("action_id")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=money,
    )
    rows = list(
        BudgetAction.objects.filter(
            scope.organisation_q("responsible_organisation"),
            programme__start_date__lte=end,
            programme__end_date__gte=start,
        )
        .annotate(_spent=Coalesce(spent, Value(Decimal("0.00")), output_field=money))
        .values_list("programme__code", "code", "amount", "_spent")
        .order_by("programme__code", "position", "code")
    )
    codes = [code for _programme, code, _amount, _spent in rows]
    result = {}
    for programme, code, amount, spent_amount in rows:
        key = code if codes.count(code) == 1 else f"{programme}/{code}"
        budget, used = _cents(amount), _cents(spent_amount)
        result[key] = {"budget": budget, "spent": used, "pct": percentage(used, budget)}
    return result


def language_indicators(start, end, scope: Scope) -> dict:
    """{work sector: distinct persons} with a job-specific Italian need recorded in the period
    at a desk of the scope (through the contact it was recorded in)."""
    needs = LanguageNeed.objects.filter(
        needs_job_italian=True, recorded_on__gte=start, recorded_on__lte=end
    )
    if scope.zone is not None or scope.organisation is not None:
        # A subquery on the scope's contacts (their desk index), not a join with every
        # contact.
        needs = needs.filter(
            contact_id__in=Contact.objects.filter(
                scope.organisation_q("desk__organisation")
            ).values("pk")
        )
    result = dict.fromkeys(WorkSector.values, 0)
    for sector, n in (
        needs.values_list("work_sector").annotate(n=Count("person_id", distinct=True)).order_by()
    ):
        if sector in result:
            result[sector] = n
    return {"language.needs_by_sector": result}


# --- areas, partners and agreements ---------------------------------------------------------


def area_indicators(start, end, scope: Scope) -> dict:
    """cases.by_area: over cases pre-assessed in the period, distinct persons by service area,
    by sex and citizenship group. A case without an area (imported from a register that had
    none) has no area to be counted in. One query."""
    citizenship = "person__citizenship"
    person = "person_id"
    rows = (
        Case.objects.filter(
            scope.organisation_q("organisation"),
            preassessed_on__gte=start,
            preassessed_on__lte=end,
        )
        .exclude(area="")
        .values("area")
        .annotate(
            persons=Count(person, distinct=True),
            M=Count(person, distinct=True, filter=Q(person__sex=Sex.MALE)),
            F=Count(person, distinct=True, filter=Q(person__sex=Sex.FEMALE)),
            IT=Count(person, distinct=True, filter=Q(**{citizenship: "IT"})),
            EU=Count(
                person, distinct=True, filter=Q(**{f"{citizenship}__in": sorted(EU_COUNTRIES)})
            ),
            unknown=Count(
                person,
                distinct=True,
                filter=Q(**{citizenship: ""}) | Q(**{f"{citizenship}__isnull": True}),
            ),
        )
        .order_by()
    )
    keys = ("persons", "M", "F", "IT", "EU", "non_EU", "unknown")
    result = {area: dict.fromkeys(keys, 0) for area in ServiceArea.values}
    for row in rows:
        line = result[row["area"]]
        for key in keys:
            if key != "non_EU":
                line[key] = row[key]
        line["non_EU"] = row["persons"] - row["IT"] - row["EU"] - row["unknown"]
    return {"cases.by_area": result}


def partner_indicators(start, end, scope: Scope) -> dict:
    """network.partner_organisations_in_teams and network.agreements_active."""
    teams = teams_active(start, end).filter(scope.organisation_q("organisation"))
    partners = Organisation.objects.filter(
        pk__in=TeamMember.objects.filter(case__in=teams.values("pk"), added_on__lte=end)
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gte=start))
        .values("organisation_id")
    )
    by_kind = dict.fromkeys(Organisation.Kind.values, 0)
    for kind, n in partners.values_list("kind").annotate(n=Count("pk")).order_by():
        by_kind[kind] = n
    by_kind["total"] = sum(by_kind.values())
    agreements = Agreement.objects.filter(valid_from__lte=end).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=start)
    )
    if scope.zone is not None or scope.organisation is not None:
        agreements = agreements.filter(
            pk__in=AgreementParty.objects.filter(scope.organisation_q("organisation")).values(
                "agreement_id"
            )
        )
    sharing = 0
    total = 0
    for parts in _parties_parts(agreements):
        total += 1
        sharing += bool(parts)
    return {
        "network.partner_organisations_in_teams": by_kind,
        "network.agreements_active": {"total": total, "with_data_sharing": sharing},
    }


def _parties_parts(agreements):
    """For each agreement, whether any party's data-sharing clause names a part."""
    shared: dict[int, bool] = {}
    for agreement_id, parts in AgreementParty.objects.filter(
        agreement_id__in=agreements.values("pk")
    ).values_list("agreement_id", "shared_parts"):
        shared[agreement_id] = shared.get(agreement_id, False) or bool(parts)
    for agreement_id in agreements.values_list("pk", flat=True):
        yield shared.get(agreement_id, False)


# --- LEP compliance, per zone (seed 002, "Sintesi Obiettivi LEP") ----------------------------
# The norms of access and staffing are network.lep's (the zone page shows the same figures);
# the household obligations interventions.lep's (the case team's open items).


def lep_indicators(start, end, scope: Scope) -> dict:
    """The LEP table: {zone code: {...}} for every zone of the scope (an organisation's:
    its zone; the installation's: every zone)."""
    zone_ids = scope.zone_ids
    zones = Zone.objects.order_by("code")
    if zone_ids is not None:
        zones = zones.filter(pk__in=zone_ids)
    zones = list(zones.values_list("pk", "code"))
    ids = [pk for pk, _code in zones]
    norms = zone_norms(ids)
    teams = dict(
        teams_active(start, end)
        .filter(zone_id__in=ids)
        .values_list("zone_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    households = household_obligations(start, end, ids)
    result = {
        "lep.access_points": {},
        "lep.social_workers": {},
        "lep.teams": {},
        "lep.assessed_with_intervention": {},
        "lep.first_1000_days_parenting": {},
    }
    for pk, code in zones:
        zone = norms[pk]
        result["lep.access_points"][code] = {
            "required": zone.access_points_required,
            "present": zone.access_points,
            "met": zone.access_points_met,
        }
        result["lep.social_workers"][code] = {
            "required": zone.social_workers_required,
            "present": zone.social_workers,
            "met": zone.social_workers_met,
        }
        active = teams.get(pk, 0)
        result["lep.teams"][code] = {"active": active, "met": active >= 1}
        counts = households[pk]
        result["lep.assessed_with_intervention"][code] = {
            "households": counts.households,
            "with_intervention": counts.with_intervention,
            "pct": percentage(counts.with_intervention, counts.households),
        }
        result["lep.first_1000_days_parenting"][code] = {
            "households": counts.young,
            "with_support": counts.with_support,
            "pct": percentage(counts.with_support, counts.young),
        }
    return result


# --- the report ------------------------------------------------------------------------------


def indicators(
    start: datetime.date,
    end: datetime.date,
    scope: Scope | None = None,
    *,
    top: int = TOP_CITIZENSHIPS,
) -> dict:
    """{key: value} for every key of KEYS, over [start, end] and the scope; `top` is the
    length of desk.top_citizenships."""
    scope = scope or Scope()
    delays = _Delays()
    values = {}
    values.update(desk_indicators(start, end, scope, top=top))
    values.update(case_indicators(start, end, scope, delays))
    values.update(benefit_indicators(start, end, scope, delays))
    values.update(network_indicators(start, end, scope))
    values["budget.by_action"] = budget_indicators(start, end, scope)
    values.update(language_indicators(start, end, scope))
    values.update(area_indicators(start, end, scope))
    values.update(partner_indicators(start, end, scope))
    values.update(lep_indicators(start, end, scope))
    return {key: values[key] for key in KEYS}


NOT_NAMED = "not_named"


def referral_counts(start: datetime.date, end: datetime.date, scope: Scope) -> dict:
    """Referrals sent in the period by or to the scope's organisations, by the receiver's
    kind of organisation (NOT_NAMED: a register's referral to an organisation it does not
    name) and state: {kind: {state: n}}, every kind and state present; one query. Not an
    indicator of INDICATORS.md (its JSON stays the contract's): the report's page and its
    XLSX and PDF show it."""
    in_scope = scope.organisation_q("from_organisation") | scope.organisation_q("to_organisation")
    rows = (
        Referral.objects.filter(in_scope, sent_on__range=(start, end))
        .values("to_organisation__kind", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kinds = [*Organisation.Kind.values, NOT_NAMED]
    counts = {kind: dict.fromkeys(Referral.State.values, 0) for kind in kinds}
    for row in rows:
        counts[row["to_organisation__kind"] or NOT_NAMED][row["state"]] += row["n"]
    return counts


def build_report(
    start: datetime.date,
    end: datetime.date,
    scope: Scope | None = None,
    *,
    top: int = TOP_CITIZENSHIPS,
    with_referrals: bool = False,
) -> dict:
    """The report object of INDICATORS.md "The report"; `with_referrals`: plus the
    referrals' counts (`referral_counts`), for the page and its files, never the JSON."""
    scope = scope or Scope()
    report = {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "scope": scope.as_json(),
        "indicators": indicators(start, end, scope, top=top),
    }
    if with_referrals:
        report["referrals"] = referral_counts(start, end, scope)
    return report


def to_json_value(value):
    """json.dumps default: a Decimal (a percentage, a median, a mean) → a number."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


__all__ = ["KEYS", "Scope", "build_report", "half_up", "indicators"]
