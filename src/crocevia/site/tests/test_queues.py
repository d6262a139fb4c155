"""The work queues (site.queues): who gets which queue, what each holds, its filters,
orders, pages, exports and query counts; the home page's counts and cards by profile."""

import csv
import datetime
import io

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from crocevia.audit.models import AuditEvent
from crocevia.audit.recording import NOTE_QUEUE, NOTE_QUEUE_EXPORT
from crocevia.cases.models import NeedClass, Priority, Stage
from crocevia.cases.services import case_set_priority
from crocevia.cases.tests.test_followup_support import add_review, days_ahead, followed_case
from crocevia.desk.models import Referral
from crocevia.desk.referrals import answer_due_before, referral_answer, referral_send
from crocevia.interventions.models import Intervention, InterventionType
from crocevia.meetings.tests.support import add_plan_actions
from crocevia.people.services import household_add_member, household_create
from crocevia.plans.services import plan_draft_save, plan_get_or_create, plan_submit
from crocevia.site.queues import BY_CODE, QUEUES, queues_for
from crocevia.testing import (
    FORMULA_PAYLOADS,
    PersonFactory,
    days_ago,
    make_case,
    make_person,
    make_physician,
    other_zone_cast,
    unsafe_csv_cells,
    workbook_texts,
)

pytestmark = pytest.mark.django_db


def it(text: str) -> str:
    with translation.override("it"):
        return translation.gettext(text)


def url(code: str) -> str:
    return reverse(f"queues:{BY_CODE[code].url_name}")


def listed(user, code, order="", **filters):
    return list(BY_CODE[code].listed(user, today=days_ago(0), filters=filters, order=order))


def counted(client, path, params=None):
    """(the answer, the queries it cost). The query log is emptied first: it keeps the
    last 9,000 queries only, and building the rows may fill it (a full log makes the
    capture's count meaningless)."""
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    return response, len(queries.captured_queries)


def codes(user) -> set[str]:
    return {queue.code for queue in queues_for(user)}


# --- who gets which queue -----------------------------------------------------------------


def test_each_profile_gets_its_own_queues(actors):
    physician, _asl = make_physician(actors)
    assert codes(actors.desk_operator) == {"invii", "permessi-in-scadenza"}
    assert codes(actors.social_worker) == {
        "invii",
        "analisi-preliminari",
        "verifiche",
        "azioni",
        "interventi-da-avviare",
        "obblighi-lep",
        "permessi-in-scadenza",
    }
    assert codes(actors.cpi_consultant) == {
        "invii",
        "verifiche",
        "azioni",
        "interventi-da-avviare",
        "obblighi-lep",
    }
    assert codes(actors.coordinator) == {queue.code for queue in QUEUES}
    assert codes(physician) == {"invii", "azioni"}
    assert codes(actors.monitoring_officer) == set()
    assert codes(actors.admin) == {queue.code for queue in QUEUES}


def test_a_queue_not_of_the_users_profiles_is_refused_and_an_unknown_one_not_found(actors, login):
    client = login(actors.desk_operator)
    assert client.get(url("responsabili-da-nominare")).status_code == 403
    assert client.get(url("verifiche")).status_code == 403
    assert client.get("/da-fare/nessuna/").status_code == 404
    client = login(actors.monitoring_officer)
    for queue in QUEUES:
        assert client.get(url(queue.code)).status_code == 403
    assert not AuditEvent.objects.filter(note__in=[NOTE_QUEUE, NOTE_QUEUE_EXPORT]).exists()


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(url("verifiche"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- what each queue holds ----------------------------------------------------------------


def test_preassessments_are_the_visible_referred_cases_by_priority_then_age(actors):
    old = make_case(actors, referred_on=days_ago(40))
    new = make_case(actors, referred_on=days_ago(5))
    make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.SOCIAL)
    other = other_zone_cast(actors)
    make_case(other, referred_on=days_ago(50))
    assert listed(actors.social_worker, "analisi-preliminari") == [old, new]
    assert listed(actors.coordinator, "analisi-preliminari") == [old, new]
    case_set_priority(actor=actors.coordinator, case=new, priority=Priority.HIGH)
    assert listed(actors.social_worker, "analisi-preliminari") == [new, old]
    assert listed(actors.social_worker, "analisi-preliminari", order="meno-recenti") == [old, new]
    assert listed(actors.social_worker, "analisi-preliminari", order="piu-recenti") == [new, old]
    assert listed(actors.social_worker, "analisi-preliminari", priorita="1") == [new]
    assert listed(actors.social_worker, "analisi-preliminari", attesa="lunga") == [old]
    assert len(listed(other.social_worker, "analisi-preliminari")) == 1


def test_cases_without_a_case_manager_are_the_coordinators_zones(actors):
    waiting = make_case(
        actors, stage=Stage.PREASSESSED, need_class=NeedClass.COMPLEX, case_manager=None
    )
    make_case(
        actors,
        stage=Stage.PREASSESSED,
        need_class=NeedClass.COMPLEX,
        case_manager=actors.social_worker,
    )
    make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK, case_manager=None)
    other = other_zone_cast(actors)
    make_case(other, stage=Stage.PREASSESSED, need_class=NeedClass.COMPLEX, case_manager=None)
    assert listed(actors.coordinator, "responsabili-da-nominare") == [waiting]
    assert len(listed(other.coordinator, "responsabili-da-nominare")) == 1


