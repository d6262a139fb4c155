"""Case lists, overdue flags, home alerts and navigation."""

import pytest
from django.urls import reverse

from crocevia.cases.models import Stage, TeamMember
from crocevia.meetings.lists import my_cases, zone_cases
from crocevia.testing import other_zone_cast

from .support import (
    add_member,
    add_plan_actions,
    add_review,
    days_ago,
    days_ahead,
    followed_case,
)

pytestmark = pytest.mark.django_db


def _pks(queryset):
    return {c.pk for c in queryset}


def test_my_cases_are_those_managed_or_on_the_team(actors):
    managed = followed_case(actors)
    # Its manager off its team (a state no service leaves): found as its manager only.
    TeamMember.objects.filter(case=managed, user=actors.social_worker).delete()
    on_team = followed_case(actors, case_manager=actors.coordinator)
    add_member(on_team, actors.social_worker, actors.sds, by=actors.coordinator)
    left_team = followed_case(actors, case_manager=actors.coordinator)
    add_member(
        left_team, actors.social_worker, actors.sds, by=actors.coordinator, removed_on=days_ago(1)
    )
    assert _pks(my_cases(actors.social_worker)) == {managed.pk, on_team.pk}
    assert _pks(my_cases(actors.outsider)) == set()


def test_my_cases_filters_by_stage_need_class_case_manager_and_overdue(actors):
    sw = actors.social_worker
    referred = followed_case(actors, stage=Stage.REFERRED)
    work = followed_case(actors, need_class="work")
    social = followed_case(actors, need_class="social")
    other_manager = followed_case(actors, case_manager=actors.coordinator)
    add_member(other_manager, sw, actors.sds, by=actors.coordinator)
    add_review(social, days_ago(1))

    assert _pks(my_cases(sw, stage=Stage.REFERRED)) == {referred.pk}
    assert _pks(my_cases(sw, need_class="work")) == {work.pk}
    assert _pks(my_cases(sw, case_manager=actors.coordinator)) == {other_manager.pk}
    assert _pks(my_cases(sw, overdue=True)) == {social.pk}
    assert _pks(my_cases(sw, need_class="social", overdue=True)) == {social.pk}


