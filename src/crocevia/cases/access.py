"""The one way a view obtains a case, and who may do what with a case.

Obtaining what shows personal data records its access event (crocevia.audit.recording).
The `can_*` predicates of a case are here too: the views ask them to show a button, the
services to refuse a change.

Who reads which part of a case (issue 19): whoever sees the case on their own grounds
(cases_visible_to: its manager, team, owning social workers, creator, coordinators,
administrators) reads all of it; a member of another organisation to which an agreement in
force shares some parts of the cases of the case's organisation (network.sharing), the
person consenting, reads those parts only, and changes nothing. Each page names the part
it shows when it obtains the case (`get_case_for(..., part=...)`): a page that names none
shows the whole case, for those who see it on their own grounds only.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import coordinated_zone_ids, has_profile_in
from crocevia.audit.recording import (
    NOTE_CASE_LIST,
    record_access,
    record_persons_shown,
    with_agreements,
)
from crocevia.network.sharing import ALL_PARTS, CASE_PARTS, Grant, agreement_grants

from .models import Case, NeedClass, TeamMember
from .selectors import cases_shared_with, cases_visible_to

# What the case page shows to anyone who reads any part of the case: the person's name,
# the stage and pathway, the organisation, the case manager (and, on it, the sections of
# the parts they read). The other parts are network.models.CasePart values.
HEADER = "header"


@dataclass(frozen=True)
class CaseView:
    """What a user reads of a case: every part (`grants` empty: on their own grounds), or
    the parts the agreements of `grants` share with them."""

    grants: tuple[Grant, ...] = ()
    full: bool = True

    @property
    def shared(self) -> bool:
        """Read under agreements only: read only, the parts they cover."""
        return not self.full

    @property
    def parts(self) -> frozenset:
        if self.full:
            return ALL_PARTS
        return frozenset().union(*(g.parts for g in self.grants))

    def covers(self, part: str | None) -> bool:
        """Whether the page of `part` (HEADER, a CasePart value; None: the whole case) may
        be shown."""
        if self.full:
            return True
        if part == HEADER:
            return bool(self.parts & CASE_PARTS)
        return part is not None and part in self.parts

    def agreements(self, part: str | None = HEADER) -> tuple[str, ...]:
        """The titles of the agreements that open `part` (HEADER: any part of a case)."""
        wanted = CASE_PARTS if part in (None, HEADER) else {part}
        return tuple(dict.fromkeys(g.title for g in self.grants if g.parts & wanted))


FULL_VIEW = CaseView()
NO_VIEW = CaseView(full=False)


def _shared_view(user, case: Case) -> CaseView:
    """What the agreements let `user` read of `case` (the person's consent checked by the
    caller: cases_shared_with)."""
    return CaseView(
        grants=tuple(
            g for g in agreement_grants(user) if g.organisation_id == case.organisation_id
        ),
        full=False,
    )


def case_view_for(user, case: Case) -> CaseView:
    """What `user` reads of `case` (memoised on the case for this user object, i.e. for the
    request: no query for a case obtained through find_case_for or get_case_for; two at
    most otherwise)."""
    memo = getattr(case, "_crocevia_view", None)
    if memo is not None and memo[0] is user:
        return memo[1]
    if cases_visible_to(user).filter(pk=case.pk).exists():
        view = FULL_VIEW
    elif cases_shared_with(user).filter(pk=case.pk).exists():
        view = _shared_view(user, case)
    else:
        view = NO_VIEW
    case._crocevia_view = (user, view)
    return view


def read_under_agreement(user, case: Case) -> bool:
    """Whether `user` reads `case` only under an agreement (so read only), for the sections
    of a case obtained through get_case_for or find_case_for, which know it: no query. A
    case obtained otherwise counts as read on the user's own grounds: what hangs on this is
    which buttons a section shows, and every change is refused by the access functions."""
    memo = getattr(case, "_crocevia_view", None)
    return memo is not None and memo[0] is user and memo[1].shared


def case_parts_for(user, case: Case) -> frozenset:
    """The parts of `case` (network.models.CasePart values) `user` reads: all of them on
    their own grounds, those an agreement in force shares otherwise (none: not seen). The
    benefits part (CasePart.BENEFITS) is for the income-support pages to ask."""
    return case_view_for(user, case).parts


def can_read_case_part(user, case: Case, part: str) -> bool:
    """Whether `user` reads `part` (a CasePart value, or HEADER) of `case`."""
    return case_view_for(user, case).covers(part)


# --- who may do what with a case ------------------------------------------------------------


def is_zone_coordinator_of(user, case: Case) -> bool:
    return user.is_superuser or case.zone_id in coordinated_zone_ids(user)


def is_case_manager_of(user, case: Case) -> bool:
    """The case's manager (or an administrator): who submits its plan for validation."""
    return user.is_superuser or (
        case.case_manager_id is not None and case.case_manager_id == user.pk
    )


