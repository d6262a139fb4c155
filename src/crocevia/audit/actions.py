"""The audit vocabulary: every event's action is a member of AuditAction.

One style, `<object>.<verb>` in lower case ("case.create", "team.add", "person.view"):
the object is what the event is about (usually the model of its object_type, by model
name, see OBJECTS), the verb what was done to it. What the action acted with (the stage a
case moved to, the fields changed) is in the event's changes, not in its name.

Events are sealed into the hash chain (crocevia.audit.chain) and never rewritten, so the
events written before this vocabulary keep their old free-text actions ("update",
"transition:closed", "team_add") for ever. Whatever reads actions reads them through
this module: `action_of(event)` (or `resolve(action, object_type)`) gives the member of
an old or new event, `action_filter(...)` finds the events of some members, old and new.

    LEGACY_ACTIONS   old text that names one action        -> member
    LEGACY_VERBS     old bare verbs ("create", "update"...) -> the member of that verb for
                     the event's object (PERSON_CREATE for a people.person "create")

The audit's writers (audit_change, audit_access, record_access, AuditEvent.save and
bulk_create, the imports' bulk events) refuse any action that is not one of
AuditAction.values (check_action).
"""

from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _


class AuditAction(TextChoices):
    # --- accounts: operators, their memberships and groups, sign-in --------------------------
    USER_CREATE = "user.create", _("User created")
    USER_UPDATE = "user.update", _("User changed")
    PASSWORD_SET = "password.set", _("Password set by an administrator")
    PASSWORD_CHANGE = "password.change", _("Password changed")
    SESSIONS_REVOKE = "sessions.revoke", _("Logged out on every device")
    TWO_FACTOR_ENROL = "two_factor.enrol", _("Two-step verification set up")
    TWO_FACTOR_USE_RECOVERY_CODE = "two_factor.use_recovery_code", _("Recovery code used")
    TWO_FACTOR_RESET = "two_factor.reset", _("Two-step verification reset")
    SECURITY_SETTINGS_UPDATE = "security_settings.update", _("Security settings changed")
    SIGN_IN_LOCK = "sign_in.lock", _("Sign-in locked")
    SIGN_IN_UNLOCK = "sign_in.unlock", _("Sign-in unlocked")
    MEMBERSHIP_CREATE = "membership.create", _("Membership created")
    MEMBERSHIP_UPDATE = "membership.update", _("Membership changed")
    MEMBERSHIP_END = "membership.end", _("Membership ended")
    GROUP_CREATE = "group.create", _("Group created")
    GROUP_UPDATE = "group.update", _("Group changed")
    GROUP_DELETE = "group.delete", _("Group deleted")
    # --- network: the installation's reference data ------------------------------------------
    ZONE_CREATE = "zone.create", _("Zone created")
    ZONE_UPDATE = "zone.update", _("Zone changed")
    ZONE_DELETE = "zone.delete", _("Zone deleted")
    COMUNE_CREATE = "comune.create", _("Comune created")
    COMUNE_UPDATE = "comune.update", _("Comune changed")
    COMUNE_DELETE = "comune.delete", _("Comune deleted")
    ORGANISATION_CREATE = "organisation.create", _("Organisation created")
    ORGANISATION_UPDATE = "organisation.update", _("Organisation changed")
    ORGANISATION_DELETE = "organisation.delete", _("Organisation deleted")
    DESK_CREATE = "desk.create", _("Desk created")
    DESK_UPDATE = "desk.update", _("Desk changed")
    DESK_DELETE = "desk.delete", _("Desk deleted")
    AGREEMENT_CREATE = "agreement.create", _("Agreement created")
    AGREEMENT_UPDATE = "agreement.update", _("Agreement changed")
    AGREEMENT_VIEW = "agreement.view", _("Agreement viewed")
    # --- people: the registry ----------------------------------------------------------------
    PERSON_CREATE = "person.create", _("Person registered")
    PERSON_UPDATE = "person.update", _("Person changed")
    PERSON_VIEW = "person.view", _("Person viewed")
    PERSON_MERGE = "person.merge", _("Persons merged")
    DUPLICATE_MARK_DISTINCT = "duplicate.mark_distinct", _("Marked as different persons")
    HOUSEHOLD_CREATE = "household.create", _("Household created")
    # An import claiming the household's own key (INTERCHANGE.md, `crocevia-household-N`).
    HOUSEHOLD_UPDATE = "household.update", _("Household changed")
    HOUSEHOLD_ADD_MEMBER = "household.add_member", _("Household member added")
    HOUSEHOLD_REMOVE_MEMBER = "household.remove_member", _("Household member removed")
    CONSENT_CREATE = "consent.create", _("Consent recorded")
    CONSENT_WITHDRAW = "consent.withdraw", _("Consent withdrawn")
    # --- desk: contacts, services given, referrals -------------------------------------------
    CONTACT_CREATE = "contact.create", _("Contact recorded")
    CONTACT_UPDATE = "contact.update", _("Contact changed")
    CONTACT_VIEW = "contact.view", _("Contact viewed")
    LANGUAGE_NEED_CREATE = "language_need.create", _("Language need recorded")
    LANGUAGE_NEED_UPDATE = "language_need.update", _("Language need changed")
    LANGUAGE_NEED_DELETE = "language_need.delete", _("Language need removed")
    DESK_SERVICE_CREATE = "desk_service.create", _("Desk service created")
    DESK_SERVICE_UPDATE = "desk_service.update", _("Desk service changed")
    REFERRAL_CREATE = "referral.create", _("Referral sent")
    REFERRAL_ACCEPT = "referral.accept", _("Referral accepted")
    REFERRAL_REFUSE = "referral.refuse", _("Referral declined")
    REFERRAL_UPDATE = "referral.update", _("Referral changed")
    REFERRAL_COMPLETE = "referral.complete", _("Referral completed")
    REFERRAL_WITHDRAW = "referral.withdraw", _("Referral withdrawn")
    REFERRAL_VIEW = "referral.view", _("Referral viewed")
    # --- cases: the pathway ------------------------------------------------------------------
    CASE_CREATE = "case.create", _("Case opened")
    CASE_VIEW = "case.view", _("Case viewed")
    # An import claiming the case's own key (INTERCHANGE.md, `crocevia-case-N`).
    CASE_UPDATE = "case.update", _("Case changed")
    CASE_TRANSITION = "case.transition", _("Case moved to another stage")
    CASE_CLOSE_WITH_OPEN_ITEMS = "case.close_with_open_items", _("Case closed with open items")
    CASE_SET_MANAGER = "case.set_manager", _("Case manager appointed")
    CASE_SET_PRIORITY = "case.set_priority", _("Access priority set")
    CASE_LINK_BENEFIT = "case.link_benefit", _("Benefit application linked to the case")
    INTAKE_CREATE = "intake.create", _("Pre-assessment recorded")
    INTAKE_UPDATE = "intake.update", _("Pre-assessment changed")
    TEAM_ADD = "team.add", _("Team member added")
    TEAM_REMOVE = "team.remove", _("Team member removed")
    # --- assessments -------------------------------------------------------------------------
    ASSESSMENT_RECORD = "assessment.record", _("Assessment recorded")
    # --- meetings and reviews ----------------------------------------------------------------
    REVIEW_SCHEDULE = "review.schedule", _("Review scheduled")
    REVIEW_RECORD = "review.record", _("Review recorded")
    MEETING_RECORD = "meeting.record", _("Meeting recorded")
    MEETING_UPDATE = "meeting.update", _("Meeting changed")
    MEETING_VIEW = "meeting.view", _("Meeting viewed")
    MEETING_ADD_CASE = "meeting.add_case", _("Case discussed at a meeting")
    MEETING_REMOVE_CASE = "meeting.remove_case", _("Case removed from a meeting")
    MEETING_UPDATE_CASE = "meeting.update_case", _("Minutes of a case changed")
    # --- plans -------------------------------------------------------------------------------
    PLAN_CREATE = "plan.create", _("Plan created")
    PLAN_VIEW = "plan.view", _("Plan viewed")
    PLAN_SIGN = "plan.sign", _("Plan signed")
    PLAN_SUBMIT = "plan.submit", _("Plan submitted for validation")
    PLAN_VALIDATE = "plan.validate", _("Plan validated")
    PLAN_RETURN = "plan.return", _("Plan returned with comments")
    PLAN_VERSION_CREATE = "plan_version.create", _("New version of the plan")
    PLAN_VERSION_SAVE = "plan_version.save", _("Plan draft saved")
    PLAN_VERSION_VIEW = "plan_version.view", _("Plan version viewed")
    PLAN_ACTION_MARK_DONE = "plan_action.mark_done", _("Plan action done")
    PLAN_ACTION_ADD_FROM_MEETING = (
        "plan_action.add_from_meeting",
        _("Plan action added at a meeting"),
    )
    # --- interventions -----------------------------------------------------------------------
    INTERVENTION_ADD = "intervention.add", _("Intervention added")
    INTERVENTION_ADD_OVER_BUDGET = (
        "intervention.add_over_budget",
        _("Intervention added over its budget action's budget"),
    )
    INTERVENTION_START = "intervention.start", _("Intervention started")
    INTERVENTION_END = "intervention.end", _("Intervention ended")
    INTERVENTION_VIEW = "intervention.view", _("Intervention viewed")
    # --- benefits ----------------------------------------------------------------------------
    BENEFIT_APPLICATION_CREATE = "benefit_application.create", _("Benefit application recorded")
    BENEFIT_APPLICATION_UPDATE = "benefit_application.update", _("Benefit application changed")
    BENEFIT_APPLICATION_VIEW = "benefit_application.view", _("Benefit application viewed")
    BENEFIT_APPLICATION_RECORD_OUTCOME = (
        "benefit_application.record_outcome",
        _("INPS outcome of a benefit application recorded"),
    )
    BENEFIT_APPLICATION_FOLLOW_UP = (
        "benefit_application.follow_up",
        _("Household followed up on a benefit application's outcome"),
    )
    # --- programmes --------------------------------------------------------------------------
    PROGRAMME_CREATE = "programme.create", _("Programme created")
    PROGRAMME_UPDATE = "programme.update", _("Programme changed")
    PROGRAMME_VIEW = "programme.view", _("Programme viewed")
    PROGRAMME_ENROL_CASE = "programme.enrol_case", _("Case enrolled in a programme")
    PROGRAMME_UNENROL_CASE = "programme.unenrol_case", _("Case withdrawn from a programme")
    PROGRAMME_FUND_INTERVENTION = "programme.fund_intervention", _("Intervention funded")
    BUDGET_ACTION_CREATE = "budget_action.create", _("Budget action created")
    BUDGET_ACTION_UPDATE = "budget_action.update", _("Budget action changed")
    EXPENDITURE_RECORD = "expenditure.record", _("Expenditure recorded")
    EXPENDITURE_RECORD_OVER_BUDGET = (
        "expenditure.record_over_budget",
        _("Expenditure recorded over the budget"),
    )
    TARGET_CREATE = "target.create", _("Target created")
    TARGET_UPDATE = "target.update", _("Target changed")
    # --- reporting ---------------------------------------------------------------------------
    PATRON_DAY_CREATE = "patron_day.create", _("Patron saint's day created")
    PATRON_DAY_UPDATE = "patron_day.update", _("Patron saint's day changed")
    PATRON_DAY_DELETE = "patron_day.delete", _("Patron saint's day deleted")
    # --- interchange: imports and exports ----------------------------------------------------
    IMPORT_CHECK = "import.check", _("Import file checked")
    IMPORT_COMPLETE = "import.complete", _("Import completed")
    IMPORT_FAIL = "import.fail", _("Import failed")
    IMPORT_CANCEL = "import.cancel", _("Import cancelled")
    IMPORT_VIEW = "import.view", _("Import error report viewed")
    DATA_EXPORT = "data.export", _("Data exported")

    @property
    def verb(self) -> str:
        """ "create" for "case.create"."""
        return self.value.rpartition(".")[2]