def _submitted_plan(cast, **case_fields):
    case = make_case(
        cast, stage=Stage.ASSESSED, need_class=NeedClass.COMPLEX, assessed_on=days_ago(30)
    )
    plan = plan_get_or_create(actor=cast.social_worker, case=case)
    plan_draft_save(
        actor=cast.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="Frequentare il corso",
        service_commitments="Attivare il tirocinio",
        objectives=[{"dimension": "work", "text": "Trovare un tirocinio"}],
        actions=[],
    )
    plan_submit(actor=cast.social_worker, plan=plan, on=days_ago(3))
    return plan


def test_plans_to_validate_are_the_coordinators_zones(actors):
    plan = _submitted_plan(actors)
    other = other_zone_cast(actors)
    _submitted_plan(other)
    [version] = listed(actors.coordinator, "progetti-da-validare")
    assert version.plan == plan
    assert len(listed(other.coordinator, "progetti-da-validare")) == 1


def test_reviews_due_and_overdue_of_the_cases_managed_or_the_zone(actors):
    case = followed_case(actors)
    late = add_review(case, days_ago(3))
    soon = add_review(case, days_ahead(5))
    later = add_review(case, days_ahead(20))
    add_review(case, days_ahead(31))  # too far ahead
    add_review(case, days_ago(10), held_on=days_ago(9))  # held
    add_review(followed_case(actors, stage=Stage.CLOSED), days_ago(4))  # closed case
    other = other_zone_cast(actors)
    add_review(followed_case(other, case_manager=other.social_worker), days_ago(2))

    assert listed(actors.social_worker, "verifiche") == [late, soon, later]
    assert listed(actors.coordinator, "verifiche") == [late, soon, later]
    assert listed(actors.cpi_consultant, "verifiche") == []  # not the case manager
    assert listed(actors.social_worker, "verifiche", scadenza="scaduti") == [late]
    assert listed(actors.social_worker, "verifiche", scadenza="entro-7") == [soon]
    assert listed(actors.social_worker, "verifiche", scadenza="entro-30") == [soon, later]
    assert listed(actors.social_worker, "verifiche", order="piu-recenti") == [later, soon, late]
    assert len(listed(other.social_worker, "verifiche")) == 1


def test_reviews_sort_by_the_cases_priority_then_age(actors):
    first = add_review(followed_case(actors), days_ago(5))
    second = add_review(followed_case(actors), days_ago(1))
    assert listed(actors.social_worker, "verifiche") == [first, second]
    second.case.refresh_from_db()
    second.case.priority = Priority.HIGH
    second.case.save(update_fields=["priority"])
    assert listed(actors.social_worker, "verifiche") == [second, first]


