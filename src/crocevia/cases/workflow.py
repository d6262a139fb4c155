"""The pathway of a case (PATHWAY.md) as a table of allowed transitions with guards.

`case_transition` is the only code that changes a case's stage. Each transition records
its milestone date, which may be entered after the fact but never in the future, and
never before the milestone that precedes it; the error names both dates.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change
from crocevia.core.dates import format_day

from .models import Case, NeedClass, Outcome, PlanKind, ServiceArea, Stage

# Milestones in pathway order; each set one is on or after the set ones before it.
MILESTONES: list[tuple[str, str]] = [
    ("referred_on", gettext_lazy("referral")),
    ("benefit_outcome_on", gettext_lazy("INPS outcome")),
    ("preassessed_on", gettext_lazy("pre-assessment")),
    ("team_formed_on", gettext_lazy("team formation")),
    ("assessed_on", gettext_lazy("assessment")),
    ("plan_signed_on", gettext_lazy("plan signature")),
    ("plan_started_on", gettext_lazy("plan start")),
    ("closed_on", gettext_lazy("closure")),
]
MILESTONE_LABELS = dict(MILESTONES)
MILESTONE_ORDER = [name for name, _label in MILESTONES]

# The plan kind each need class leads to.
PLAN_KIND_FOR_NEED = {
    NeedClass.WORK: PlanKind.SERVICE_PACT,
    NeedClass.SOCIAL: PlanKind.SOCIAL_PROJECT,
    NeedClass.COMPLEX: PlanKind.INCLUSION_PROJECT,
}

Guard = Callable[[Case, dict], dict[str, str]]


def _need_class_given(case: Case, values: dict) -> dict[str, str]:
    need = values.get("need_class") or ""
    if need not in NeedClass.values:
        return {"need_class": _("Choose the need class (work, social or complex).")}
    return {}


def _is_complex(case: Case, values: dict) -> dict[str, str]:
    if case.need_class != NeedClass.COMPLEX:
        return {
            "__all__": _("Only a case with complex needs goes to the coordination group and team.")
        }
    return {}


def _has_case_manager(case: Case, values: dict) -> dict[str, str]:
    if not case.case_manager_id:
        return {"__all__": _("Name the case manager before forming the team.")}
    return {}


def _not_complex(case: Case, values: dict) -> dict[str, str]:
    if case.need_class == NeedClass.COMPLEX:
        return {
            "__all__": _(
                "A case with complex needs must be assessed by its team before the plan is signed."
            )
        }
    return {}


def _plan_kind_matches(case: Case, values: dict) -> dict[str, str]:
    kind = values.get("plan_kind") or ""
    expected = PLAN_KIND_FOR_NEED.get(case.need_class)
    if kind != expected:
        return {
            "plan_kind": _("A case with need class “%(need)s” has a plan of kind “%(kind)s”.")
            % {"need": case.get_need_class_display(), "kind": PlanKind(expected).label}
        }
    return {}


def _outcome_given(case: Case, values: dict) -> dict[str, str]:
    if (values.get("outcome") or "") not in Outcome.values:
        return {"outcome": _("Choose the outcome of the case to close it.")}
    return {}


def _area_known(case: Case, values: dict) -> dict[str, str]:
    area = values.get("area") or ""
    if area and area not in ServiceArea.values:
        return {"area": _("Choose a valid service area.")}
    return {}


def _area_given(case: Case, values: dict) -> dict[str, str]:
    # Required when the pre-assessment is recorded now; a register's history may lack it
    # (the `area` column of `cases` is optional, INTERCHANGE.md).
    if not values.get("area"):
        return {"area": _("Choose the service area of the case.")}
    return {}


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    milestone: str
    guards: tuple[Guard, ...] = ()
    # Extra case fields this transition sets from the caller's values.
    sets: tuple[str, ...] = field(default=())
    # Guards of a step taken now, not of one a register records as history (an import):
    # a register does not say who managed the case (INTERCHANGE.md).
    live_guards: tuple[Guard, ...] = ()


_OPEN_STAGES = [s for s in Stage.values if s != Stage.CLOSED]

TRANSITIONS: list[Transition] = [
    Transition(
        Stage.REFERRED,
        Stage.PREASSESSED,
        "preassessed_on",
        (_need_class_given, _area_known),
        ("need_class", "area"),
        live_guards=(_area_given,),
    ),
    Transition(
        Stage.PREASSESSED,
        Stage.TEAM_FORMED,
        "team_formed_on",
        (_is_complex,),
        live_guards=(_has_case_manager,),
    ),
    Transition(Stage.TEAM_FORMED, Stage.ASSESSED, "assessed_on", (_is_complex,)),
    Transition(
        Stage.PREASSESSED,
        Stage.PLAN_SIGNED,
        "plan_signed_on",
        (_not_complex, _plan_kind_matches),
        ("plan_kind",),
    ),
    Transition(
        Stage.ASSESSED,
        Stage.PLAN_SIGNED,
        "plan_signed_on",
        (_is_complex, _plan_kind_matches),
        ("plan_kind",),
    ),
    Transition(Stage.PLAN_SIGNED, Stage.IN_PROGRESS, "plan_started_on"),
    *[
        Transition(
            stage,
            Stage.CLOSED,
            "closed_on",
            (_outcome_given,),
            ("outcome", "closing_note", "open_items_reason"),
        )
        for stage in _OPEN_STAGES
    ],
]
TRANSITION_TABLE: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


# Guards on what the caller gives (the need class, the plan's kind, the outcome, the
# area): checked when the step is taken, not when offering it.
_VALUE_GUARDS = frozenset(
    {_need_class_given, _area_known, _area_given, _plan_kind_matches, _outcome_given}
)


def allowed_targets(case: Case) -> list[str]:
    """The stages this case may move to next, in the order of TRANSITIONS: those whose
    guards on the case itself pass (a complex case goes to its team, another to its plan).

    What drives the steps a page offers (the case page's buttons). The guards on the
    values a step is given, and those of a step taken now (`live_guards`: a team forms
    around a case manager), are checked when the step is taken: the page then says why.
    """
    return [
        t.target
        for t in TRANSITIONS
        if t.source == case.stage
        and not any(guard(case, {}) for guard in t.guards if guard not in _VALUE_GUARDS)
    ]


def check_milestone_date(case: Case, milestone: str, day) -> None:
    """Raise ValidationError unless `day` is a valid date for `milestone` on this case."""
    label = MILESTONE_LABELS[milestone]
    if not isinstance(day, datetime.date):
        raise ValidationError({milestone: _("Enter the date of %(what)s.") % {"what": label}})
    today = timezone.localdate()
    if day > today:
        raise ValidationError(
            {
                milestone: _("The date of %(what)s (%(day)s) cannot be in the future.")
                % {"what": label, "day": format_day(day)}
            }
        )
    index = MILESTONE_ORDER.index(milestone)
    for earlier in reversed(MILESTONE_ORDER[:index]):
        previous = getattr(case, earlier)
        if previous is not None:
            if day < previous:
                raise ValidationError(
                    {
                        milestone: _(
                            "The date of %(what)s (%(day)s) cannot be before the date of "
                            "%(previous)s (%(previous_day)s)."
                        )
                        % {
                            "what": label,
                            "day": format_day(day),
                            "previous": MILESTONE_LABELS[earlier],
                            "previous_day": format_day(previous),
                        }
                    }
                )
            break


def case_transition(
    *, case: Case, actor, to_stage: str, on, from_register: bool = False, **values
) -> Case:
    """Move `case` to `to_stage` on day `on`, recording the milestone; audited.

    `values` carries what the transition sets (need_class, plan_kind, outcome,
    closing_note, open_items_reason). A forbidden transition or a bad date raises
    ValidationError and changes nothing. `from_register` (imports only): the milestone is
    history from a register, so the guards of a step taken now (`live_guards`: a team
    forms around a case manager) do not apply; such a case's manager is "to be appointed"
    (Case.case_manager_to_appoint).
    """
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.version != case.version:
            raise ValidationError(
                _("This case was changed by someone else in the meantime: reload it.")
            )
        transition = TRANSITION_TABLE.get((locked.stage, to_stage))
        if transition is None:
            raise ValidationError(
                _("A case in stage “%(source)s” cannot move to “%(target)s”.")
                % {"source": Stage(locked.stage).label, "target": Stage(to_stage).label}
            )
        unknown = set(values) - set(transition.sets)
        if unknown:
            raise TypeError(f"transition to {to_stage} does not take {sorted(unknown)}")
        # Guards see the values the transition is about to set.
        for name in transition.sets:
            if name in values:
                setattr(locked, name, values[name])
        errors: dict[str, str] = {}
        guards = transition.guards if from_register else transition.guards + transition.live_guards
        for guard in guards:
            errors.update(guard(locked, values))
        if errors:
            raise ValidationError(errors)
        check_milestone_date(locked, transition.milestone, on)

        old = {"stage": locked.stage, transition.milestone: None}
        locked.stage = to_stage
        setattr(locked, transition.milestone, on)
        locked.version += 1
        locked.save()
        changes = {
            "stage": [old["stage"], to_stage],
            transition.milestone: [None, on.isoformat()],
        }
        for name in transition.sets:
            if name in values:
                changes[name] = [None, values[name]]
        audit_change(
            actor=actor,
            action=AuditAction.CASE_TRANSITION,
            instance=locked,
            changes=changes,
            person=locked.person,
        )
    case.refresh_from_db()
    return case
