"""Every write of the plan: drafts with optimistic locking, validation, signature. Audited.

Versions: the latest unsigned version is the draft. Signing freezes a version; the next
save after a signature creates version n+1, a copy of the signed one with the changes.
``PlanVersion.revision`` counts every save and signature across the plan's versions, so
a form loaded at revision r is stale as soon as anyone else saved or signed.

Validation by the coordination group (plans.models, ValidationStatus): the case manager
submits the draft (plan_submit), a coordinator of the case's zone validates it
(plan_validate) or returns it with comments (plan_return); an inclusion project is signed
only once validated (plan_sign). A change to the content of a submitted or validated
draft (a save, a meeting's action) sends it back to "not submitted" (_reopen).

Validation errors are keyed by the plan form's fields (``person_commitments``,
``service_commitments``, ``objectives``, ``actions``, ``signed_on``, ``operators``, ``on``,
``comments``).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.assessments.models import Dimension
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change
from crocevia.cases.models import Case, Stage
from crocevia.cases.selectors import cases_visible_to
from crocevia.cases.services import case_reference
from crocevia.cases.workflow import PLAN_KIND_FOR_NEED, case_transition
from crocevia.core.dates import check_day
from crocevia.core.errors import ConflictError as BaseConflictError
from crocevia.network.selectors import coordinators_of_zone
from crocevia.notifications.models import NotificationKind
from crocevia.notifications.services import notify

from .access import can_submit_plan, can_validate_plan
from .models import Action, Objective, Plan, PlanVersion, ValidationEvent, ValidationStatus
from .selectors import operators_for_plan


class ConflictError(BaseConflictError):
    """The plan changed since the operator opened it; their save is refused."""

    def __init__(self, current: PlanVersion):
        super().__init__(current, _("This plan was changed by someone else in the meantime."))


def latest_version(plan: Plan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()


def _check_open(case: Case) -> None:
    if case.is_closed:
        raise ValidationError(_("This case is closed: it can be read but not changed."))


def plan_get_or_create(*, actor, case: Case) -> Plan:
    """The case's plan, created with an empty draft (version 1) the first time."""
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
        existing = Plan.objects.filter(case=case).first()
        if existing is not None:
            return existing
        _check_open(case)
        kind = PLAN_KIND_FOR_NEED.get(case.need_class)
        if kind is None:
            raise ValidationError(
                _("Classify the need in the pre-assessment before writing the plan.")
            )
        plan = Plan.objects.create(case=case, kind=kind)
        PlanVersion.objects.create(plan=plan, number=1, updated_by=actor)
        audit_change(
            actor=actor,
            action=AuditAction.PLAN_CREATE,
            instance=plan,
            changes={"kind": [None, kind]},
            person=case.person,
        )
    return plan


def _clean_objectives(errors: dict, objectives: list[dict]) -> list[dict]:
    clean, messages = [], []
    for number, item in enumerate(objectives or [], start=1):
        dimension = item.get("dimension") or ""
        text = (item.get("text") or "").strip()
        if dimension not in Dimension.values:
            messages.append(_("Objective %(n)s: choose a dimension.") % {"n": number})
        if not text:
            messages.append(_("Objective %(n)s: write the objective.") % {"n": number})
        clean.append({"dimension": dimension, "text": text})
    if messages:
        errors["objectives"] = messages
    return clean


def _clean_actions(errors: dict, actions: list[dict], n_objectives: int) -> list[dict]:
    clean, messages = [], []
    for number, item in enumerate(actions or [], start=1):
        description = (item.get("description") or "").strip()
        user = item.get("responsible_user")
        organisation = item.get("responsible_organisation")
        due_on = item.get("due_on")
        objective = item.get("objective")  # 1-based index into objectives, or None
        if not description:
            messages.append(_("Action %(n)s: describe the action.") % {"n": number})
        if user is None and organisation is None:
            messages.append(
                _("Action %(n)s: name the responsible operator or organisation.") % {"n": number}
            )
        if due_on is not None and not isinstance(due_on, datetime.date):
            messages.append(_("Action %(n)s: enter a valid due date.") % {"n": number})
        if objective is not None and not (
            isinstance(objective, int) and 1 <= objective <= n_objectives
        ):
            messages.append(_("Action %(n)s: choose one of the objectives.") % {"n": number})
        clean.append(
            {
                "description": description,
                "responsible_user": user,
                "responsible_organisation": organisation,
                "due_on": due_on,
                "done_on": item.get("done_on"),
                "from_meeting": item.get("from_meeting"),
                "objective": objective,
            }
        )
    if messages:
        errors["actions"] = messages
    return clean