def test_plan_actions_due_of_the_responsible_and_of_the_cases_managed(actors):
    managed = followed_case(actors)
    [version] = add_plan_actions(
        managed,
        actors.social_worker,
        [(days_ago(2), None), (days_ahead(3), None), (days_ago(5), days_ago(1)), (None, None)],
    )
    late, soon = version.actions.filter(done_on__isnull=True, due_on__isnull=False).order_by(
        "due_on"
    )
    # A case the CPI consultant does not manage, with an action of theirs.
    other_case = followed_case(actors, case_manager=actors.coordinator)
    [other_version] = add_plan_actions(other_case, actors.coordinator, [(days_ago(1), None)])
    theirs = other_version.actions.get()
    theirs.responsible_user = actors.cpi_consultant
    theirs.save()
    # An older version's action is not the plan's any more.
    stale_case = followed_case(actors)
    add_plan_actions(stale_case, actors.social_worker, [(days_ago(9), None)], [])

    assert listed(actors.social_worker, "azioni") == [late, soon]
    assert listed(actors.cpi_consultant, "azioni") == [theirs]
    assert set(listed(actors.coordinator, "azioni")) == {late, soon, theirs}
    assert listed(actors.social_worker, "azioni", scadenza="scaduti") == [late]
    assert listed(actors.social_worker, "azioni", scadenza="entro-7") == [soon]
    assert listed(actors.outsider, "azioni") == []


def _intervention(case, actor, starts_on, status=Intervention.Status.PLANNED):
    return Intervention.objects.create(
        case=case,
        type=InterventionType.objects.filter(active=True).order_by("position").first(),
        provider=case.organisation,
        starts_on=starts_on,
        status=status,
        created_by=actor,
    )


def test_interventions_to_start_within_14_days_of_the_cases_managed(actors):
    case = followed_case(actors)
    late = _intervention(case, actors.social_worker, days_ago(2))
    soon = _intervention(case, actors.social_worker, days_ahead(14))
    _intervention(case, actors.social_worker, days_ahead(15))
    _intervention(case, actors.social_worker, None)
    _intervention(case, actors.social_worker, days_ago(5), Intervention.Status.ACTIVE)
    assert listed(actors.social_worker, "interventi-da-avviare") == [late, soon]
    assert listed(actors.social_worker, "interventi-da-avviare", avvio="in-ritardo") == [late]
    assert listed(actors.social_worker, "interventi-da-avviare", avvio="prossimi") == [soon]
    assert listed(actors.coordinator, "interventi-da-avviare") == [late, soon]
    assert listed(actors.cpi_consultant, "interventi-da-avviare") == []


def _lep_case(cast, *, child_days=None, **given):
    """A complex case assessed 30 days ago, managed by the cast's social worker, of a
    household with a child `child_days` old then (none when None)."""
    person = make_person(cast)
    if child_days is not None:
        household = household_create(actor=cast.social_worker, reference_person=person)
        child = make_person(
            cast, consent=False, birth_date=days_ago(30) - datetime.timedelta(days=child_days)
        )
        household_add_member(
            actor=cast.social_worker, household=household, person=child, relationship="child"
        )
    return make_case(cast, stage=Stage.ASSESSED, person=person, assessed_on=days_ago(30), **given)


def test_open_lep_obligations_of_the_cases_managed_or_the_zone(actors):
    no_intervention = _lep_case(actors)
    both = _lep_case(actors, child_days=300)
    theirs = _lep_case(actors, case_manager=actors.coordinator)
    # Not listed: an older child, a case not assessed yet, a closed case, another zone's.
    older = _lep_case(actors, child_days=1200)
    make_case(actors, stage=Stage.TEAM_FORMED)
    make_case(actors, stage=Stage.CLOSED)
    other = other_zone_cast(actors)
    elsewhere = _lep_case(other)
    assert set(listed(actors.social_worker, "obblighi-lep")) == {no_intervention, both, older}
    assert set(listed(actors.coordinator, "obblighi-lep")) == {
        no_intervention,
        both,
        older,
        theirs,
    }
    assert listed(actors.coordinator, "obblighi-lep", mancante="genitorialita") == [both]
    assert listed(actors.cpi_consultant, "obblighi-lep") == []
    assert listed(other.coordinator, "obblighi-lep") == [elsewhere]
    # Met: gone from the queue.
    plan_get_or_create(actor=actors.social_worker, case=no_intervention)
    Intervention.objects.create(
        case=no_intervention,
        type=InterventionType.objects.get(code="tirocinio"),
        provider=actors.cpi,
        status=Intervention.Status.ACTIVE,
        starts_on=days_ago(1),
        created_by=actors.social_worker,
    )
    assert no_intervention not in listed(actors.social_worker, "obblighi-lep")
    row = listed(actors.social_worker, "obblighi-lep", mancante="genitorialita")[0]
    assert BY_CODE["obblighi-lep"].columns[2].value(row) == "; ".join(
        [it("No intervention started"), it("No parenting support started (child under 1,000 days)")]
    )