# The object of an action, by model name where the model's name is not the object's
# ("planversion" -> "plan_version"): by model name, not by label, so that a model moved
# to another app keeps its actions.
OBJECTS = {
    "action": "plan_action",
    "benefitapplication": "benefit_application",
    "budgetaction": "budget_action",
    "deskservice": "desk_service",
    "duplicatepair": "duplicate",
    "importjob": "import",
    "languageneed": "language_need",
    "loginlock": "sign_in",
    "patronday": "patron_day",
    "planversion": "plan_version",
    "securitysettings": "security_settings",
    "teammember": "team",
}


def object_name(object_type: str) -> str:
    """The object of an action on `object_type` ("people.person" -> "person")."""
    model_name = object_type.rpartition(".")[2]
    return OBJECTS.get(model_name, model_name)


def action_for(object_type: str, verb: str) -> AuditAction:
    """The member of `verb` for `object_type` (action_for("people.person", "view") is
    PERSON_VIEW), for the writers that serve many models (access events, imports).
    ValueError if the vocabulary has no such action."""
    return AuditAction(f"{object_name(object_type)}.{verb}")


# --- the actions written before the vocabulary (sealed: never rewritten) ---------------------

# The stages a case could move to, as the old "transition:<stage>" actions named them.
LEGACY_STAGES = (
    "referred",
    "preassessed",
    "team_formed",
    "assessed",
    "plan_signed",
    "in_progress",
    "closed",
)

