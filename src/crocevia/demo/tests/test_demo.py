"""`crocevia demo`: the Zona Pisana demo loads through the services and is idempotent."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from stdnum.it import codicefiscale

from crocevia.accounts.models import Membership, Profile, User
from crocevia.assessments.models import Assessment
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.access import case_parts_for
from crocevia.cases.models import Case, Outcome, Priority, Review, Stage, TeamMember
from crocevia.cases.selectors import cases_shared_with, cases_visible_to
from crocevia.core.dates import quarter_start
from crocevia.demo.cases import CaseBuilder
from crocevia.demo.duplicates import DUPLICATE_PREFIX, registrations
from crocevia.demo.lep import CHILDREN as LEP_CHILDREN
from crocevia.demo.management.commands.demo import (
    DEFAULT_PASSWORD,
    DEFAULT_PERSONS,
    DESKS,
    PlanBuilder,
)
from crocevia.demo.programmes import CURRENT_CODE
from crocevia.desk.models import Contact
from crocevia.desk.selectors import contacts_visible_to
from crocevia.interventions.lep import lep_open, with_lep_obligations
from crocevia.interventions.models import Intervention
from crocevia.meetings.models import Meeting, MeetingItem
from crocevia.meetings.selectors import with_minutes
from crocevia.network.models import Comune, Desk, Organisation
from crocevia.people.duplicates import merge_problems, person_merge
from crocevia.people.models import Consent, DuplicatePair, Household, Person
from crocevia.people.selectors import persons_visible_to
from crocevia.plans.models import Plan, PlanVersion, ValidationEvent
from crocevia.reporting.indicators import indicators

SMALL = 80  # persons in the database tests; the default (700) is checked on the plan
SMALL_CASES = 14  # enough for every stage
# The persons registered twice (demo/duplicates.py), and their case.
DUPLICATES = registrations(sds="SDS-PI", cpi="CPI-PI")
DUPLICATE_CASES = sum(1 for r in DUPLICATES if r.case_at)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(persons=SMALL, cases=SMALL_CASES) -> str:
    out = StringIO()
    call_command("demo", "--persons", str(persons), "--cases", str(cases), stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label
        in {
            "accounts",
            "network",
            "people",
            "desk",
            "audit",
            "cases",
            "assessments",
            "plans",
            "interventions",
        }
    }


@pytest.mark.django_db
def test_demo_loads_the_zona_pisana_network():
    run_demo(persons=0)

    comuni = Comune.objects.filter(zone__code="ZPI")
    assert comuni.count() == 9
    assert set(comuni.values_list("province", flat=True)) == {"PI"}
    assert comuni.get(istat_code="050026").name == "Pisa"
    assert comuni.get(istat_code="050026").population == 90118
    assert comuni.get(istat_code="050003").name == "Calci"
    assert comuni.get(istat_code="050023").name == "Orciano Pisano"
    assert sum(c.population for c in comuni) == 203644  # the zone's total in the seed

    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert {"sds", "comune", "cpi", "cpia", "third_sector", "asl_service"} <= kinds

    level1 = Desk.objects.filter(level=1)
    assert sorted(d.comune.name for d in level1) == [
        "Calci",
        "Pisa",
        "San Giuliano Terme",
        "Vecchiano",
        "Vicopisano",
    ]
    assert all(d.opening_hours for d in level1)
    assert "Giovedì 14:30–17:30" in Desk.objects.get(code="SPI-CALCI").opening_hours
    assert Desk.objects.filter(level=2).count() == 1


@pytest.mark.django_db
def test_demo_has_a_user_per_profile_who_can_log_in_with_the_printed_password(client):
    output = run_demo()

    assert DEFAULT_PASSWORD in output
    for profile in Profile.values:
        membership = Membership.objects.filter(profile=profile).select_related("user").first()
        assert membership is not None, f"no demo user with profile {profile}"
        assert membership.user.username in output
        assert client.login(username=membership.user.username, password=DEFAULT_PASSWORD)
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    operator = User.objects.get(username="sportello")
    assert list(operator.memberships.get().desks.values_list("code", flat=True)) == ["SPI-PISA"]


@pytest.mark.django_db
def test_demo_password_comes_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Altra-password-2026")
    output = run_demo(persons=0)

    assert "Altra-password-2026" in output
    assert client.login(username="sportello", password="Altra-password-2026")


@pytest.mark.django_db
def test_demo_registers_persons_with_households_consents_and_a_year_of_contacts():
    run_demo()
    today = timezone.localdate()

    # The persons of the plan, and the children demo/lep.py adds to two households.
    children = Person.objects.filter(external_id__in=LEP_CHILDREN).count()
    persons = Person.objects.filter(external_id__startswith="demo-").exclude(
        external_id__startswith=DUPLICATE_PREFIX
    )
    assert persons.count() == SMALL + children
    # Written through the services: every person has their creation in the trail.
    created = AuditEvent.objects.filter(
        object_type="people.person", action=AuditAction.PERSON_CREATE
    )
    assert created.count() == SMALL + len(DUPLICATES) + children
    assert Consent.objects.filter(scope="processing").count() == (
        SMALL + len(DUPLICATES) + children
    )
    assert Household.objects.exists()

    contacts = Contact.objects.select_related("desk", "operator")
    assert 1.5 * SMALL <= contacts.count() <= 4 * SMALL
    open_days = {d.code: set(d.hours) for d in DESKS}
    for contact in contacts:
        assert today - datetime.timedelta(days=365) < contact.date <= today
        assert contact.date.weekday() in open_days[contact.desk.code]
        assert contact.operator.memberships.filter(desks=contact.desk).exists()
    outcomes = Counter(c.outcome for c in contacts)
    assert outcomes["solved"] > outcomes["referred"] > 0
    services = Counter(contacts.values_list("services__code", flat=True))
    assert services.most_common(1)[0][0] == "information"


@pytest.mark.django_db
def test_second_run_of_the_demo_adds_and_changes_nothing():
    run_demo()
    before = row_counts()
    updated = list(Person.objects.order_by("pk").values_list("updated_at", flat=True))

    output = run_demo()

    assert row_counts() == before
    assert list(Person.objects.order_by("pk").values_list("updated_at", flat=True)) == updated
    assert f"0 new ({SMALL} already there)" in output
    assert f"Cases: 0 new ({SMALL_CASES} already there)" in output
    assert "meetings: 0 new" in output


@pytest.mark.django_db
def test_demo_has_possible_duplicates_and_a_pair_merges_with_its_contacts_and_case():
    output = run_demo()
    assert "Possible duplicates: 6 persons registered twice" in output
    ids = dict(
        Person.objects.filter(external_id__startswith=DUPLICATE_PREFIX).values_list(
            "external_id", "pk"
        )
    )
    open_pairs = set(
        DuplicatePair.objects.filter(status="open").values_list("person_a", "person_b")
    )
    for n in ("1", "2", "3"):
        first, second = ids[f"{DUPLICATE_PREFIX}{n}a"], ids[f"{DUPLICATE_PREFIX}{n}b"]
        assert (min(first, second), max(first, second)) in open_pairs
    # The provisional code of the asylum seeker, the definitive one of his second record.
    provisional = Person.objects.get(pk=ids[f"{DUPLICATE_PREFIX}2a"]).codice_fiscale
    assert len(provisional) == 11
    assert len(Person.objects.get(pk=ids[f"{DUPLICATE_PREFIX}2b"]).codice_fiscale) == 16

    # Mohamed (two contacts at the Pisa desk) and Mohammed (a case at the CPI): one man.
    survivor = Person.objects.get(pk=ids[f"{DUPLICATE_PREFIX}1a"])
    merged = Person.objects.get(pk=ids[f"{DUPLICATE_PREFIX}1b"])
    assert not merge_problems(survivor, merged)
    coordinator = User.objects.get(username="coordinatore")
    person_merge(
        actor=coordinator, survivor=survivor, merged=merged, take_from_merged=["codice_fiscale"]
    )
    assert Contact.objects.filter(person=survivor).count() == 2
    assert Case.objects.filter(person=survivor, organisation__code="CPI-PI").count() == 1
    # Each record's consent to processing, and the network-sharing consent Mohammed gave
    # when his case opened (its team shares across organisations).
    assert Consent.objects.filter(person=survivor).count() == 3
    assert survivor.codice_fiscale and merged.merged_into_id == survivor.pk
    event = AuditEvent.objects.get(action=AuditAction.PERSON_MERGE)
    assert event.actor == coordinator and event.person_id == survivor.pk
    assert event.changes["merged_person"] == [None, merged.pk]


def _milestones(case) -> list:
    names = [
        "referred_on",
        "preassessed_on",
        "team_formed_on",
        "assessed_on",
        "plan_signed_on",
        "plan_started_on",
        "closed_on",
    ]
    return [getattr(case, n) for n in names if getattr(case, n)]


@pytest.mark.django_db
def test_demo_opens_cases_at_every_stage_through_the_services():
    run_demo()
    today = timezone.localdate()

    cases = Case.objects.filter(external_id__startswith="demo-case-")
    assert cases.count() == SMALL_CASES
    assert set(cases.values_list("stage", flat=True)) == set(Stage.values)
    assert {"work", "social", "complex"} <= set(cases.values_list("need_class", flat=True))
    # Written through the services: opened, moved and audited like any case (those opened
    # from income-support applications too: demo/benefits.py).
    from_benefits = Case.objects.filter(origin="benefit").count()
    assert AuditEvent.objects.filter(
        object_type="cases.case", action=AuditAction.CASE_CREATE
    ).count() == (SMALL_CASES + DUPLICATE_CASES + from_benefits)
    for case in cases:
        days = _milestones(case)
        assert days == sorted(days), case.external_id
        assert today - datetime.timedelta(days=305) <= case.referred_on and max(days) <= today
        if case.stage != Stage.REFERRED:
            assert case.intake.household_composition and case.intake.housing
            assert case.intake.social_worker.username == "assistente"
        if case.stage == Stage.CLOSED:
            assert case.outcome in Outcome.values and case.closing_note

    # A team across organisations, with an ASL physician who reads health information.
    teams = [c for c in cases if c.team_formed_on]
    assert teams and all(c.case_manager_id for c in teams)
    assert (
        max(
            TeamMember.objects.filter(case=c).values("organisation").distinct().count()
            for c in teams
        )
        >= 3
    )
    physician = TeamMember.objects.filter(organisation__kind="asl_service").first()
    assert physician is not None and physician.health_access
    assert physician.case.intake.health_declared


@pytest.mark.django_db
def test_demo_cases_have_plans_in_versions_interventions_reviews_and_meetings():
    run_demo()
    today = timezone.localdate()

    twice = Plan.objects.filter(versions__number=2).distinct()
    assert twice.exists()
    for plan in twice:
        assert [v.signed_on is not None for v in plan.versions.all()] == [True, True]
        first, second = plan.versions.all()
        assert second.objectives.count() == first.objectives.count() + 1
    signed = Plan.objects.filter(case__plan_signed_on__isnull=False)
    assert all(p.versions.first().actions.exists() for p in signed)

    started = Intervention.objects.filter(status="active").select_related(
        "type", "provider", "funding_action__programme"
    )
    assert started.exists()
    for item in started:
        assert item.provider.kind == item.type.provider_kind
        if item.funding_action is not None:
            # Paid by the current plan's action for its kind, within the plan's period.
            assert item.funding_action.programme.code == CURRENT_CODE
            assert item.funding_action.programme.contains(item.starts_on)
        assert item.starts_on >= item.case.plan_signed_on and item.starts_on <= today
    assert started.filter(funding_action__isnull=False).exists()

    # The scores improve between the entry and the later assessments.
    later = Assessment.objects.exclude(phase="entry").select_related("case")
    assert later.exists()
    for assessment in later:
        entry = assessment.case.assessments.get(phase="entry")
        assert sum(s.score for s in assessment.scores.all()) >= sum(
            s.score for s in entry.scores.all()
        )
    assert Review.objects.filter(held_on__isnull=False).exists()

    meetings = Meeting.objects.all()
    assert {"team", "coordination"} <= set(meetings.values_list("kind", flat=True))
    assert with_minutes(meetings).count() == meetings.count()
    assert all(m.cases.exists() and m.held_on <= today for m in meetings)
    # What is said of a person is in their case's item; the general notes name no one.
    items = list(MeetingItem.objects.select_related("case__person", "meeting"))
    assert items and all(item.minutes for item in items)
    assert all(item.case.person.family_name not in item.meeting.notes for item in items)
    assert not meetings.exclude(restricted_minutes="", restricted_decisions="").exists()


def test_default_demo_cases_cover_the_pathway():
    """The full-size plan (no database): ~60 cases at every stage over ten months."""
    today = datetime.date(2026, 11, 22)
    units = PlanBuilder(DEFAULT_PERSONS, today).build()
    specs = CaseBuilder(units, today, 60).build()

    assert len(specs) == 60
    stages = Counter(s.target for s in specs)
    assert set(stages) == set(Stage.values) and stages["in_progress"] >= 10
    # Assessed cases hold their drafts in turn submitted, returned and being written.
    assert stages["assessed"] >= 3
    for spec in specs:  # the coordination group validates an inclusion project first
        if spec.need == "complex" and "plan_signed_on" in spec.milestones:
            assert spec.milestones["assessed_on"] <= spec.validated_on
            assert spec.validated_on <= spec.milestones["plan_signed_on"]
    assert len({s.person for s in specs}) == 60
    assert sum(1 for s in specs if s.contact) >= 15  # opened from desk contacts
    assert sum(1 for s in specs if s.v2_on) >= 2
    assert sum(1 for s in specs if ("medico.ufsma", "physician") in s.members) >= 1
    assert any(r.held_on is None and r.scheduled_on < today for s in specs for r in s.reviews)
    assert any(a["due_on"] < today and not a["done_on"] for s in specs for a in s.actions)
    assert len({s.outcome for s in specs if s.outcome}) >= 5
    for spec in specs:
        days = list(spec.milestones.values())
        assert days == sorted(days) and days[-1] <= today
        assert (today - days[0]).days <= 300


def test_default_demo_plan_follows_the_seed():
    """The full-size plan (no database): ~700 persons with the 2018 mix of the seed."""
    today = datetime.date(2026, 11, 22)
    units = PlanBuilder(DEFAULT_PERSONS, today).build()
    persons = [p for u in units for p in u.members]

    assert 690 <= len(persons) <= 710
    top = [c for c, _n in Counter(p.data["citizenship"] for p in persons).most_common(5)]
    assert top == ["AL", "SN", "MA", "MK", "PH"]
    men = sum(p.data["sex"] == "M" for p in persons) / len(persons)
    assert 0.53 <= men <= 0.59
    in_households = sum(len(u.members) for u in units if u.household_id) / len(persons)
    assert 0.30 <= in_households <= 0.40
    codes = [p.data["codice_fiscale"] for p in persons]
    full = [c for c in codes if len(c) == 16]
    assert 0.55 <= len(full) / len(persons) <= 0.65
    assert all(codicefiscale.is_valid(c) for c in codes if c)
    assert any(len(c) == 11 for c in codes)  # provisional codes of asylum seekers
    adults = [p for p in persons if p.data["age"] >= 18]
    assert all(18 <= p.data["age"] <= 70 for p in adults)
    contacts = sum(len(p.contacts) for p in persons) / len(persons)
    assert 2 <= contacts <= 4


@pytest.mark.django_db
def test_demo_plans_pass_through_validation_and_waiting_cases_carry_priorities():
    run_demo()
    signed = PlanVersion.objects.filter(
        signed_on__isnull=False, plan__kind="inclusion_project"
    ).select_related("validated_by")
    assert signed.exists()
    for version in signed:
        assert version.is_validated and version.validated_on <= version.signed_on
        assert version.validated_by.username == "coordinatore"
        kinds = list(version.validation_events.values_list("kind", flat=True))
        assert kinds[:1] == ["submitted"] and kinds[-1] == "validated"
    drafts = PlanVersion.objects.filter(signed_on__isnull=True, plan__kind="inclusion_project")
    assert "submitted" in set(drafts.values_list("validation_status", flat=True))
    assert not PlanVersion.objects.filter(
        signed_on__isnull=True, validation_status="validated"
    ).exists()
    assert ValidationEvent.objects.filter(kind="submitted").count() >= signed.count()

    set_by_group = Case.objects.filter(priority_set_by__username="coordinatore")
    assert set_by_group.exists()
    assert all(c.is_waiting for c in set_by_group)
    assert set(set_by_group.values_list("priority", flat=True)) <= {Priority.HIGH, Priority.LOW}
    assert all(c.priority_note for c in set_by_group)
    # A second run adds nothing.
    before = (PlanVersion.objects.count(), ValidationEvent.objects.count())
    run_demo()
    assert (PlanVersion.objects.count(), ValidationEvent.objects.count()) == before


@pytest.mark.django_db
def test_demo_shows_the_lep_obligations_open_and_met_and_a_metropolitan_zone():
    run_demo()
    today = timezone.localdate()
    flags = dict(Comune.objects.values_list("istat_code", "in_metropolitan_city"))
    assert flags["048041"] is True and flags["048043"] is True
    assert flags["050026"] is False and flags["049009"] is False
    open_cases = list(lep_open(Case.objects.all(), on=today))
    assert any(c.lep_no_intervention for c in open_cases)
    assert any(c.lep_no_parenting for c in open_cases)
    # Met: a household with a child in its first 1,000 days and parenting support started.
    met = with_lep_obligations(Case.objects.exclude(stage=Stage.CLOSED), on=today).filter(
        lep_young_child=True, lep_parenting=True
    )
    assert met.exists()
    assert (
        with_lep_obligations(Case.objects.all(), on=today)
        .filter(lep_assessed=True, lep_intervention=True)
        .exists()
    )
    # The zone's LEP table: a rule met (its teams), a rule not met (its access points).
    report = indicators(quarter_start(today) - datetime.timedelta(days=365), today)
    assert report["lep.teams"]["ZPI"]["met"] is True
    assert report["lep.access_points"]["ZPI"]["met"] is False
    assert report["lep.access_points"]["ZFN"]["required"] == 7  # 1 per 70,000 in 3 Comuni


@pytest.mark.django_db
def test_demo_agreements_in_force_let_the_cpi_and_the_cooperative_read_the_sdss_data(client):
    """Issue 19: the demo shows what an agreement opens. The CPI's labour-policy expert
    reads the SdS's cases beyond his teams (the Pisa protocol: registry, section A, plan,
    interventions), the cooperative's educator the SdS's persons and desk contacts (the
    mediation convention), each with the person's consent, read only."""
    run_demo()
    expert = User.objects.get(username="esperto.lavoro")
    shared = cases_shared_with(expert).exclude(pk__in=cases_visible_to(expert).values("pk"))
    case = shared.filter(organisation__code="SDS-PI").first()
    assert case is not None
    assert case_parts_for(expert, case) == {"registry", "intake", "plan", "interventions"}
    client.force_login(expert)
    page = client.get(f"/casi/{case.pk}/")
    assert page.status_code == 200 and 'id="case-shared-under"' in page.content.decode()
    educator = User.objects.get(username="educatore")
    own = persons_visible_to(educator, agreements=False).count()
    assert persons_visible_to(educator).count() > own
    assert contacts_visible_to(educator).filter(desk__organisation__code="SDS-PI").exists()