def test_permits_expiring_within_60_days_of_the_persons_visible(actors):
    def person(expires_on, org=actors.sds):
        return PersonFactory(created_by_organisation=org, permit_expires_on=expires_on)

    today, in_60 = person(days_ahead(0)), person(days_ahead(60))
    in_10 = person(days_ahead(10))
    person(days_ahead(61))
    person(days_ago(1))
    person(days_ahead(10), org=actors.other_org)
    assert listed(actors.desk_operator, "permessi-in-scadenza") == [today, in_10, in_60]
    assert listed(actors.desk_operator, "permessi-in-scadenza", scadenza="entro-15") == [
        today,
        in_10,
    ]
    assert listed(actors.desk_operator, "permessi-in-scadenza", order="piu-lontani")[0] == in_60
    assert len(listed(actors.outsider, "permessi-in-scadenza")) == 1


def _referral(cast, *, to, sent_on, person=None, by=None):
    """A referral from the cast's SdS (by its desk operator), or from the CPI when `by`
    is the cast's CPI consultant."""
    by = by or cast.desk_operator
    sender = cast.cpi if by == cast.cpi_consultant else cast.sds
    return referral_send(
        actor=by,
        person=person or make_person(cast, created_by_organisation=sender, created_by=by),
        from_organisation=sender,
        to_organisation=to,
        sent_on=sent_on,
        reason="Ricerca di lavoro",
    )


def test_referrals_to_my_organisations_waiting_or_accepted_overdue_first(actors):
    overdue = _referral(actors, to=actors.cpi, sent_on=days_ago(30))
    fresh = _referral(actors, to=actors.cpi, sent_on=days_ago(0))
    accepted = _referral(actors, to=actors.cpi, sent_on=days_ago(40))
    referral_answer(actor=actors.cpi_consultant, referral=accepted, accept=True, on=days_ago(39))
    declined = _referral(actors, to=actors.cpi, sent_on=days_ago(2))
    referral_answer(
        actor=actors.cpi_consultant, referral=declined, accept=False, on=days_ago(1), note="No"
    )
    other = other_zone_cast(actors)
    _referral(other, to=other.cpi, sent_on=days_ago(1))

    assert overdue.sent_on < answer_due_before()
    cpi = actors.cpi_consultant
    assert listed(cpi, "invii") == [overdue, fresh, accepted]
    assert listed(cpi, "invii", stato="scaduti") == [overdue]
    assert listed(cpi, "invii", stato="accettati") == [accepted]
    assert listed(cpi, "invii", order="meno-recenti") == [accepted, overdue, fresh]
    # The sender's organisation waits for no answer of its own.
    assert listed(actors.desk_operator, "invii") == []
    assert listed(other.cpi_consultant, "invii") == list(
        Referral.objects.filter(to_organisation=other.cpi)
    )
    assert listed(actors.outsider, "invii") == []


# --- the page, its pages, its exports, its queries ------------------------------------------


def _reviews(actors, n, *, person_fields=None):
    for i in range(n):
        person = make_person(actors, **(person_fields or {}))
        case = followed_case(actors, person=person)
        add_review(case, days_ago(1 + i % 20))


