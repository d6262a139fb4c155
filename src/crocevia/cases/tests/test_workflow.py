"""The pathway table: every allowed and every forbidden transition, and milestone dates."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases import services
from crocevia.cases.models import Case, NeedClass, Outcome, PlanKind, Stage
from crocevia.cases.workflow import TRANSITION_TABLE, allowed_targets, case_transition
from crocevia.testing import days_ago, make_case

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(Stage.values, Stage.values))
ALLOWED = sorted(TRANSITION_TABLE)
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in TRANSITION_TABLE]


def _case_at(actors, source, target) -> Case:
    # Signing straight after the pre-assessment is the path of a work-only case.
    need = NeedClass.WORK if (source, target) == (Stage.PREASSESSED, Stage.PLAN_SIGNED) else None
    case = make_case(actors, stage=source, need_class=need or NeedClass.COMPLEX)
    if target == Stage.TEAM_FORMED and source == Stage.PREASSESSED:
        case = services.case_set_manager(
            actor=actors.coordinator, case=case, user=actors.social_worker
        )
    return case


def _values_for(case, target) -> dict:
    if target == Stage.PREASSESSED:
        return {"need_class": NeedClass.SOCIAL, "area": "other"}
    if target == Stage.PLAN_SIGNED:
        kind = (
            PlanKind.SERVICE_PACT
            if case.need_class == NeedClass.WORK
            else PlanKind.INCLUSION_PROJECT
        )
        return {"plan_kind": kind}
    if target == Stage.CLOSED:
        return {"outcome": Outcome.AUTONOMOUS, "closing_note": "Autonoma"}
    return {}


def test_the_table_covers_every_pair():
    assert len(ALLOWED) + len(FORBIDDEN) == len(Stage.values) ** 2
    assert len(ALLOWED) == 12


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{s}->{t}" for s, t in ALLOWED])
def test_allowed_transition_moves_the_case_and_records_the_milestone(actors, source, target):
    case = _case_at(actors, source, target)
    today = timezone.localdate()
    moved = case_transition(
        case=case, actor=actors.coordinator, to_stage=target, on=today, **_values_for(case, target)
    )
    assert moved.stage == target
    assert getattr(moved, TRANSITION_TABLE[(source, target)].milestone) == today
    assert AuditEvent.objects.filter(
        object_id=str(case.pk),
        action=AuditAction.CASE_TRANSITION,
        changes__stage__1=target,
        person=case.person,
    ).exists()


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=[f"{s}->{t}" for s, t in FORBIDDEN])
def test_forbidden_transition_is_refused_and_changes_nothing(actors, source, target):
    case = _case_at(actors, source, target)
    before = model_to_dict(Case.objects.get(pk=case.pk))
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        case_transition(
            case=case, actor=actors.coordinator, to_stage=target, on=timezone.localdate()
        )
    assert "cannot move" in " ".join(error.value.messages) or "non può passare" in " ".join(
        error.value.messages
    )
    assert model_to_dict(Case.objects.get(pk=case.pk)) == before
    assert AuditEvent.objects.count() == events


def test_milestone_in_the_future_is_refused(actors):
    case = make_case(actors, stage=Stage.REFERRED)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        case_transition(
            case=case,
            actor=actors.social_worker,
            to_stage=Stage.PREASSESSED,
            area="other",
            on=tomorrow,
            need_class=NeedClass.WORK,
        )
    assert "preassessed_on" in error.value.message_dict
    assert Case.objects.get(pk=case.pk).stage == Stage.REFERRED


def test_milestone_before_the_previous_one_is_refused_naming_both_dates(actors):
    case = make_case(actors, stage=Stage.REFERRED)
    early = case.referred_on - datetime.timedelta(days=3)
    with pytest.raises(ValidationError) as error:
        case_transition(
            case=case,
            actor=actors.social_worker,
            to_stage=Stage.PREASSESSED,
            area="other",
            on=early,
            need_class=NeedClass.WORK,
        )
    message = " ".join(error.value.message_dict["preassessed_on"])
    assert early.strftime("%d/%m/%Y") in message
    assert case.referred_on.strftime("%d/%m/%Y") in message
    assert Case.objects.get(pk=case.pk).preassessed_on is None


def test_a_preassessment_taken_now_needs_the_service_area_a_register_may_lack_it(actors):
    case = make_case(actors, stage=Stage.REFERRED)
    with pytest.raises(ValidationError) as error:
        case_transition(
            case=case,
            actor=actors.social_worker,
            to_stage=Stage.PREASSESSED,
            on=days_ago(1),
            need_class=NeedClass.WORK,
        )
    assert "area" in error.value.message_dict
    assert Case.objects.get(pk=case.pk).stage == Stage.REFERRED
    moved = case_transition(
        case=case,
        actor=None,
        to_stage=Stage.PREASSESSED,
        on=days_ago(1),
        need_class=NeedClass.WORK,
        from_register=True,
    )
    assert moved.stage == Stage.PREASSESSED
    assert moved.area == ""


def test_closing_without_an_outcome_is_refused(actors):
    case = make_case(actors, stage=Stage.IN_PROGRESS)
    with pytest.raises(ValidationError) as error:
        services.case_close(actor=actors.social_worker, case=case, on=days_ago(0), outcome="")
    assert "outcome" in error.value.message_dict
    assert Case.objects.get(pk=case.pk).stage == Stage.IN_PROGRESS


def test_signing_a_plan_of_a_complex_case_before_its_assessment_is_refused(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.COMPLEX)
    with pytest.raises(ValidationError):
        case_transition(
            case=case,
            actor=actors.social_worker,
            to_stage=Stage.PLAN_SIGNED,
            on=days_ago(0),
            plan_kind=PlanKind.INCLUSION_PROJECT,
        )
    assert Case.objects.get(pk=case.pk).stage == Stage.PREASSESSED


def test_a_team_formed_now_needs_its_case_manager(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.COMPLEX)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.case_form_team(actor=actors.coordinator, case=case, on=timezone.localdate())
    assert list(error.value.message_dict) == ["__all__"]
    assert "case manager" in error.value.messages[0]  # "Name the case manager before ..."
    assert Case.objects.get(pk=case.pk).stage == Stage.PREASSESSED
    assert AuditEvent.objects.count() == events


def test_a_team_a_register_records_needs_no_case_manager(actors):
    # History from a register (an import): the case manager is to be appointed.
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.COMPLEX)
    moved = case_transition(
        case=case,
        actor=None,
        to_stage=Stage.TEAM_FORMED,
        on=timezone.localdate(),
        from_register=True,
    )
    assert moved.stage == Stage.TEAM_FORMED and moved.case_manager is None
    assert moved.case_manager_to_appoint
    # Only the live guards are lifted: a case without complex needs still has no team.
    social = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.SOCIAL)
    with pytest.raises(ValidationError):
        case_transition(
            case=social,
            actor=None,
            to_stage=Stage.TEAM_FORMED,
            on=timezone.localdate(),
            from_register=True,
        )


# What a case may move to next: the transitions from its stage whose guards on the case
# pass; the values a step is given (need class, plan kind, outcome) and the case manager a
# team forms around are checked when the step is taken.
NEXT = [
    (NeedClass.COMPLEX, Stage.REFERRED, [Stage.PREASSESSED, Stage.CLOSED]),
    (NeedClass.COMPLEX, Stage.PREASSESSED, [Stage.TEAM_FORMED, Stage.CLOSED]),
    (NeedClass.COMPLEX, Stage.TEAM_FORMED, [Stage.ASSESSED, Stage.CLOSED]),
    (NeedClass.COMPLEX, Stage.ASSESSED, [Stage.PLAN_SIGNED, Stage.CLOSED]),
    (NeedClass.COMPLEX, Stage.PLAN_SIGNED, [Stage.IN_PROGRESS, Stage.CLOSED]),
    (NeedClass.COMPLEX, Stage.IN_PROGRESS, [Stage.CLOSED]),
    (NeedClass.COMPLEX, Stage.CLOSED, []),
    (NeedClass.WORK, Stage.PREASSESSED, [Stage.PLAN_SIGNED, Stage.CLOSED]),
    (NeedClass.SOCIAL, Stage.PREASSESSED, [Stage.PLAN_SIGNED, Stage.CLOSED]),
]


@pytest.mark.parametrize(("need", "stage", "targets"), NEXT, ids=[f"{n}-{s}" for n, s, _ in NEXT])
def test_allowed_targets_are_the_steps_the_case_itself_allows(actors, need, stage, targets):
    case = make_case(actors, stage=stage, need_class=need)
    assert allowed_targets(case) == targets