def _content(version: PlanVersion) -> dict:
    """A plain picture of a version's content, for the audit trail."""
    return {
        "person_commitments": version.person_commitments,
        "service_commitments": version.service_commitments,
        "objectives": [[o.dimension, o.text] for o in version.objectives.all()],
        "actions": [
            [
                a.description,
                a.responsible_user_id,
                a.responsible_organisation_id,
                a.due_on.isoformat() if a.due_on else None,
            ]
            for a in version.actions.all()
        ],
    }


def _write_items(version: PlanVersion, objectives: list[dict], actions: list[dict]) -> None:
    version.actions.all().delete()
    version.objectives.all().delete()
    created = [
        Objective.objects.create(version=version, position=i, **item)
        for i, item in enumerate(objectives)
    ]
    # Only meetings that discussed this case may be named as an action's origin.
    meeting_ids = set(version.plan.case.meetings.values_list("pk", flat=True))
    for i, item in enumerate(actions):
        index = item.pop("objective")
        meeting = item.pop("from_meeting", None)
        meeting_id = getattr(meeting, "pk", meeting)
        item["from_meeting_id"] = meeting_id if meeting_id in meeting_ids else None
        Action.objects.create(
            version=version,
            position=i,
            objective=created[index - 1] if index else None,
            **item,
        )


def plan_draft_save(
    *,
    actor,
    plan: Plan,
    expected_revision: int,
    person_commitments: str,
    service_commitments: str,
    objectives: list[dict],
    actions: list[dict],
) -> PlanVersion:
    """Save the draft; if the latest version is signed, create version n+1 with the content.

    ``objectives``: [{dimension, text}]; ``actions``: [{description, responsible_user,
    responsible_organisation, due_on, objective (1-based index of an objective or None)}].
    Raises ConflictError (carrying the current version) when ``expected_revision`` is not
    the plan's current revision: someone else saved or signed in the meantime.
    """
    with transaction.atomic():
        # Locking the plan row serialises concurrent saves of its versions.
        plan = Plan.objects.select_for_update().select_related("case__person").get(pk=plan.pk)
        _check_open(plan.case)
        current = latest_version(plan)
        if current.revision != expected_revision:
            raise ConflictError(current)
        errors: dict = {}
        objectives = _clean_objectives(errors, objectives)
        actions = _clean_actions(errors, actions, len(objectives))
        if errors:
            raise ValidationError(errors)
        before = _content(current)
        if current.is_frozen:
            version = PlanVersion.objects.create(
                plan=plan,
                number=current.number + 1,
                revision=current.revision + 1,
                notes=current.notes,
                updated_by=actor,
                person_commitments=(person_commitments or "").strip(),
                service_commitments=(service_commitments or "").strip(),
            )
            action_name = AuditAction.PLAN_VERSION_CREATE
        else:
            version = current
            version.person_commitments = (person_commitments or "").strip()
            version.service_commitments = (service_commitments or "").strip()
            version.revision += 1
            version.updated_by = actor
            version.save()
            action_name = AuditAction.PLAN_VERSION_SAVE
        _write_items(version, objectives, actions)
        after = _content(version)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changes:
            changes.update(_reopen(version, actor=actor))
        audit_change(
            actor=actor,
            action=action_name,
            instance=version,
            changes=changes,
            person=plan.case.person,
        )
    return version


def _reopen(version: PlanVersion, *, actor) -> dict:
    """A submitted or validated draft whose content changed goes back to be submitted
    again: the group validates what the person will sign. Returns the audit's entry."""
    old = version.validation_status
    if version.is_frozen or old not in (ValidationStatus.SUBMITTED, ValidationStatus.VALIDATED):
        return {}
    version.validation_status = ValidationStatus.DRAFT
    version.validated_on = None
    version.validated_by = None
    version.save(update_fields=["validation_status", "validated_on", "validated_by"])
    ValidationEvent.objects.create(
        version=version,
        kind=ValidationEvent.Kind.REOPENED,
        on=timezone.localdate(),
        by=actor,
    )
    return {"validation_status": [old, ValidationStatus.DRAFT]}