def test_the_page_is_paginated_by_50_and_records_only_the_persons_it_shows(actors, login):
    _reviews(actors, 60)
    client = login(actors.social_worker)
    response = client.get(url("verifiche"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 50
    html = response.content.decode()
    assert escape(it("Reviews due and overdue")) in html
    assert escape(it("Export Excel")) in html
    shown = AuditEvent.objects.filter(note=NOTE_QUEUE, actor=actors.social_worker)
    assert shown.count() == 50
    second = client.get(url("verifiche"), {"page": 2})
    assert len(second.context["rows"]) == 10
    assert shown.count() == 60


def test_filters_and_order_over_http_keep_the_query_in_the_page_links(actors, login):
    _reviews(actors, 3)
    case = followed_case(actors)
    soon = add_review(case, days_ahead(2))
    client = login(actors.social_worker)
    response = client.get(url("verifiche"), {"scadenza": "entro-7", "ordine": "piu-recenti"})
    assert [row.obj for row in response.context["rows"]] == [soon]
    html = response.content.decode()
    assert "scadenza=entro-7&amp;ordine=piu-recenti&amp;formato=csv" in html
    # An unknown value is ignored: the whole queue.
    response = client.get(url("verifiche"), {"scadenza": "domani"})
    assert len(response.context["rows"]) == 4


@pytest.mark.parametrize(
    ("code", "build"),
    [
        ("verifiche", lambda actors, n: _reviews(actors, n)),
        (
            "azioni",
            lambda actors, n: [
                add_plan_actions(followed_case(actors), actors.social_worker, [(days_ago(1), None)])
                for _ in range(n)
            ],
        ),
        (
            "permessi-in-scadenza",
            lambda actors, n: [
                PersonFactory(created_by_organisation=actors.sds, permit_expires_on=days_ahead(i))
                for i in range(n)
            ],
        ),
        (
            "invii",
            lambda actors, n: [
                _referral(actors, to=actors.sds, sent_on=days_ago(i % 30), by=actors.cpi_consultant)
                for i in range(n)
            ],
        ),
        (
            "analisi-preliminari",
            lambda actors, n: [make_case(actors, preassess=False) for _ in range(n)],
        ),
        (
            "obblighi-lep",
            lambda actors, n: [_lep_case(actors, child_days=i * 10) for i in range(n)],
        ),
    ],
)
def test_a_queue_page_costs_the_same_queries_for_1_row_or_60(actors, login, code, build):
    client = login(actors.social_worker)
    build(actors, 1)
    client.get(url(code))  # the session and caches warm
    response, one = counted(client, url(code))
    assert len(response.context["rows"]) == 1
    build(actors, 59)
    response, sixty = counted(client, url(code))
    assert len(response.context["rows"]) == 50
    assert sixty == one
    response, export = counted(client, url(code), {"formato": "csv"})
    assert len(list(csv.reader(io.StringIO(response.content.decode())))) == 61
    assert export <= one
    # The session, the user and their memberships (4), the count and the rows, the
    # events' insert, the header's notifications: no query per row.
    assert one <= 12


def test_csv_export_holds_the_whole_filtered_queue_formula_safe(actors, login):
    _reviews(actors, 55, person_fields={"family_name": FORMULA_PAYLOADS[0]})
    add_review(followed_case(actors), days_ahead(3))
    client = login(actors.social_worker)
    response = client.get(url("verifiche"), {"formato": "csv", "scadenza": "scaduti"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="verifiche-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        it("Case"),
        it("Person"),
        it("Kind"),
        it("Scheduled on"),
        it("Case manager"),
        it("Access priority"),
    ]
    assert len(rows) == 56  # the header and the 55 overdue, not the one due soon
    assert unsafe_csv_cells(rows) == []
    exported = AuditEvent.objects.filter(note=NOTE_QUEUE_EXPORT, actor=actors.social_worker)
    assert exported.count() == 55


def test_xlsx_export_holds_every_row_as_safe_text(actors, login):
    _reviews(actors, 3, person_fields={"family_name": FORMULA_PAYLOADS[1]})
    client = login(actors.social_worker)
    response = client.get(url("verifiche"), {"formato": "xlsx"})
    assert response.status_code == 200
    texts, unsafe = workbook_texts(response.content)
    assert unsafe == []
    assert it("Scheduled on") in texts
    assert sum(FORMULA_PAYLOADS[1] in text for text in texts) == 3
    assert client.get(url("verifiche"), {"formato": "pdf"}).status_code == 400


# --- the home page ----------------------------------------------------------------------


def _home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, response.content.decode()


def test_home_counts_every_item_of_each_queue_and_links_to_the_whole_list(actors, login):
    for _ in range(7):
        make_case(actors, preassess=False)
    response, html = _home(login(actors.social_worker))
    counts = {queue.code: count for queue, count in response.context["queues"]}
    assert counts["analisi-preliminari"] == 7
    assert f'href="{url("analisi-preliminari")}"' in html
    assert escape(it("Pre-assessments to do")) in html
    # The home page names no one: nothing recorded.
    assert not AuditEvent.objects.filter(note__in=["home page", NOTE_QUEUE]).exists()
    page = login(actors.social_worker).get(url("analisi-preliminari"))
    assert len(page.context["rows"]) == 7


def test_home_page_queries_stay_constant(actors, login):
    client = login(actors.coordinator)
    _reviews(actors, 1)
    _home(client)
    _response, one = counted(client, reverse("home"))
    _reviews(actors, 20)
    PersonFactory(created_by_organisation=actors.sds, permit_expires_on=days_ahead(3))
    response, many = counted(client, reverse("home"))
    assert many == one
    # One count per queue (9 for a coordinator) and what the page showed before.
    assert len(response.context["queues"]) == 9 and one <= 23


def test_desk_operator_home_has_the_desk_cards_and_no_case_work(actors, login):
    response, html = _home(login(actors.desk_operator))
    cards = response.context["cards"]
    assert cards.register_person and cards.daily_register and cards.find_person
    assert not cards.my_cases and not cards.coordination and not cards.report
    assert escape(it("Find or register a person")) in html
    assert escape(it("Open the daily register")) in html
    assert {q.code for q, _n in response.context["queues"]} == {"invii", "permessi-in-scadenza"}


def test_social_worker_home_has_cases_and_registration_but_no_daily_register(actors, login):
    response, html = _home(login(actors.social_worker))
    cards = response.context["cards"]
    assert cards.register_person and cards.my_cases
    assert not cards.daily_register and not cards.coordination
    assert 'id="card-register"' not in html
    assert 'id="queue-verifiche"' in html and 'id="queue-progetti-da-validare"' not in html


def test_cpi_consultant_home_has_their_case_queues(actors, login):
    response, html = _home(login(actors.cpi_consultant))
    cards = response.context["cards"]
    assert cards.my_cases and cards.register_person and not cards.daily_register
    assert 'id="queue-azioni"' in html and 'id="queue-analisi-preliminari"' not in html


def test_coordinator_home_has_every_queue_and_the_coordination_card(actors, login):
    response, html = _home(login(actors.coordinator))
    cards = response.context["cards"]
    assert cards.coordination and cards.report and cards.my_cases
    assert len(response.context["queues"]) == len(QUEUES)
    assert escape(it("Open the coordination page")) in html


def test_physician_home_has_their_cases_and_no_desk_card(actors, login):
    physician, _asl = make_physician(actors)
    response, html = _home(login(physician))
    cards = response.context["cards"]
    assert cards.my_cases and cards.find_person
    assert not cards.register_person and not cards.daily_register
    assert escape(it("Find or register a person")) not in html
    assert escape(it("Find a person")) in html
    assert {q.code for q, _n in response.context["queues"]} == {"invii", "azioni"}


def test_monitoring_officer_home_has_the_report_and_no_name(actors, login):
    make_case(actors)
    response, html = _home(login(actors.monitoring_officer))
    cards = response.context["cards"]
    assert cards.report
    assert not (cards.find_person or cards.register_person or cards.daily_register)
    assert not cards.my_cases
    assert response.context["queues"] == []
    assert 'id="home-queues"' not in html
    assert escape(it("Open the report")) in html


def test_exports_hold_every_formula_like_name_as_text(actors, login):
    for i, payload in enumerate(FORMULA_PAYLOADS):
        PersonFactory(
            created_by_organisation=actors.sds,
            family_name=payload,
            given_names=payload,
            permit_expires_on=days_ahead(i),
        )
    client = login(actors.desk_operator)
    response = client.get(url("permessi-in-scadenza"), {"formato": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 + len(FORMULA_PAYLOADS)
    assert unsafe_csv_cells(rows) == []
    response = client.get(url("permessi-in-scadenza"), {"formato": "xlsx"})
    texts, unsafe = workbook_texts(response.content)
    assert unsafe == []
    assert len([t for t in texts if t.startswith(tuple(FORMULA_PAYLOADS))]) >= len(FORMULA_PAYLOADS)
