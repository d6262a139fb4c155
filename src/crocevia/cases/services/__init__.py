"""Every write of a case, by sub-domain: opening, team, pre-assessment, closure, the
income-support link and the `cases` import. Atomic, validated, audited.

Stages change only through workflow.case_transition. Validation errors are ValidationError
dicts keyed by the form fields' names; a user who may not make a change gets
PermissionDenied. A closed case is read-only.
"""

from .benefit import case_open_from_benefit
from .closure import case_close
from .common import SECTION_A_FIELDS, can_manage_case
from .importing import ApplicationLink, CaseImportCounts, case_import, cases_import_bulk
from .opening import (
    case_open_direct,
    case_open_from_contact,
    case_open_from_referral,
    open_case_with_plan_for_household,
)
from .preassessment import case_preassess
from .reviews import review_record, review_schedule
from .team import (
    case_form_team,
    case_set_manager,
    membership_for_team,
    team_member_add,
    team_member_remove,
)

__all__ = [
    "SECTION_A_FIELDS",
    "ApplicationLink",
    "CaseImportCounts",
    "can_manage_case",
    "case_close",
    "case_form_team",
    "case_import",
    "case_open_direct",
    "case_open_from_benefit",
    "case_open_from_contact",
    "case_open_from_referral",
    "case_preassess",
    "case_set_manager",
    "cases_import_bulk",
    "membership_for_team",
    "open_case_with_plan_for_household",
    "review_record",
    "review_schedule",
    "team_member_add",
    "team_member_remove",
]