def plan_sign(*, actor, version: PlanVersion, signed_on, operators) -> PlanVersion:
    """Record the signature of the draft: it is frozen from now on.

    The first signature of the case's plan moves the case to ``plan_signed``.
    """
    with transaction.atomic():
        plan = (
            Plan.objects.select_for_update().select_related("case__person").get(pk=version.plan_id)
        )
        case = plan.case
        _check_open(case)
        version = PlanVersion.objects.get(pk=version.pk)
        current = latest_version(plan)
        errors: dict = {}
        if version.is_frozen:
            raise ValidationError(_("This version is already signed."))
        if current.pk != version.pk:
            raise ValidationError(_("Only the latest version of the plan can be signed."))
        if not version.objectives.exists():
            errors["__all__"] = _("Write at least one objective before the plan is signed.")
        elif plan.requires_validation and not version.is_validated:
            errors["__all__"] = _(
                "The coordination group validates this plan before it is signed: the case "
                "manager submits it for validation (now: %(status)s)."
            ) % {"status": version.get_validation_status_display()}
        operators = list(operators or [])
        if not operators:
            errors["operators"] = _("Choose the operators who signed the plan.")
        if version.validated_on:
            not_before, what = version.validated_on, _("the validation of the plan")
        else:
            not_before, what = (
                case.assessed_on or case.preassessed_on,
                _("the assessment of the case"),
            )
        check_day(errors, "signed_on", signed_on, not_before=not_before, label=what)
        if errors:
            raise ValidationError(errors)
        version.signed_on = signed_on
        version.revision += 1
        version.updated_by = actor
        version.save()
        version.signed_by_operators.set(operators)
        audit_change(
            actor=actor,
            action=AuditAction.PLAN_SIGN,
            instance=version,
            changes={
                "signed_on": [None, signed_on.isoformat()],
                "signed_by_operators": [None, sorted(u.pk for u in operators)],
            },
            person=case.person,
        )
        if case.plan_signed_on is None:
            try:
                case_transition(
                    case=case,
                    actor=actor,
                    to_stage=Stage.PLAN_SIGNED,
                    on=signed_on,
                    plan_kind=plan.kind,
                )
            except ValidationError as error:
                # The milestone's messages belong to the signature date field.
                if hasattr(error, "error_dict") and "plan_signed_on" in error.error_dict:
                    raise ValidationError(
                        {"signed_on": error.error_dict["plan_signed_on"]}
                    ) from None
                raise
    return version


def _validation_target(plan_pk: int) -> tuple[Plan, PlanVersion]:
    """The plan, locked as every write of it is, and its latest version."""
    plan = Plan.objects.select_for_update().select_related("case__person").get(pk=plan_pk)
    _check_open(plan.case)
    if not plan.requires_validation:
        raise ValidationError(
            _("Only inclusion projects (complex needs) are validated by the coordination group.")
        )
    version = latest_version(plan)
    if version.is_frozen:
        raise ValidationError(
            _("This version is signed: a change to the plan makes a new version to submit.")
        )
    return plan, version


def _last_step_on(version: PlanVersion):
    return (
        version.validation_events.exclude(kind=ValidationEvent.Kind.REOPENED)
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )


def _audit_validation(*, actor, action, plan, version, old, day, comments) -> None:
    changes = {
        "version": [None, version.number],
        "validation_status": [old, version.validation_status],
        "on": [None, day.isoformat()],
    }
    if comments:
        changes["validation_comments"] = [None, comments]  # redacted: "it changed"
    audit_change(
        actor=actor, action=action, instance=plan, changes=changes, person=plan.case.person
    )


def plan_submit(*, actor, plan: Plan, on, note: str = "") -> PlanVersion:
    """The case manager submits the plan's draft to the coordination group, on day `on`
    (optionally with a note for the group). A returned draft is submitted again the
    same way. Returns the version submitted.

    PermissionDenied unless `actor` is the case manager (or an administrator); a
    ValidationError when the draft has no objective, is already submitted or validated,
    or the day is in the future or before the case's pre-assessment or the last return.
    """
    with transaction.atomic():
        plan, version = _validation_target(plan.pk)
        case = plan.case
        if not can_submit_plan(actor, case):
            raise PermissionDenied(_("Only the case manager submits the plan for validation."))
        if version.validation_status == ValidationStatus.SUBMITTED:
            raise ValidationError(
                _("This plan is already submitted: the coordination group has it.")
            )
        if version.validation_status == ValidationStatus.VALIDATED:
            raise ValidationError(_("This version of the plan is already validated."))
        errors: dict = {}
        if not version.objectives.exists():
            errors["__all__"] = _("Write at least one objective before submitting the plan.")
        last = _last_step_on(version)
        if last:
            not_before, what = last, _("the last step of its validation")
        else:
            not_before, what = case.preassessed_on or case.referred_on, _("the pre-assessment")
        check_day(errors, "on", on, not_before=not_before, label=what)
        if errors:
            raise ValidationError(errors)
        note = (note or "").strip()
        old = version.validation_status
        version.validation_status = ValidationStatus.SUBMITTED
        version.save(update_fields=["validation_status"])
        ValidationEvent.objects.create(
            version=version, kind=ValidationEvent.Kind.SUBMITTED, on=on, by=actor, comments=note
        )
        _audit_validation(
            actor=actor,
            action=AuditAction.PLAN_SUBMIT,
            plan=plan,
            version=version,
            old=old,
            day=on,
            comments=note,
        )
        notify(
            recipients=coordinators_of_zone(case.zone_id),
            kind=NotificationKind.PLAN_TO_VALIDATE,
            url=reverse("plans:validate", args=[plan.pk]),
            reference=case_reference(case),
            title=_("Plan version %(number)s to validate") % {"number": version.number},
            actor=actor,
        )
    return version


