"""What an agreement's data-sharing clause lets one organisation see of another's (issue 19).

Seeds 000 and 004: agreements "discipline the exchange and sharing of databases". The rule:

- an agreement is in force on a day when valid_from ≤ day ≤ valid_until (or it is
  open-ended): the view it gives closes the day after valid_until;
- a member of organisation B, party to an agreement in force, sees of what another party A
  recorded the parts (CasePart) that B's own clause (`AgreementParty.shared_parts`) covers.
  It is directional: B's clause lets B see A's; A sees B's only if A's clause says so;
- the person's active consent to sharing within the network is required too: the apps that
  show persons and cases add it (people.sharing.network_consents);
- it is read only: nothing is ever changed on the strength of an agreement;
- monitoring officers, who see no one by name, gain nothing from it; administrators see
  everything anyway.

This module answers with organisations and parts only (`agreement_grants`,
`shared_by_agreement`, `case_sharing_organisations`); people, desk and cases turn them
into persons, contacts and cases. One small query per request, and none at all for a user
whose organisations are party to no agreement in force: the memberships' own query says
so (`party_in_force`, registered in apps.py through accounts.hooks).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships

from .models import AgreementParty, CasePart

# The parts of a case proper (registry and contacts are the person's): a member of B sees a
# case of A when the clause covers at least one of them.
CASE_PARTS = frozenset(
    {
        CasePart.INTAKE,
        CasePart.ASSESSMENT,
        CasePart.PLAN,
        CasePart.INTERVENTIONS,
        CasePart.BENEFITS,
        CasePart.HEALTH,
    }
)
ALL_PARTS = frozenset(CasePart.values)

# The attribute each membership is loaded with (accounts.selectors.active_memberships).
IN_FORCE_ATTRIBUTE = "party_to_agreement_in_force"


@dataclass(frozen=True)
class Grant:
    """What one agreement lets the user see of one organisation's persons and cases."""

    agreement_id: int
    title: str
    organisation_id: int  # A: whose data
    parts: frozenset  # CasePart values the user's own party's clause covers


def in_force(day: datetime.date, prefix: str = "") -> Q:
    """The condition on Agreement (or, with `prefix` "agreement__", on a row that names
    one): in force on `day`, its last day included."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": day})
    )


def party_in_force() -> Exists:
    """The expression on Membership: its organisation is a party to an agreement in force
    today (whatever its clause). Registered on the memberships' query (apps.py)."""
    return Exists(
        AgreementParty.objects.filter(
            in_force(timezone.localdate(), "agreement__"),
            organisation_id=OuterRef("organisation_id"),
        )
    )


def _reading_memberships(user) -> list:
    """The memberships on whose strength an agreement shows something: active, of an
    active user, never a monitoring officer's (no names), never an administrator (sees all)."""
    if not user.is_authenticated or not user.is_active or user.is_superuser:
        return []
    return [m for m in active_memberships(user) if m.profile != Profile.MONITORING_OFFICER]


def agreement_grants(user, *, on: datetime.date | None = None) -> tuple[Grant, ...]:
    """What the agreements in force on `on` (default today) let `user` see: one Grant per
    agreement and other party, in agreement order. No query when the memberships say the
    user's organisations are party to none in force today; otherwise one, memoised on the
    user (for the request) with the memberships it was read for."""
    memberships = _reading_memberships(user)
    if not memberships:
        return ()
    today = timezone.localdate()
    day = on or today
    if day == today and not any(getattr(m, IN_FORCE_ATTRIBUTE, True) for m in memberships):
        return ()  # the memberships' query said: party to no agreement in force today
    # Memoised with the memberships they were read for (a new list when they are reloaded).
    loaded = active_memberships(user)
    cached = getattr(user, "_crocevia_agreement_grants", None)
    if cached is not None and cached[0] is loaded and cached[1] == day:
        return cached[2]
    own = {m.organisation_id for m in memberships}
    rows = (
        AgreementParty.objects.filter(
            in_force(day, "agreement__"),
            agreement__in=AgreementParty.objects.filter(organisation_id__in=own).values(
                "agreement_id"
            ),
        )
        .order_by("agreement__valid_from", "agreement_id", "position", "pk")
        .values_list("agreement_id", "agreement__title", "organisation_id", "shared_parts")
    )
    by_agreement: dict[int, list] = {}
    for agreement_id, title, organisation_id, parts in rows:
        by_agreement.setdefault(agreement_id, []).append((title, organisation_id, parts))
    grants = []
    for agreement_id, parties in by_agreement.items():
        seen: dict[int, set] = {}
        for _title, reader, parts in parties:
            if reader not in own:
                continue
            covered = set(parts or ()) & ALL_PARTS
            if not covered:
                continue
            for _t, organisation_id, _p in parties:
                if organisation_id != reader:  # A ≠ B: B's clause opens the others' data
                    seen.setdefault(organisation_id, set()).update(covered)
        title = parties[0][0]
        grants += [
            Grant(agreement_id, title, organisation_id, frozenset(parts))
            for organisation_id, parts in seen.items()
        ]
    grants = tuple(grants)
    user._crocevia_agreement_grants = (loaded, day, grants)
    return grants


def shared_by_agreement(user, part: str, *, on: datetime.date | None = None) -> set[int]:
    """The organisations A whose `part` (a CasePart value) `user` sees under an agreement in
    force on `on` (default today): the person's consent is the caller's to add."""
    return {g.organisation_id for g in agreement_grants(user, on=on) if part in g.parts}


def case_sharing_organisations(user, *, on: datetime.date | None = None) -> set[int]:
    """The organisations of whose cases `user` sees at least one part (CASE_PARTS)."""
    return {g.organisation_id for g in agreement_grants(user, on=on) if g.parts & CASE_PARTS}