LEGACY_ACTIONS: dict[str, AuditAction] = {
    # accounts
    "user_created": AuditAction.USER_CREATE,
    "user_updated": AuditAction.USER_UPDATE,
    "password_set": AuditAction.PASSWORD_SET,
    "password_changed": AuditAction.PASSWORD_CHANGE,
    "sessions_revoked": AuditAction.SESSIONS_REVOKE,
    "two_factor_enrolled": AuditAction.TWO_FACTOR_ENROL,
    "two_factor_recovery_code_used": AuditAction.TWO_FACTOR_USE_RECOVERY_CODE,
    "two_factor_reset": AuditAction.TWO_FACTOR_RESET,
    "security_settings_changed": AuditAction.SECURITY_SETTINGS_UPDATE,
    "sign_in_locked": AuditAction.SIGN_IN_LOCK,
    "sign_in_unlocked": AuditAction.SIGN_IN_UNLOCK,
    "membership_created": AuditAction.MEMBERSHIP_CREATE,
    "membership_updated": AuditAction.MEMBERSHIP_UPDATE,
    "membership_ended": AuditAction.MEMBERSHIP_END,
    "group_created": AuditAction.GROUP_CREATE,
    "group_updated": AuditAction.GROUP_UPDATE,
    "group_deleted": AuditAction.GROUP_DELETE,
    # network
    "zone_created": AuditAction.ZONE_CREATE,
    "zone_updated": AuditAction.ZONE_UPDATE,
    "zone_deleted": AuditAction.ZONE_DELETE,
    "comune_created": AuditAction.COMUNE_CREATE,
    "comune_updated": AuditAction.COMUNE_UPDATE,
    "comune_deleted": AuditAction.COMUNE_DELETE,
    "organisation_created": AuditAction.ORGANISATION_CREATE,
    "organisation_updated": AuditAction.ORGANISATION_UPDATE,
    "organisation_deleted": AuditAction.ORGANISATION_DELETE,
    "desk_created": AuditAction.DESK_CREATE,
    "desk_updated": AuditAction.DESK_UPDATE,
    "desk_deleted": AuditAction.DESK_DELETE,
    "agreement_create": AuditAction.AGREEMENT_CREATE,
    "agreement_update": AuditAction.AGREEMENT_UPDATE,
    # people
    "merge": AuditAction.PERSON_MERGE,
    "duplicate.distinct": AuditAction.DUPLICATE_MARK_DISTINCT,
    "add_member": AuditAction.HOUSEHOLD_ADD_MEMBER,
    "remove_member": AuditAction.HOUSEHOLD_REMOVE_MEMBER,
    "withdraw": AuditAction.CONSENT_WITHDRAW,
    # desk
    "desk_service_created": AuditAction.DESK_SERVICE_CREATE,
    "desk_service_updated": AuditAction.DESK_SERVICE_UPDATE,
    "accept": AuditAction.REFERRAL_ACCEPT,
    "refuse": AuditAction.REFERRAL_REFUSE,
    # cases
    **{f"transition:{stage}": AuditAction.CASE_TRANSITION for stage in LEGACY_STAGES},
    "set_manager": AuditAction.CASE_SET_MANAGER,
    "benefit_link": AuditAction.CASE_LINK_BENEFIT,
    "team_add": AuditAction.TEAM_ADD,
    "team_remove": AuditAction.TEAM_REMOVE,
    # assessments
    "assessment_record": AuditAction.ASSESSMENT_RECORD,
    # meetings and reviews
    "review_schedule": AuditAction.REVIEW_SCHEDULE,
    "review_record": AuditAction.REVIEW_RECORD,
    "meeting_record": AuditAction.MEETING_RECORD,
    "meeting_update": AuditAction.MEETING_UPDATE,
    "meeting_case_discussed": AuditAction.MEETING_ADD_CASE,
    "meeting_case_removed": AuditAction.MEETING_REMOVE_CASE,
    "meeting_item_update": AuditAction.MEETING_UPDATE_CASE,
    # plans
    "plan_create": AuditAction.PLAN_CREATE,
    "plan_sign": AuditAction.PLAN_SIGN,
    "plan_validate": AuditAction.PLAN_VALIDATE,
    "plan_version_create": AuditAction.PLAN_VERSION_CREATE,
    "plan_draft_save": AuditAction.PLAN_VERSION_SAVE,
    "plan_action_done": AuditAction.PLAN_ACTION_MARK_DONE,
    "plan_action_from_meeting": AuditAction.PLAN_ACTION_ADD_FROM_MEETING,
    # interventions
    "intervention_add": AuditAction.INTERVENTION_ADD,
    "intervention_start": AuditAction.INTERVENTION_START,
    "intervention_end": AuditAction.INTERVENTION_END,
    # reporting
    "patron_day_created": AuditAction.PATRON_DAY_CREATE,
    "patron_day_updated": AuditAction.PATRON_DAY_UPDATE,
    "patron_day_deleted": AuditAction.PATRON_DAY_DELETE,
    # interchange
    "import_check": AuditAction.IMPORT_CHECK,
    "import": AuditAction.IMPORT_COMPLETE,
    "import_failed": AuditAction.IMPORT_FAIL,
    "import_cancelled": AuditAction.IMPORT_CANCEL,
    "export": AuditAction.DATA_EXPORT,
}