def _decide(*, actor, plan, on, comments, expected_revision, validate: bool) -> PlanVersion:
    with transaction.atomic():
        plan, version = _validation_target(plan.pk)
        case = plan.case
        if not can_validate_plan(actor, case):
            raise PermissionDenied(_("Only a coordinator of the case's zone validates plans."))
        if version.validation_status != ValidationStatus.SUBMITTED:
            raise ValidationError(
                _("This plan is not waiting for validation (now: %(status)s).")
                % {"status": version.get_validation_status_display()}
            )
        if expected_revision is not None and version.revision != expected_revision:
            raise ValidationError(
                _("The plan changed while you were reading it: read it again before deciding.")
            )
        errors: dict = {}
        comments = (comments or "").strip()
        if not validate and not comments:
            errors["comments"] = _("Write what the case manager should change in the plan.")
        check_day(
            errors,
            "on",
            on,
            not_before=_last_step_on(version),
            label=_("the submission of the plan"),
        )
        if errors:
            raise ValidationError(errors)
        old = version.validation_status
        if validate:
            version.validation_status = ValidationStatus.VALIDATED
            version.validated_on = on
            version.validated_by = actor
        else:
            version.validation_status = ValidationStatus.RETURNED
        version.save(update_fields=["validation_status", "validated_on", "validated_by"])
        ValidationEvent.objects.create(
            version=version,
            kind=ValidationEvent.Kind.VALIDATED if validate else ValidationEvent.Kind.RETURNED,
            on=on,
            by=actor,
            comments=comments,
        )
        _audit_validation(
            actor=actor,
            action=AuditAction.PLAN_VALIDATE if validate else AuditAction.PLAN_RETURN,
            plan=plan,
            version=version,
            old=old,
            day=on,
            comments=comments,
        )
        if not validate and case.case_manager_id:
            # The comments stay in the application (privacy): the message links to them.
            notify(
                recipients=[case.case_manager_id],
                kind=NotificationKind.PLAN_RETURNED,
                url=reverse("cases:detail", args=[case.pk]) + "#plan-section",
                reference=case_reference(case),
                title=_("Plan version %(number)s returned with comments")
                % {"number": version.number},
                actor=actor,
            )
    return version


def plan_validate(
    *, actor, plan: Plan, on, comments: str = "", expected_revision: int | None = None
) -> PlanVersion:
    """A coordinator of the case's zone validates the submitted draft on day `on`
    (equal needs, equal offers): it can now be signed. `expected_revision`: the
    version's revision the coordinator read; a plan changed since is refused.

    PermissionDenied unless `actor` coordinates the case's zone (or is an
    administrator); a ValidationError unless the draft is submitted, or for a day in the
    future or before the submission.
    """
    return _decide(
        actor=actor,
        plan=plan,
        on=on,
        comments=comments,
        expected_revision=expected_revision,
        validate=True,
    )


def plan_return(
    *, actor, plan: Plan, on, comments: str, expected_revision: int | None = None
) -> PlanVersion:
    """A coordinator of the case's zone returns the submitted draft to the case manager
    with `comments` (required): what to change before submitting it again. Otherwise as
    plan_validate."""
    return _decide(
        actor=actor,
        plan=plan,
        on=on,
        comments=comments,
        expected_revision=expected_revision,
        validate=False,
    )


def action_mark_done(*, actor, action: Action, on) -> Action:
    """Record that an action of the current plan version was carried out on ``on``.

    Progress is monitoring data, not plan content: it is recorded on the signed version
    without making a new one.
    """
    with transaction.atomic():
        action = (
            Action.objects.select_for_update()
            .select_related("version__plan__case__person")
            .get(pk=action.pk)
        )
        version = action.version
        case = version.plan.case
        _check_open(case)
        if latest_version(version.plan).pk != version.pk:
            raise ValidationError(_("Only the actions of the current version can be marked done."))
        if action.done_on is not None:
            raise ValidationError(_("This action was already marked done."))
        errors: dict = {}
        check_day(errors, "on", on, not_before=case.referred_on, label=_("the referral"))
        if errors:
            raise ValidationError(errors)
        action.done_on = on
        action.save(update_fields=["done_on"])
        audit_change(
            actor=actor,
            action=AuditAction.PLAN_ACTION_MARK_DONE,
            instance=action,
            changes={"done_on": [None, on.isoformat()]},
            person=case.person,
        )
    return action


