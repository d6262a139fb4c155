"""Access priorities (issue 18, part 4; seed 004: the coordination group "sets the access
priorities"): a waiting case carries a priority the zone's coordinators set, with a note,
who and when; the lists of waiting cases sort by it, then by age."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import SENSITIVE_CHANGE
from crocevia.cases.models import NeedClass, Priority, Stage
from crocevia.cases.selectors import managers_to_appoint, preassessed_complex_waiting
from crocevia.cases.services import case_set_priority
from crocevia.meetings.lists import zone_cases
from crocevia.site.queues import PREASSESSMENTS
from crocevia.testing import days_ago, make_case, make_person, other_zone_cast

pytestmark = pytest.mark.django_db


def _waiting(actors, family, **milestones):
    """A complex case pre-assessed (waiting for its team)."""
    person = make_person(actors, family_name=family, given_names="Awa")
    return make_case(actors, stage=Stage.PREASSESSED, person=person, **milestones)


def test_the_coordinator_sets_the_priority_with_a_note_who_and_when_audited(actors):
    case = _waiting(actors, "Camara")
    assert case.priority == Priority.MEDIUM and case.priority_set_by is None
    case_set_priority(
        actor=actors.coordinator,
        case=case,
        priority=Priority.HIGH,
        note="Nucleo con minori, sfratto esecutivo",
    )
    case.refresh_from_db()
    assert case.priority == Priority.HIGH
    assert case.priority_note == "Nucleo con minori, sfratto esecutivo"
    assert case.priority_set_by == actors.coordinator and case.priority_set_at is not None
    event = AuditEvent.objects.get(action=AuditAction.CASE_SET_PRIORITY, object_id=str(case.pk))
    assert event.changes["priority"] == [Priority.MEDIUM, Priority.HIGH]
    assert event.changes["priority_note"] == SENSITIVE_CHANGE  # the reasons speak of the person
    assert event.person_id == case.person_id


def test_only_the_zones_coordinator_sets_it_and_a_refusal_writes_nothing(actors):
    case = _waiting(actors, "Camara")
    other = other_zone_cast(actors)
    for someone in (actors.social_worker, actors.cpi_consultant, other.coordinator):
        with pytest.raises(PermissionDenied):
            case_set_priority(actor=someone, case=case, priority=Priority.HIGH)
    with pytest.raises(ValidationError) as error:
        case_set_priority(actor=actors.coordinator, case=case, priority=7)
    assert "priority" in error.value.message_dict
    case.refresh_from_db()
    assert case.priority == Priority.MEDIUM and case.priority_set_by is None
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_SET_PRIORITY).exists()


def test_a_case_whose_plan_is_signed_no_longer_waits(actors):
    signed = make_case(actors, stage=Stage.PLAN_SIGNED, need_class=NeedClass.SOCIAL)
    assert not signed.is_waiting
    with pytest.raises(ValidationError) as error:
        case_set_priority(actor=actors.coordinator, case=signed, priority=Priority.LOW)
    assert "priority" in error.value.message_dict
    referred = make_case(actors, stage=Stage.REFERRED)
    case_set_priority(actor=actors.admin, case=referred, priority=Priority.LOW)
    referred.refresh_from_db()
    assert referred.priority == Priority.LOW


def test_waiting_lists_sort_by_priority_then_age(actors):
    oldest = _waiting(actors, "Uno", preassessed_on=days_ago(40))
    middle = _waiting(actors, "Due", preassessed_on=days_ago(30))
    newest = _waiting(actors, "Tre", preassessed_on=days_ago(20))
    assert list(preassessed_complex_waiting(actors.coordinator)) == [oldest, middle, newest]
    case_set_priority(actor=actors.coordinator, case=newest, priority=Priority.HIGH)
    case_set_priority(actor=actors.coordinator, case=oldest, priority=Priority.LOW)
    assert list(preassessed_complex_waiting(actors.coordinator)) == [newest, middle, oldest]
    in_zone = zone_cases(actors.coordinator, stage=Stage.PREASSESSED, sort="priority")
    assert list(in_zone) == [newest, middle, oldest]
    # The zone list's own default stays the latest referral first.
    assert list(zone_cases(actors.coordinator, stage=Stage.PREASSESSED))[0] == newest

    first = make_case(actors, stage=Stage.REFERRED, referred_on=days_ago(9))
    second = make_case(actors, stage=Stage.REFERRED, referred_on=days_ago(3))

    def preassessments():
        listed = PREASSESSMENTS.listed(
            actors.social_worker, today=days_ago(0), filters={}, order=""
        )
        return list(listed)[:2]

    assert preassessments() == [first, second]
    case_set_priority(actor=actors.coordinator, case=second, priority=Priority.HIGH)
    assert preassessments() == [second, first]
    assert list(managers_to_appoint(actors.coordinator)) == []


def test_the_case_page_shows_the_priority_and_its_form_to_the_coordinator(actors, login):
    case = _waiting(actors, "Camara")
    url = reverse("cases:detail", args=[case.pk])
    action = reverse("cases:set_priority", args=[case.pk])
    assert action not in login(actors.social_worker).get(url).content.decode()
    client = login(actors.coordinator)
    assert action in client.get(url).content.decode()

    response = client.post(action, {"priority": "9", "note": "Scritto a mano"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="priority-error"' in html
    assert "Scritto a mano" in html  # what was typed is kept
    case.refresh_from_db()
    assert case.priority == Priority.MEDIUM

    response = client.post(action, {"priority": "1", "note": "Sfratto"})
    assert response.status_code == 302
    html = login(actors.social_worker).get(url).content.decode()
    with translation.override("it"):
        assert escape(str(Priority.HIGH.label)) in html
    assert "Sfratto" in html and actors.coordinator.get_full_name() in html


def test_people_who_may_not_set_the_priority_get_403_or_404_and_nothing_changes(actors, login):
    case = _waiting(actors, "Camara")
    action = reverse("cases:set_priority", args=[case.pk])
    assert login(actors.social_worker).post(action, {"priority": "1"}).status_code == 403
    assert login(actors.outsider).post(action, {"priority": "1"}).status_code == 404
    assert login(actors.coordinator).get(action).status_code == 405
    case.refresh_from_db()
    assert case.priority == Priority.MEDIUM


def test_the_coordination_page_shows_the_priorities_in_their_order(actors, login):
    low = _waiting(actors, "Bassa", preassessed_on=days_ago(40))
    high = _waiting(actors, "Alta", preassessed_on=days_ago(10))
    case_set_priority(actor=actors.coordinator, case=low, priority=Priority.LOW)
    case_set_priority(actor=actors.coordinator, case=high, priority=Priority.HIGH)
    response = login(actors.coordinator).get(reverse("cases:coordination"))
    assert list(response.context["cases"]) == [high, low]
    html = response.content.decode()
    assert html.index("Alta") < html.index("Bassa")
    assert 'case-priority-1"' in html or "case-priority-1 " in html