# Old bare verbs: the action is the verb's for the event's object (action_for).
LEGACY_VERBS = frozenset({"create", "update", "delete", "view"})


_MEMBERS: dict[str, AuditAction] = {member.value: member for member in AuditAction}


def check_action(action) -> AuditAction:
    """The member `action` is (a member, or its value); ValueError for anything else, an
    old action included: events are written with the vocabulary only."""
    try:
        return _MEMBERS[action]
    except (KeyError, TypeError):
        raise ValueError(
            f"Not an audit action (crocevia.audit.actions.AuditAction): {action!r}"
        ) from None


def resolve(action: str, object_type: str) -> AuditAction | None:
    """The member of an event's `action`, old or new (None: an action the vocabulary
    does not know, such as a test's own)."""
    if action in _MEMBERS:
        return _MEMBERS[action]
    if action in LEGACY_ACTIONS:
        return LEGACY_ACTIONS[action]
    if action in LEGACY_VERBS:
        try:
            return action_for(object_type, action)
        except ValueError:
            return None
    if action.startswith("transition:"):
        return AuditAction.CASE_TRANSITION
    return None


def action_of(event) -> AuditAction | None:
    """The member of `event`'s action, old or new."""
    return resolve(event.action, event.object_type)


def action_label(event) -> str:
    """`event`'s action in words (its member's label), or as written if none."""
    member = action_of(event)
    return str(member.label) if member is not None else event.action


def legacy_actions(member: AuditAction) -> list[str]:
    """The old texts that meant `member` on their own (LEGACY_ACTIONS)."""
    return [old for old, new in LEGACY_ACTIONS.items() if new == member]


def action_filter(*members: AuditAction) -> Q:
    """The events of any of `members`, written before the vocabulary or after:
    Q(action__in=[new, *legacy]), and the old bare verbs on the members' objects."""
    condition = Q(action__in=[text for m in members for text in (m.value, *legacy_actions(m))])
    for member in members:
        if member.verb in LEGACY_VERBS:
            # The object type is not stored by object name: any model of that name.
            condition |= Q(action=member.verb) & _object_q(member)
    return condition


def _object_q(member: AuditAction) -> Q:
    obj = member.value.rpartition(".")[0]
    model_names = [name for name, o in OBJECTS.items() if o == obj] or [obj]
    condition = Q()
    for name in model_names:
        condition |= Q(object_type__endswith=f".{name}")
    return condition