def can_manage_case(user, case: Case) -> bool:
    """Who steers a case: its zone coordinators, its case manager, the social workers of
    the organisation that owns it; for a work-only case also the CPI consultants on its
    team (the case is the CPI's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or case.case_manager_id == user.pk:
        return True
    if is_zone_coordinator_of(user, case):
        return True
    if has_profile_in(user, case.organisation_id, Profile.SOCIAL_WORKER):
        return True
    if case.need_class == NeedClass.WORK:
        return TeamMember.objects.filter(
            case=case, user=user, removed_on__isnull=True, role=Profile.CPI_CONSULTANT
        ).exists()
    return False


def can_form_team(user, case: Case) -> bool:
    """Who declares a complex case's team formed: a coordinator of its zone or its case
    manager."""
    return is_zone_coordinator_of(user, case) or case.case_manager_id == user.pk


def can_set_priority(user, case: Case) -> bool:
    """The coordination group (a coordinator of the case's zone) sets the access priority
    of a case waiting to be taken in charge."""
    return case.is_waiting and is_zone_coordinator_of(user, case)


def can_read_health(user, case: Case) -> bool:
    """Health information: only the case manager and health-profile team members.

    No agreement widens it: an agreement's "health" part opens nothing to a reader who is
    neither (they see the case on their own grounds, so whatever a clause says), and a
    reader who sees the case only under an agreement is on no team of it."""
    if not user.is_authenticated:
        return False
    if case.case_manager_id == user.pk:
        return True
    return TeamMember.objects.filter(
        case=case, user=user, removed_on__isnull=True, health_access=True
    ).exists()


# --- obtaining a case or a meeting ----------------------------------------------------------


def find_case_for(user, pk, *, write: bool = False, part: str | None = None) -> Case:
    """The checks of get_case_for without its access event: for the access functions of
    a case's parts (plans, interventions), which record the part they return."""
    related = ("person", "organisation", "zone", "case_manager", "household", "priority_set_by")
    try:
        case = cases_visible_to(user).select_related(*related).filter(pk=pk).first()
        view = FULL_VIEW
        if case is None:
            shared = cases_shared_with(user)  # no query for a user without agreements
            if not shared.query.is_empty():
                case = shared.select_related(*related).filter(pk=pk).first()
                view = _shared_view(user, case) if case is not None else NO_VIEW
    except (ValueError, TypeError):
        case = None
    if case is None or not view.covers(part):
        raise Http404(_("Case not found."))
    if write and view.shared:
        raise PermissionDenied(_("An agreement lets you read this case, not change it."))
    if write and case.is_closed:
        raise PermissionDenied(_("This case is closed: it can be read but not changed."))
    case._crocevia_view = (user, view)
    return case


def get_case_for(user, pk, *, write: bool = False, part: str | None = None) -> Case:
    """The case `pk` if `user` may see it (404 otherwise); 403 if they may not change it.

    `part`: what the page shows of it, HEADER (the case page) or a CasePart value (the
    plan's page...); None, the whole case. A reader under an agreement gets 404 for a part
    the agreement does not cover (or None), and 403 for any change. A closed case is
    read-only for everyone. Records the access (naming the agreements it was read under).
    """
    case = find_case_for(user, pk, write=write, part=part)
    record_access(
        actor=user,
        instance=case,
        person_id=case.person_id,
        note=case_access_note(user, case, part),
    )
    return case


def case_access_note(user, case: Case, part: str | None, note: str = "") -> str:
    """The access event's note for `part` of `case` (obtained through find_case_for): the
    page's own `note`, plus the agreements it was read under, if any."""
    return with_agreements(note, case_view_for(user, case).agreements(part))


def cases_shown_to(user, cases) -> list[Case]:
    """`cases` (a page of a list the user may see), read, their persons recorded as shown."""
    cases = list(cases)
    record_persons_shown(actor=user, person_ids=[c.person_id for c in cases], note=NOTE_CASE_LIST)
    return cases
