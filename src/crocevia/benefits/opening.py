"""A case opened from an income-support application accepted by INPS.

The case is the pathway's (cases.services.opening.case_create); what an application adds
to it (the link, the INPS outcome as a milestone, the dates it allows) is this app's.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import coordinated_zone_ids, has_profile_in
from crocevia.audit.actions import AuditAction
from crocevia.audit.services import audit_change
from crocevia.cases.models import Case, Origin
from crocevia.cases.services.opening import case_create
from crocevia.core.dates import format_day

from .models import BenefitApplication
from .models import Status as BenefitStatus


def check_referral_within_application(
    errors: dict, column: str, referred_on, application: BenefitApplication
) -> None:
    """A case from an application opens between its submission and its INPS outcome.

    The outcome is the milestone after the referral (PATHWAY.md: each milestone on or
    after the one before), and the pre-assessment is checked against it.
    """
    if not isinstance(referred_on, datetime.date) or column in errors:
        return
    if referred_on < application.submitted_on:
        errors[column] = _(
            "The case cannot open (%(day)s) before the application was submitted (%(sub)s)."
        ) % {"day": format_day(referred_on), "sub": format_day(application.submitted_on)}
    elif application.outcome_on is not None and referred_on > application.outcome_on:
        errors[column] = _(
            "The referral (%(day)s) cannot be after the INPS outcome (%(outcome)s): enter the "
            "day the household was referred, at the latest the day of the outcome."
        ) % {"day": format_day(referred_on), "outcome": format_day(application.outcome_on)}


def audit_benefit_link(actor, case: Case) -> None:
    """Record the case's link to its application and the INPS outcome it carries."""
    audit_change(
        actor=actor,
        action=AuditAction.CASE_LINK_BENEFIT,
        instance=case,
        changes={
            "benefit_application": [None, str(case.benefit_application_id)],
            "benefit_outcome_on": [None, case.benefit_outcome_on.isoformat()],
        },
        person=case.person,
    )


@transaction.atomic
def case_open_from_benefit(
    *, actor, application, organisation, referred_on=None, sharing: dict | None = None
) -> Case:
    """Open the case of a household's application accepted by INPS (origin "benefit").

    The applicant is the case's person and the household the case's; the INPS outcome
    date becomes the `benefit_outcome_on` milestone, so the pre-assessment cannot be
    dated before it. `referred_on` (default: the submission date) lies between the
    submission and the outcome. One case per application. A social worker of
    `organisation` or a coordinator of its zone opens it. `sharing` (sharing_basis,
    sharing_note, consent_now): the basis on which the case team shares the applicant's
    data, as cases.services.opening.case_create asks it; None: not asked (the demo).
    """
    if not (
        actor.is_superuser
        or has_profile_in(actor, organisation.pk, Profile.SOCIAL_WORKER)
        or (
            organisation.zone_id is not None and organisation.zone_id in coordinated_zone_ids(actor)
        )
    ):
        raise PermissionDenied(
            _("Only a social worker of the organisation or a coordinator of its zone opens a case.")
        )
    application = BenefitApplication.objects.select_related("applicant", "household").get(
        pk=application.pk
    )
    errors: dict[str, str] = {}
    existing = Case.objects.filter(benefit_application=application).first()
    if application.status != BenefitStatus.ACCEPTED or application.outcome_on is None:
        errors["__all__"] = _("Only an application accepted by INPS opens a case.")
    elif existing is not None:
        errors["__all__"] = _(
            "A case has already been opened from this application (n. %(number)s)."
        ) % {"number": existing.pk}
    if referred_on is None:
        referred_on = application.submitted_on
    check_referral_within_application(errors, "referred_on", referred_on, application)
    if errors:
        raise ValidationError(errors)
    case = case_create(
        actor=actor,
        person=application.applicant,
        organisation=organisation,
        referred_on=referred_on,
        origin=Origin.BENEFIT,
        household=application.household,
        benefit_application=application,
        benefit_outcome_on=application.outcome_on,
        sharing=sharing,
    )
    audit_benefit_link(actor, case)
    return case
