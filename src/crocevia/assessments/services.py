"""Every write of section B (the multidimensional assessment): validated and audited.

Errors are ValidationError dicts keyed by the assessment form's fields: ``phase``,
``assessed_on``, ``notes`` and, per dimension, ``score_<dimension>`` / ``notes_<dimension>``.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change
from crocevia.cases.models import Case, NeedClass, Stage
from crocevia.cases.workflow import case_transition

from .models import Assessment, Dimension, DimensionScore

# Stages before which a case cannot be assessed: a complex case needs its team first.
_NOT_YET = {Stage.REFERRED, Stage.PREASSESSED}


def _check_date(errors: dict, case: Case, day) -> None:
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        errors["assessed_on"] = _("Enter the date of the assessment.")
    elif day > timezone.localdate():
        errors["assessed_on"] = _("The date of the assessment cannot be in the future.")
    else:
        earliest = case.team_formed_on or case.preassessed_on or case.referred_on
        if earliest and day < earliest:
            errors["assessed_on"] = _(
                "The date of the assessment cannot be before %(date)s (the last milestone "
                "of the case)."
            ) % {"date": earliest.strftime("%d/%m/%Y")}


def _check_scores(errors: dict, scores: dict) -> dict[str, tuple[int, str]]:
    clean: dict[str, tuple[int, str]] = {}
    unknown = set(scores) - set(Dimension.values)
    if unknown:
        errors["__all__"] = _("Unknown dimension: %(names)s.") % {
            "names": ", ".join(sorted(unknown))
        }
    for dimension in Dimension:
        value = scores.get(dimension.value)
        if value is None:
            errors[f"score_{dimension.value}"] = _("Give a score from 1 to 5.")
            continue
        if isinstance(value, tuple | list):
            score, notes = (list(value) + [""])[:2]
        else:
            score, notes = value, ""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            errors[f"score_{dimension.value}"] = _("The score must be a whole number from 1 to 5.")
            continue
        clean[dimension.value] = (score, (notes or "").strip())
    return clean


def assessment_record(
    *, actor, case: Case, phase: str, assessed_on, scores: dict, notes: str = ""
) -> Assessment:
    """Record an assessment (entry, in itinere, exit) scoring every dimension 1–5.

    ``scores`` maps each dimension to ``(score, notes)``. The entry assessment of a
    complex case whose team is formed moves the case to ``assessed`` on ``assessed_on``.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
        errors: dict[str, str] = {}
        if case.is_closed:
            raise ValidationError(_("This case is closed: it can be read but not changed."))
        if case.stage in _NOT_YET and (
            case.need_class == NeedClass.COMPLEX or case.stage == Stage.REFERRED
        ):
            raise ValidationError(
                _("A case with complex needs is assessed by its team, once the team is formed.")
                if case.need_class == NeedClass.COMPLEX
                else _("Complete the pre-assessment before the assessment.")
            )
        if phase not in Assessment.Phase.values:
            errors["phase"] = _("Choose the phase of the assessment.")
        else:
            has_entry = case.assessments.filter(phase=Assessment.Phase.ENTRY).exists()
            if phase == Assessment.Phase.ENTRY and has_entry:
                errors["phase"] = _(
                    "The entry assessment is already recorded: choose in itinere or at exit."
                )
            elif phase != Assessment.Phase.ENTRY and not has_entry:
                errors["phase"] = _("Record the entry assessment first.")
        _check_date(errors, case, assessed_on)
        clean = _check_scores(errors, scores or {})
        if errors:
            raise ValidationError(errors)

        assessment = Assessment.objects.create(
            case=case,
            phase=phase,
            assessed_on=assessed_on,
            assessed_by=actor,
            notes=(notes or "").strip(),
        )
        DimensionScore.objects.bulk_create(
            DimensionScore(assessment=assessment, dimension=d, score=s, notes=n)
            for d, (s, n) in clean.items()
        )
        audit_change(
            actor=actor,
            action=AuditAction.ASSESSMENT_RECORD,
            instance=assessment,
            # Scores only: dimension notes may be health information, kept out of the trail.
            changes={
                "phase": [None, phase],
                "assessed_on": [None, assessed_on.isoformat()],
                "scores": [None, {d: s for d, (s, _n) in clean.items()}],
            },
            person=case.person,
        )
        if (
            phase == Assessment.Phase.ENTRY
            and case.need_class == NeedClass.COMPLEX
            and case.stage == Stage.TEAM_FORMED
        ):
            case_transition(case=case, actor=actor, to_stage=Stage.ASSESSED, on=assessed_on)
    return assessment