def test_filters_over_http(actors, login):
    work = followed_case(actors, need_class="work")
    followed_case(actors, need_class="social")
    client = login(actors.social_worker)
    response = client.get(reverse("cases:followup_my_cases"), {"need_class": "work"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [work.pk]
    response = client.get(
        reverse("cases:followup_my_cases"), {"case_manager": actors.social_worker.pk}
    )
    assert len(response.context["cases"]) == 2
    response = client.get(reverse("cases:followup_my_cases"), {"overdue": "on"})
    assert list(response.context["cases"]) == []


def test_overdue_review_flagged(actors):
    late = followed_case(actors)
    add_review(late, days_ago(1))
    held = followed_case(actors)
    add_review(held, days_ago(5), held_on=days_ago(4))
    today = followed_case(actors)
    add_review(today, days_ahead(0))
    closed = followed_case(actors, stage=Stage.CLOSED)
    add_review(closed, days_ago(10))
    flags = {c.pk: (c.review_overdue, c.overdue) for c in my_cases(actors.social_worker)}
    assert flags[late.pk] == (True, True)
    assert flags[held.pk] == (False, False)
    assert flags[today.pk] == (False, False)
    assert flags[closed.pk] == (False, False)


def test_overdue_action_of_the_latest_plan_version_flagged(actors):
    sw = actors.social_worker
    late = followed_case(actors)
    add_plan_actions(late, sw, [(days_ahead(5), None)], [(days_ago(1), None)])
    superseded = followed_case(actors)  # the late action belongs to an older version
    add_plan_actions(superseded, sw, [(days_ago(3), None)], [(days_ahead(5), None)])
    done = followed_case(actors)
    add_plan_actions(done, sw, [(days_ago(3), days_ago(2))])
    flags = {c.pk: (c.action_overdue, c.overdue) for c in my_cases(sw)}
    assert flags[late.pk] == (True, True)
    assert flags[superseded.pk] == (False, False)
    assert flags[done.pk] == (False, False)


def test_coordinator_sees_zone_cases_and_desk_operator_gets_nothing(actors, login):
    ours = followed_case(actors, case_manager=actors.cpi_consultant)
    followed_case(other_zone_cast(actors), case_manager=actors.outsider)
    assert _pks(zone_cases(actors.coordinator)) == {ours.pk}
    assert _pks(zone_cases(actors.desk_operator)) == set()
    response = login(actors.coordinator).get(reverse("cases:followup_zone_cases"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [ours.pk]
    assert login(actors.desk_operator).get(reverse("cases:followup_zone_cases")).status_code == 403


def test_zone_list_filters_by_case_manager(actors, login):
    mine = followed_case(actors, case_manager=actors.cpi_consultant)
    followed_case(actors)
    response = login(actors.coordinator).get(
        reverse("cases:followup_zone_cases"), {"case_manager": actors.cpi_consultant.pk}
    )
    assert [c.pk for c in response.context["cases"]] == [mine.pk]


@pytest.mark.parametrize("url_name", ["followup_my_cases", "followup_zone_cases"])
def test_list_page_query_count_is_constant(actors, login, django_assert_max_num_queries, url_name):
    client = login(actors.coordinator)
    url = reverse(f"cases:{url_name}")

    def build(n):
        for i in range(n):
            case = followed_case(actors, case_manager=actors.coordinator)
            add_review(case, days_ago(1 + i % 3))
            add_plan_actions(case, actors.coordinator, [(days_ago(2), None)])

    build(1)
    with django_assert_max_num_queries(12) as one:
        assert client.get(url).status_code == 200
    build(29)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url, {"overdue": "on"})
    assert response.status_code == 200
    assert len(response.context["cases"]) == 30


def test_navigation_shows_case_lists_by_role(actors, login):
    mine, zone, meetings = (
        reverse("cases:followup_my_cases"),
        reverse("cases:followup_zone_cases"),
        reverse("cases:followup_meetings"),
    )
    urls = {
        url for _label, url in login(actors.coordinator).get(reverse("home")).context["nav_items"]
    }
    assert {mine, zone, meetings} <= urls
    urls = {
        url for _label, url in login(actors.desk_operator).get(reverse("home")).context["nav_items"]
    }
    assert mine in urls and zone not in urls and meetings not in urls


def test_monitoring_officer_gets_no_case_list_and_no_alerts(actors, login):
    followed_case(actors, stage=Stage.REFERRED)
    assert list(my_cases(actors.monitoring_officer)) == []
    response = login(actors.monitoring_officer).get(reverse("home"))
    assert response.status_code == 200
    assert response.context["queues"] == []
    urls = {url for _label, url in response.context["nav_items"]}
    assert reverse("cases:followup_my_cases") not in urls


def test_htmx_filter_returns_only_the_results(actors, login):
    followed_case(actors, need_class="work")
    response = login(actors.social_worker).get(
        reverse("cases:followup_my_cases"), {"need_class": "work"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="case-list"' in html and "<html" not in html


def test_closed_cases_are_archived_out_of_the_daily_lists(actors, login):
    open_case = followed_case(actors)
    closed = followed_case(actors, stage=Stage.CLOSED)
    client = login(actors.social_worker)
    listed = client.get(reverse("cases:followup_my_cases")).context["cases"]
    assert [c.pk for c in listed] == [open_case.pk]
    archive = client.get(reverse("cases:followup_my_cases"), {"stage": "closed"})
    assert [c.pk for c in archive.context["cases"]] == [closed.pk]
    assert "?stage=closed" in client.get(reverse("cases:followup_my_cases")).content.decode()
    coordinator = login(actors.coordinator)
    zone = coordinator.get(reverse("cases:followup_zone_cases")).context["cases"]
    assert closed.pk not in {c.pk for c in zone}
    zone_archive = coordinator.get(reverse("cases:followup_zone_cases"), {"stage": "closed"})
    assert [c.pk for c in zone_archive.context["cases"]] == [closed.pk]
    # Archived, never deleted: the case and its page are still there, read-only.
    page = client.get(reverse("cases:detail", args=[closed.pk]))
    assert page.status_code == 200
