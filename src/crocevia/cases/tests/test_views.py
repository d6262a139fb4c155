import pytest
from django.urls import reverse

from crocevia.accounts.models import Profile
from crocevia.audit.models import AuditEvent
from crocevia.cases import services
from crocevia.cases.models import Case, NeedClass, Stage, TeamMember
from crocevia.desk.models import Contact
from crocevia.desk.services import contact_record
from crocevia.people.models import Person
from crocevia.testing import (
    PersonFactory,
    days_ago,
    make_case,
    make_member,
    make_person,
    make_physician,
)

pytestmark = pytest.mark.django_db

HEALTH = "Diabete di tipo 2"


def case_urls(case, member_pk=0):
    return [
        ("get", reverse("cases:detail", args=[case.pk])),
        ("get", reverse("cases:preassess", args=[case.pk])),
        ("get", reverse("cases:close", args=[case.pk])),
        ("post", reverse("cases:close", args=[case.pk])),
        ("post", reverse("cases:set_manager", args=[case.pk])),
        ("post", reverse("cases:team_add", args=[case.pk])),
        ("post", reverse("cases:team_remove", args=[case.pk, member_pk])),
        ("post", reverse("cases:form_team", args=[case.pk])),
    ]


def test_case_page_shows_stage_team_and_records_one_access_event(actors, login):
    case = make_case(actors, stage=Stage.PREASSESSED)
    client = login(actors.social_worker)
    before = AuditEvent.objects.filter(kind="access", object_id=str(case.pk)).count()
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-current="step"' in body
    assert str(actors.cpi_consultant) in body
    assert AuditEvent.objects.filter(kind="access", object_id=str(case.pk)).count() == before + 1


def test_cpi_consultant_on_the_team_cannot_read_declared_health(actors, login):
    case = make_case(actors, stage=Stage.PREASSESSED)
    response = login(actors.cpi_consultant).get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert HEALTH not in body
    assert 'id="health-declared"' in body


def test_case_manager_and_physician_member_read_declared_health(actors, client):
    case = make_case(actors, stage=Stage.PREASSESSED)
    services.case_set_manager(actor=actors.coordinator, case=case, user=actors.social_worker)
    physician, asl = make_physician(actors)
    services.team_member_add(
        actor=actors.coordinator,
        case=case,
        user=physician,
        organisation=asl,
        role=Profile.PHYSICIAN,
        on=days_ago(0),
    )
    for user in (actors.social_worker, physician):
        client.force_login(user)
        response = client.get(reverse("cases:detail", args=[case.pk]))
        assert HEALTH in response.content.decode(), user


def test_coordinator_of_the_zone_sees_the_case(actors, login):
    case = make_case(actors, stage=Stage.PREASSESSED)
    assert login(actors.coordinator).get(reverse("cases:detail", args=[case.pk])).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "monitoring_officer", "desk_operator"])
def test_people_off_the_case_get_404_on_every_case_url(actors, login, who):
    case = make_case(actors, stage=Stage.PREASSESSED)
    member = case.team.first()
    client = login(getattr(actors, who))
    for method, url in case_urls(case, member.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)


def test_anonymous_is_sent_to_login(actors, client):
    case = make_case(actors)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_closed_case_refuses_changes_with_403(actors, login):
    case = make_case(actors, stage=Stage.CLOSED)
    client = login(actors.coordinator)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    for method, url in case_urls(case, case.team.first().pk)[1:]:
        assert getattr(client, method)(url).status_code == 403, url


