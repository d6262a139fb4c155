"""The one way a view obtains a person or a household (and the persons a page lists).

Obtaining what shows personal data records its access event (crocevia.audit.recording):
the person obtained, the members of their household shown, the persons a search found.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import (
    NOTE_DUPLICATES,
    NOTE_HOUSEHOLD,
    NOTE_SEARCH,
    record_access,
    record_persons_shown,
)

from .models import Household, Person
from .selectors import SEARCH_LIMIT, persons_editable_by, persons_visible_to, search_persons


def get_person_for(user, pk, *, write: bool = False, note: str = "") -> Person:
    """The person `pk` if `user` may see it (404 otherwise); 403 if they may not change it.

    Records the access (`note`: what the page does with it, e.g. "access report").
    """
    try:
        person = persons_visible_to(user).select_related("comune", "household").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Person not found.")) from None
    if write and not persons_editable_by(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("You may not change this person."))
    record_access(actor=user, instance=person, person_id=person.pk, note=note)
    return person


def get_household_for(user, pk, *, write: bool = False) -> Household:
    """A household is visible when at least one of its members is.

    Records nothing by itself: its members are shown through `household_members_for`.
    """
    visible = persons_visible_to(user).filter(household_id=pk)
    if not visible.exists():
        raise Http404(_("Household not found."))
    household = Household.objects.get(pk=pk)
    if write and not persons_editable_by(user).filter(household_id=pk).exists():
        raise PermissionDenied(_("You may not change this household."))
    return household


def household_members_for(user, person: Person) -> tuple[list[Person], int]:
    """The members of `person`'s household that `user` may see (recorded as shown), and
    how many others there are (never named). Two queries."""
    if not person.household_id:
        return [], 0
    members = list(
        person.household.members.only(
            "pk",
            "household",
            "family_name",
            "given_names",
            "birth_date",
            "household_relationship",
        ).order_by("birth_date", "pk")
    )
    visible_ids = set(
        persons_visible_to(user)
        .filter(household_id=person.household_id)
        .values_list("pk", flat=True)
    )
    shown = [m for m in members if m.pk in visible_ids]
    record_persons_shown(
        actor=user,
        person_ids=[m.pk for m in shown if m.pk != person.pk],
        note=NOTE_HOUSEHOLD,
    )
    return shown, len(members) - len(shown)


def search_persons_for(user, query: str, *, limit: int = SEARCH_LIMIT):
    """search_persons (selectors), with the persons found recorded as shown."""
    found = search_persons(user, query, limit=limit)
    record_persons_shown(actor=user, person_ids=[p.pk for p in found], note=NOTE_SEARCH)
    return found


def household_candidates_for(user, query: str, *, limit: int = 20) -> list[Person]:
    """Persons matching `query` who belong to no household (to add to one), recorded as
    shown."""
    found = [p for p in search_persons(user, query, limit=limit) if p.household_id is None]
    record_persons_shown(actor=user, person_ids=[p.pk for p in found], note=NOTE_SEARCH)
    return found


def visible_candidates_for(user, candidates: list[Person]) -> tuple[list[Person], int]:
    """The suspected duplicates `user` may see (named, so recorded as shown), and how many
    others exist (never named)."""
    visible_ids = set(
        persons_visible_to(user)
        .filter(pk__in=[c.pk for c in candidates])
        .values_list("pk", flat=True)
    )
    visible = [c for c in candidates if c.pk in visible_ids]
    record_persons_shown(actor=user, person_ids=[c.pk for c in visible], note=NOTE_DUPLICATES)
    return visible, len(candidates) - len(visible)
