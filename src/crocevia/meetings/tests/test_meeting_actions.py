"""A meeting's decision becomes an action of a discussed case's plan (service and HTTP)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import Outcome, Stage
from crocevia.cases.services import case_close
from crocevia.meetings.models import Meeting
from crocevia.meetings.services import meeting_record, plan_action_add_from_meeting
from crocevia.plans.models import Action, PlanVersion
from crocevia.plans.services import (
    ConflictError,
    plan_draft_save,
    plan_get_or_create,
    plan_sign,
)
from crocevia.testing import days_ago, make_case, validate_plan

pytestmark = pytest.mark.django_db

DECISION = "Attivare un tirocinio presso la cooperativa entro fine mese"


def _plan(actors, *, signed: bool):
    """A case with a plan (v1: one objective, one action), signed or still a draft."""
    case = make_case(actors, stage=Stage.ASSESSED)
    plan = plan_get_or_create(actor=actors.social_worker, case=case)
    version = plan_draft_save(
        actor=actors.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="Frequentare il corso",
        service_commitments="Attivare il tirocinio",
        objectives=[{"dimension": "work", "text": "Trovare un tirocinio"}],
        actions=[
            {
                "description": "Colloquio di orientamento",
                "responsible_user": actors.cpi_consultant,
                "responsible_organisation": None,
                "due_on": None,
                "objective": 1,
            }
        ],
    )
    if signed:
        validate_plan(actors, plan)
        plan_sign(
            actor=actors.social_worker,
            version=version,
            signed_on=days_ago(5),
            operators=[actors.social_worker, actors.cpi_consultant],
        )
    case.refresh_from_db()
    return case, plan


def _meeting(actors, cases, decisions=DECISION):
    return meeting_record(
        actor=actors.coordinator,
        zone=actors.zone,
        kind=Meeting.Kind.TEAM,
        held_on=days_ago(2),
        attendees=[actors.coordinator, actors.social_worker],
        cases=cases,
        items={c.pk: {"minutes": "Discusso il caso", "decisions": decisions} for c in cases},
    )


def _add(actors, meeting, case, **kw):
    values = {
        "actor": actors.social_worker,
        "meeting": meeting,
        "case": case,
        "description": "Attivare un tirocinio",
        "responsible_user": actors.cpi_consultant,
        "responsible_organisation": actors.cpi,
        "due_on": days_ago(-20),
    }
    values.update(kw)
    return plan_action_add_from_meeting(**values)


# --- Service -------------------------------------------------------------------------


def test_on_a_signed_plan_the_action_goes_into_a_new_version_v1_unchanged(actors):
    case, plan = _plan(actors, signed=True)
    meeting = _meeting(actors, [case])
    v1 = PlanVersion.objects.get(plan=plan, number=1)
    v1_actions = list(v1.actions.values_list("description", "from_meeting"))

    version = _add(actors, meeting, case)

    assert version.number == 2 and version.signed_on is None
    assert version.revision == v1.revision + 1
    # v1 stays as signed.
    v1.refresh_from_db()
    assert v1.signed_on == days_ago(5)
    assert list(v1.actions.values_list("description", "from_meeting")) == v1_actions
    # v2 is a copy of v1 (objectives, actions, commitments) plus the meeting's action.
    assert version.person_commitments == "Frequentare il corso"
    assert [o.text for o in version.objectives.all()] == ["Trovare un tirocinio"]
    copied, added = list(version.actions.all())
    assert copied.description == "Colloquio di orientamento"
    assert copied.objective.version == version
    assert copied.from_meeting is None
    assert added.description == "Attivare un tirocinio"
    assert added.from_meeting == meeting
    assert added.responsible_user == actors.cpi_consultant
    assert added.responsible_organisation == actors.cpi
    assert added.due_on == days_ago(-20)
    event = AuditEvent.objects.get(action=AuditAction.PLAN_ACTION_ADD_FROM_MEETING)
    assert event.person_id == case.person_id and event.actor == actors.social_worker
    assert event.object_id == str(version.pk)
    assert event.changes["from_meeting"] == [None, meeting.pk]
    assert event.changes["action"] == [None, added.pk]
    assert event.changes["version"] == [1, 2]
    # The actions' texts are sensitive: the trail says they changed (audit.sensitive).
    assert event.changes["actions"] == {"changed": True}


def test_on_a_draft_the_action_is_appended_and_a_stale_editor_is_refused(actors):
    case, plan = _plan(actors, signed=False)
    meeting = _meeting(actors, [case])
    draft = PlanVersion.objects.get(plan=plan)
    opened_at = draft.revision  # another operator has the plan's edit page open

    version = _add(actors, meeting, case, responsible_user=None)

    assert version.pk == draft.pk and version.revision == opened_at + 1
    assert PlanVersion.objects.filter(plan=plan).count() == 1
    assert [a.description for a in version.actions.all()] == [
        "Colloquio di orientamento",
        "Attivare un tirocinio",
    ]
    # The operator who opened the plan before cannot overwrite the added action.
    with pytest.raises(ConflictError):
        plan_draft_save(
            actor=actors.cpi_consultant,
            plan=plan,
            expected_revision=opened_at,
            person_commitments="",
            service_commitments="",
            objectives=[],
            actions=[],
        )
    assert Action.objects.filter(version=draft, from_meeting=meeting).exists()


def test_an_action_copied_into_a_later_version_keeps_its_meeting(actors):
    case, plan = _plan(actors, signed=False)
    meeting = _meeting(actors, [case])
    version = _add(actors, meeting, case)
    validate_plan(actors, plan)
    plan_sign(
        actor=actors.social_worker,
        version=version,
        signed_on=days_ago(1),
        operators=[actors.social_worker],
    )
    v2 = _add(actors, meeting, case, description="Iscrizione al corso di italiano")
    assert v2.number == 2
    assert v2.actions.filter(from_meeting=meeting).count() == 2


def test_missing_responsible_and_description_refused_beside_the_fields(actors):
    case, plan = _plan(actors, signed=True)
    meeting = _meeting(actors, [case])
    with pytest.raises(ValidationError) as error:
        _add(
            actors,
            meeting,
            case,
            description="  ",
            responsible_user=None,
            responsible_organisation=None,
        )
    assert {"description", "responsible_user"} <= set(error.value.message_dict)
    assert PlanVersion.objects.filter(plan=plan).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.PLAN_ACTION_ADD_FROM_MEETING).exists()


def test_responsible_operator_must_be_on_the_case(actors):
    case, _plan_ = _plan(actors, signed=True)
    meeting = _meeting(actors, [case])
    with pytest.raises(ValidationError) as error:
        _add(actors, meeting, case, responsible_user=actors.desk_operator)
    assert "responsible_user" in error.value.message_dict


def test_closed_case_is_refused(actors):
    case, plan = _plan(actors, signed=True)
    meeting = _meeting(actors, [case])
    case_close(
        actor=actors.social_worker,
        case=case,
        on=days_ago(0),
        outcome=Outcome.EMPLOYED,
        open_items_reason="Assunta: il piano si chiude qui.",
    )
    with pytest.raises(ValidationError):
        _add(actors, meeting, case)
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_outsider_and_case_not_discussed_are_refused(actors):
    case, plan = _plan(actors, signed=True)
    other = make_case(actors, stage=Stage.ASSESSED)
    meeting = _meeting(actors, [other])
    with pytest.raises(PermissionDenied):
        _add(actors, meeting, case)  # the case was not discussed at this meeting
    meeting = _meeting(actors, [case])
    with pytest.raises(PermissionDenied):
        _add(actors, meeting, case, actor=actors.outsider)
    with pytest.raises(PermissionDenied):
        _add(actors, meeting, case, actor=actors.desk_operator)  # sees the meeting, not the case
    assert PlanVersion.objects.filter(plan=plan).count() == 1


# --- HTTP ----------------------------------------------------------------------------


def _post(actors, case, **kw):
    data = {
        f"case{case.pk}-description": "Attivare un tirocinio",
        f"case{case.pk}-responsible_user": actors.cpi_consultant.pk,
        f"case{case.pk}-responsible_organisation": "",
        f"case{case.pk}-due_on": days_ago(-20).isoformat(),
    }
    data.update({f"case{case.pk}-{k}": v for k, v in kw.items()})
    return data


def _url(meeting, case):
    return reverse("cases:followup_meeting_action_add", args=[meeting.pk, case.pk])


def test_meeting_page_offers_the_form_for_open_cases_with_a_plan(actors, login):
    case, _p = _plan(actors, signed=True)
    no_plan = make_case(actors, stage=Stage.ASSESSED)
    meeting = _meeting(actors, [case, no_plan])
    response = login(actors.social_worker).get(
        reverse("cases:followup_meeting_detail", args=[meeting.pk])
    )
    assert response.status_code == 200
    rows = response.context["action_forms"]
    assert [row["case"] for row in rows] == [case]
    html = response.content.decode()
    assert f'action="{_url(meeting, case)}"' in html
    assert DECISION in html  # the description starts as the case's decisions
    assert f'value="{actors.cpi_consultant.pk}"' in html  # the team is offered


def test_action_added_over_http_and_shown_on_the_plan(actors, login):
    case, plan = _plan(actors, signed=True)
    meeting = _meeting(actors, [case])
    client = login(actors.social_worker)
    response = client.post(_url(meeting, case), _post(actors, case))
    assert response.status_code == 302
    assert response.url == reverse("cases:followup_meeting_detail", args=[meeting.pk])
    v2 = PlanVersion.objects.get(plan=plan, number=2)
    added = v2.actions.get(from_meeting=meeting)
    assert added.responsible_user == actors.cpi_consultant
    page = client.get(reverse("plans:version", args=[plan.pk, 2])).content.decode()
    assert "Attivare un tirocinio" in page
    assert meeting.held_on.strftime("%d/%m/%Y") in page
    # Back on the meeting page, the action is listed as already in the plan.
    response = client.get(reverse("cases:followup_meeting_detail", args=[meeting.pk]))
    assert [a.pk for a in response.context["action_forms"][0]["already"]] == [added.pk]


def test_missing_responsible_over_http_shows_the_error_beside_the_field(actors, login):
    case, plan = _plan(actors, signed=True)
    meeting = _meeting(actors, [case])
    response = login(actors.social_worker).post(
        _url(meeting, case), _post(actors, case, responsible_user="")
    )
    assert response.status_code == 200
    form = response.context["action_forms"][0]["form"]
    assert "responsible_user" in form.errors
    html = response.content.decode()
    assert f'id="case{case.pk}-responsible_user-error"' in html
    assert f'aria-describedby="case{case.pk}-responsible_user-error"' in html
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_outsider_gets_404_and_closed_case_is_refused_over_http(actors, login):
    case, plan = _plan(actors, signed=True)
    meeting = _meeting(actors, [case])
    url = _url(meeting, case)
    assert login(actors.outsider).post(url, _post(actors, case)).status_code == 404
    # The desk operator of the zone sees the meeting, not the case.
    assert login(actors.desk_operator).post(url, _post(actors, case)).status_code == 404
    other = make_case(actors, stage=Stage.ASSESSED)
    not_discussed = _url(meeting, other)
    assert login(actors.social_worker).post(not_discussed, _post(actors, other)).status_code == 404
    case_close(
        actor=actors.social_worker,
        case=case,
        on=days_ago(0),
        outcome=Outcome.EMPLOYED,
        open_items_reason="Assunta: il piano si chiude qui.",
    )
    client = login(actors.social_worker)
    assert client.post(url, _post(actors, case)).status_code == 403
    response = client.get(reverse("cases:followup_meeting_detail", args=[meeting.pk]))
    assert response.context["action_forms"] == []
    assert PlanVersion.objects.filter(plan=plan).count() == 1
    assert client.get(url).status_code == 405