# --- Decisions of a meeting as plan actions -------------------------------------------


def _copy_version(plan: Plan, current: PlanVersion, *, actor) -> PlanVersion:
    """Version n+1, a copy of the signed ``current`` (objectives, actions and their progress)."""
    version = PlanVersion.objects.create(
        plan=plan,
        number=current.number + 1,
        revision=current.revision + 1,
        notes=current.notes,
        person_commitments=current.person_commitments,
        service_commitments=current.service_commitments,
        updated_by=actor,
    )
    copies = {}
    for objective in current.objectives.all():
        copies[objective.pk] = Objective.objects.create(
            version=version,
            dimension=objective.dimension,
            text=objective.text,
            position=objective.position,
        )
    for action in current.actions.all():
        Action.objects.create(
            version=version,
            objective=copies.get(action.objective_id),
            description=action.description,
            responsible_user_id=action.responsible_user_id,
            responsible_organisation_id=action.responsible_organisation_id,
            due_on=action.due_on,
            done_on=action.done_on,
            from_meeting_id=action.from_meeting_id,
            position=action.position,
        )
    return version


def plan_action_add(
    *,
    actor,
    case: Case,
    from_meeting,
    description: str,
    responsible_user=None,
    responsible_organisation=None,
    due_on=None,
) -> PlanVersion:
    """Add a decision of the meeting ``from_meeting`` about ``case`` as an action of the
    case's plan (the meeting's own checks are its caller's:
    meetings.services.plan_action_add_from_meeting).

    The action goes at the end of the current draft; when the latest version is signed,
    version n+1 is created first, a copy of it (as ``plan_draft_save`` does). The plan row
    is locked and the revision bumped, so an operator editing the plan meanwhile is refused
    on saving instead of silently dropping the action. The action keeps the meeting
    (``Action.from_meeting``); the audit event names it too. Returns the version written.

    Refused (PermissionDenied) unless the actor may change the case; a closed case or a
    case without a plan is a ValidationError. Field errors are keyed ``description``,
    ``responsible_user``, ``responsible_organisation`` and ``due_on``.
    """
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied(_("You cannot change this case."))

    errors: dict = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = _("Describe the action.")
    if responsible_user is None and responsible_organisation is None:
        errors["responsible_user"] = _("Name the responsible operator or organisation.")
    elif (
        responsible_user is not None
        and not operators_for_plan(case, also=actor).filter(pk=responsible_user.pk).exists()
    ):
        errors["responsible_user"] = _(
            "The responsible operator must be on the case's team or manage the case."
        )
    if due_on is not None and (
        not isinstance(due_on, datetime.date) or isinstance(due_on, datetime.datetime)
    ):
        errors["due_on"] = _("Enter a valid date.")

    with transaction.atomic():
        # The same lock as plan_draft_save: saves and signatures of the plan take turns.
        plan = (
            Plan.objects.select_for_update()
            .select_related("case__person")
            .filter(case=case)
            .first()
        )
        if plan is None:
            raise ValidationError(_("This case has no plan yet: write the plan first."))
        _check_open(plan.case)
        if errors:
            raise ValidationError(errors)
        current = latest_version(plan)
        before = _content(current)
        if current.is_frozen:
            version = _copy_version(plan, current, actor=actor)
        else:
            version = current
            version.revision += 1
            version.updated_by = actor
            version.save(update_fields=["revision", "updated_by", "updated_at"])
        last = version.actions.order_by("-position").values_list("position", flat=True).first()
        action = Action.objects.create(
            version=version,
            description=description,
            responsible_user=responsible_user,
            responsible_organisation=responsible_organisation,
            due_on=due_on,
            from_meeting=from_meeting,
            position=0 if last is None else last + 1,
        )
        after = _content(version)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        changes.update(_reopen(version, actor=actor))
        changes["action"] = [None, action.pk]
        changes["from_meeting"] = [None, from_meeting.pk]
        if version.pk != current.pk:
            changes["version"] = [current.number, version.number]
        audit_change(
            actor=actor,
            action=AuditAction.PLAN_ACTION_ADD_FROM_MEETING,
            instance=version,
            changes=changes,
            person=plan.case.person,
        )
    return version