def test_case_page_queries_do_not_grow_with_the_team(actors, login, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = make_case(actors, stage=Stage.PREASSESSED)
    client = login(actors.coordinator)
    url = reverse("cases:detail", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(6):
        user = make_member(f"educatore{n}", actors.sds, Profile.EDUCATOR)
        services.team_member_add(
            actor=actors.coordinator,
            case=case,
            user=user,
            organisation=actors.sds,
            role=Profile.EDUCATOR,
            on=days_ago(0),
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("consent", [True, False])
def test_open_a_case_from_a_level_2_contact(actors, login, consent):
    person = make_person(actors, consent=consent)
    contact = contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=days_ago(1),
        services=["information"],
        outcome=Contact.Outcome.SECOND_LEVEL,
    )
    client = login(actors.desk_operator)
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    url = reverse("cases:open_from_contact", args=[contact.pk])
    assert url in page
    assert client.get(url).status_code == 200
    if not consent:
        # The case's team will bring in the CPI: the opening asks for the consent there.
        refused = client.post(url)
        assert refused.status_code == 200
        assert 'id="sharing_basis-error"' in refused.content.decode()
        assert not Case.objects.exists()
    response = client.post(url, {"sharing_basis": "consent", "consent_now": "on"})
    case = Case.objects.get(source_contact=contact)
    assert case.sharing_basis == "consent"
    assert person.consents.filter(scope="network_sharing", withdrawn_on__isnull=True).count() == 1
    assert response.status_code == 302 and response["Location"] == reverse(
        "cases:detail", args=[case.pk]
    )
    assert client.get(url)["Location"] == reverse("cases:detail", args=[case.pk])
    banner = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Consenso registrato" in banner.split('id="case-sharing"')[1][:400]


def test_social_worker_opens_a_case_directly_and_preassesses_it(actors, login):
    person = make_person(actors)
    client = login(actors.social_worker)
    response = client.post(
        reverse("cases:open_direct", args=[person.pk]),
        {"organisation": actors.sds.pk, "referred_on": days_ago(3).isoformat()},
    )
    case = Case.objects.get(person=person)
    assert response.status_code == 302
    data = {
        "social_worker": actors.social_worker.pk,
        "cpi_consultant": actors.cpi_consultant.pk,
        "preassessed_on": days_ago(5).isoformat(),  # before the referral: refused
        "need_class": NeedClass.COMPLEX,
        "area": "economic_hardship",
        "work_history": "Muratore",
        "health_declared": HEALTH,
    }
    url = reverse("cases:preassess", args=[case.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert 'id="preassessed_on-error"' in response.content.decode()
    assert "Muratore" in response.content.decode()
    data["preassessed_on"] = days_ago(1).isoformat()
    response = client.post(url, data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.PREASSESSED and case.need_class == NeedClass.COMPLEX
    assert case.area == "economic_hardship"
    assert TeamMember.objects.filter(case=case).count() == 2


# The buttons at the top of the case page come from workflow.allowed_targets: for whoever
# steers the case, the pre-assessment while it is referred, the closure while it is open.
BUTTONS = [
    (NeedClass.COMPLEX, Stage.REFERRED, ["preassess", "close"]),
    (NeedClass.COMPLEX, Stage.PREASSESSED, ["close"]),
    (NeedClass.COMPLEX, Stage.TEAM_FORMED, ["close"]),
    (NeedClass.COMPLEX, Stage.ASSESSED, ["close"]),
    (NeedClass.COMPLEX, Stage.PLAN_SIGNED, ["close"]),
    (NeedClass.COMPLEX, Stage.IN_PROGRESS, ["close"]),
    (NeedClass.COMPLEX, Stage.CLOSED, []),
    (NeedClass.WORK, Stage.PREASSESSED, ["close"]),
]


@pytest.mark.parametrize(
    ("need", "stage", "buttons"), BUTTONS, ids=[f"{n}-{s}" for n, s, _ in BUTTONS]
)
def test_case_page_offers_the_steps_the_case_may_take_to_who_steers_it(
    actors, login, need, stage, buttons
):
    case = make_case(actors, stage=stage, need_class=need)
    # The CPI consultant on the team steers a work-only case (the case is the CPI's).
    cpi_steers = need == NeedClass.WORK
    for user, steers in ((actors.social_worker, True), (actors.cpi_consultant, cpi_steers)):
        body = login(user).get(reverse("cases:detail", args=[case.pk])).content.decode()
        for name in ("preassess", "close"):
            link = f'href="{reverse(f"cases:{name}", args=[case.pk])}"'
            assert (link in body) == (steers and name in buttons), (user, name)


@pytest.mark.parametrize(
    ("need", "stage"),
    [
        (NeedClass.COMPLEX, Stage.REFERRED),
        (NeedClass.COMPLEX, Stage.PREASSESSED),
        (NeedClass.COMPLEX, Stage.TEAM_FORMED),
        (NeedClass.WORK, Stage.PREASSESSED),
    ],
)
def test_only_a_complex_pre_assessed_case_offers_its_coordinator_to_form_the_team(
    actors, login, need, stage
):
    case = make_case(actors, stage=stage, need_class=need)
    action = f'action="{reverse("cases:form_team", args=[case.pk])}"'
    expected = need == NeedClass.COMPLEX and stage == Stage.PREASSESSED
    body = login(actors.coordinator).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert (action in body) == expected
    body = login(actors.cpi_consultant).get(reverse("cases:detail", args=[case.pk]))
    assert action not in body.content.decode()


def test_coordinator_queue_names_manager_adds_member_and_forms_team(actors, login):
    case = make_case(actors, stage=Stage.PREASSESSED)
    client = login(actors.coordinator)
    queue = client.get(reverse("cases:coordination"))
    assert case.person.full_name in queue.content.decode()
    sw_membership = actors.social_worker.memberships.get()
    response = client.post(
        reverse("cases:set_manager", args=[case.pk]), {"manager": sw_membership.pk}
    )
    assert response.status_code == 302
    tutor = make_member("tutor", actors.other_org, Profile.TUTOR)
    response = client.post(
        reverse("cases:team_add", args=[case.pk]),
        {"membership": tutor.memberships.get().pk, "on": days_ago(0).isoformat()},
    )
    assert response.status_code == 302
    assert case.team.filter(user=tutor).exists()
    response = client.post(
        reverse("cases:form_team", args=[case.pk]), {"team-on": days_ago(0).isoformat()}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.TEAM_FORMED
    assert case.person.full_name not in client.get(reverse("cases:coordination")).content.decode()


def test_coordination_shows_the_fifty_oldest_cases_to_appoint_and_links_to_all(actors, login):
    # An import of cases whose register names no case manager: 51 to appoint.
    persons = Person.objects.bulk_create(
        PersonFactory.build(external_id=f"P{n}") for n in range(51)
    )
    # As the interchange hands rows over: parsed, the records their codes name.
    imported = services.cases_import_bulk(
        actor=actors.coordinator,
        rows=[
            {
                "external_id": f"K{n}",
                "person": person,
                "organisation": actors.sds,
                "referred_on": days_ago(100),
                "benefit_application": None,
                "preassessed_on": days_ago(90),
                "need_class": NeedClass.COMPLEX,
                "team_formed_on": days_ago(80 - n),
                "assessed_on": None,
                "plan_kind": "",
                "plan_signed_on": None,
                "plan_started_on": None,
                "closed_on": None,
                "outcome": "",
                "area": "",
            }
            for n, person in enumerate(persons)
        ],
    )
    assert imported.created == 51 and imported.managers_to_appoint == 51
    client = login(actors.coordinator)
    response = client.get(reverse("cases:coordination"))
    shown = response.context["to_appoint"]
    assert [c.person_id for c in shown] == [p.pk for p in persons[:50]]
    content = response.content.decode()
    more = content.split('<p class="coordination-more">', 1)[1].split("</p>", 1)[0]
    assert "50" in more and "51" in more
    # The whole list, in the same order: by priority, then oldest first.
    full_list = reverse("cases:followup_zone_cases") + "?manager_to_appoint=on&amp;sort=priority"
    assert full_list in more
    events = AuditEvent.objects.filter(actor=actors.coordinator, kind="access")
    assert set(events.values_list("person_id", flat=True)) == {p.pk for p in persons[:50]}
    listed = client.get(full_list)
    assert listed.context["page"].paginator.count == 51
    assert {c.person_id for c in listed.context["page"].object_list} <= {p.pk for p in persons}
    # The filter keeps out the cases whose case manager is named.
    named = make_case(actors, stage=Stage.TEAM_FORMED)
    assert named.case_manager_id
    assert client.get(full_list).context["page"].paginator.count == 51
    assert client.get(reverse("cases:followup_zone_cases")).context["page"].paginator.count == 52


def test_coordination_queue_is_not_for_social_workers(actors, login):
    assert login(actors.social_worker).get(reverse("cases:coordination")).status_code == 404


def test_adding_a_member_without_consent_shows_why_and_adds_nobody(actors, login):
    case = make_case(actors, stage=Stage.REFERRED, consent=False)
    tutor = make_member("tutor", actors.other_org, Profile.TUTOR)
    response = login(actors.coordinator).post(
        reverse("cases:team_add", args=[case.pk]),
        {"membership": tutor.memberships.get().pk, "on": days_ago(0).isoformat()},
    )
    assert response.status_code == 200
    assert 'id="membership-error"' in response.content.decode()
    assert not case.team.exists()


def test_closing_without_outcome_shows_the_error_then_closes(actors, login):
    case = make_case(actors, stage=Stage.IN_PROGRESS)
    client = login(actors.social_worker)
    url = reverse("cases:close", args=[case.pk])
    response = client.post(url, {"closed_on": days_ago(0).isoformat(), "outcome": ""})
    assert 'id="outcome-error"' in response.content.decode()
    response = client.post(
        url,
        {
            "closed_on": days_ago(0).isoformat(),
            "outcome": "employed",
            "open_items_reason": "Assunta: la verifica finale non serve più.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.is_closed
    history = client.get(reverse("cases:person_cases", args=[case.person.pk])).content.decode()
    assert reverse("cases:detail", args=[case.pk]) in history


def test_case_closed_early_shows_only_the_steps_it_reached(actors, login):
    case = make_case(actors, stage=Stage.REFERRED)
    services.case_close(
        actor=actors.social_worker, case=case, on=case.referred_on, outcome="moved_away"
    )
    body = login(actors.social_worker).get(reverse("cases:detail", args=[case.pk])).content
    body = body.decode()
    assert body.count('class="case-step case-step-') == 2
    assert body.count('class="case-step case-step-done"') == 1
    assert 'class="case-step case-step-current" aria-current="step"' in body
    assert "case-step-todo" not in body
