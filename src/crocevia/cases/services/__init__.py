"""Every write of a case, by sub-domain: opening, team, access priority, reviews, closure,
the `cases` import. Atomic, validated, audited.

Stages change only through workflow.case_transition. Validation errors are ValidationError
dicts keyed by the form fields' names; a user who may not make a change gets
PermissionDenied (who may: cases.access). A closed case is read-only.

The writes of a case's parts are their apps': the pre-assessment
(assessments.preassessment), a case opened from an income-support application
(benefits.opening). The `cases` import is `importing`: it takes rows the interchange has
parsed, and the benefits app's rules for a case from an application through an
ApplicationLink.
"""

from .closure import case_close, closure_open_items
from .common import require_manager, require_open
from .handoffs import can_send_back, case_send_back
from .importing import ApplicationLink, CaseImportCounts, case_import, cases_import_bulk
from .opening import (
    case_create,
    case_open_direct,
    case_open_from_contact,
    case_open_from_referral,
    open_case_with_plan_for_household,
)
from .priority import case_set_priority
from .reviews import review_record, review_schedule
from .team import (
    case_form_team,
    case_reference,
    case_set_manager,
    join_team,
    membership_for_team,
    team_member_add,
    team_member_remove,
)

__all__ = [
    "ApplicationLink",
    "CaseImportCounts",
    "can_send_back",
    "case_send_back",
    "case_import",
    "cases_import_bulk",
    "case_close",
    "closure_open_items",
    "case_create",
    "case_form_team",
    "case_reference",
    "case_open_direct",
    "case_open_from_contact",
    "case_open_from_referral",
    "case_set_manager",
    "case_set_priority",
    "join_team",
    "membership_for_team",
    "open_case_with_plan_for_household",
    "review_record",
    "review_schedule",
    "require_manager",
    "require_open",
    "team_member_add",
    "team_member_remove",
]
