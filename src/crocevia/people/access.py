"""The one way a view obtains a person, a household, a consent or a pair of possible
duplicates (and the persons a page lists), and who may do what in the registry.

Obtaining what shows personal data records its access event (crocevia.audit.recording):
the person obtained, the members of their household shown, the persons a search found.
404 for what the user may not see; 403 for what they see but may not change.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids, is_monitoring_only
from crocevia.audit.recording import (
    NOTE_CODE_TAKEN,
    NOTE_DUPLICATES,
    NOTE_HOUSEHOLD,
    NOTE_SEARCH,
    record_access,
    record_persons_shown,
    with_agreements,
)
from crocevia.core.paging import CappedCount, CappedPaginator, capped_count

from .models import Consent, DuplicatePair, Household, Person
from .selectors import (
    SEARCH_LIMIT,
    agreements_showing,
    persons_editable_by,
    persons_visible_to,
    search_persons,
)

# The note of the access events of the two records a coordinator compares before a merge.
NOTE_MERGE_CHECK = "duplicate check"
# Pairs per page of the duplicates queue.
DUPLICATES_PER_PAGE = 50
# The queue counts its pairs up to this many (more: "more than 1000", the pages after
# them reached one by one) and the home page up to OPEN_DUPLICATES_SHOWN ("100+"):
# counting the pairs a coordinator sees checks both persons of every pair (0.6 s for
# 50,000 open pairs, bench/duplicates.py).
DUPLICATES_COUNTED = 1000
OPEN_DUPLICATES_SHOWN = 100


# --- who may do what ------------------------------------------------------------------------


def can_register_persons(user) -> bool:
    """Everyone but monitoring officers, who read aggregates only: registering would write
    personal data, and the duplicate check would tell whether someone with that name and
    birth date is known."""
    return not is_monitoring_only(user)


def can_read_access_report(user) -> bool:
    """Administrators only: a person's access report names every operator who saw them."""
    return user.is_superuser


def can_merge_persons(user) -> bool:
    """Administrators and zone coordinators check the possible duplicates and merge them."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(coordinated_zone_ids(user))


def require_person_registration(user) -> None:
    """404 for whoever may not register persons (can_register_persons): the page does not
    exist for them."""
    if not can_register_persons(user):
        raise Http404(_("Page not found."))


# --- persons and households ------------------------------------------------------------------


class PersonMerged(Exception):
    """The record asked for was merged into `survivor`, which the user may see: the page
    is the survivor's (people.middleware.MergedPersonMiddleware redirects there)."""

    def __init__(self, merged_pk: int, survivor: Person):
        super().__init__(f"Person {merged_pk} was merged into {survivor.pk}.")
        self.merged_pk = merged_pk
        self.survivor = survivor


def get_person_for(user, pk, *, write: bool = False, note: str = "") -> Person:
    """The person `pk` if `user` may see it (404 otherwise); 403 if they may not change it.

    Records the access (`note`: what the page does with it, e.g. "access report"). A
    record merged into another raises PersonMerged when the user may see the survivor
    (the page redirects to it), 404 otherwise, as for any person they may not see.
    """
    try:
        person = persons_visible_to(user).select_related("comune", "household").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        # A merged record: the live record it was merged into (person_merge keeps one level:
        # the records merged into a record that is merged in turn follow it).
        survivor = None
        if str(pk).isdigit():
            survivor = persons_visible_to(user).filter(merged_records__pk=pk).first()
        if survivor is not None:
            raise PersonMerged(int(pk), survivor) from None
        raise Http404(_("Person not found.")) from None
    if write and not persons_editable_by(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("You may not change this person."))
    # Seen only because an agreement shares their registry data: the event says which.
    person.shared_under = agreements_showing(user, person.pk)
    record_access(
        actor=user,
        instance=person,
        person_id=person.pk,
        note=with_agreements(note, person.shared_under),
    )
    return person


def person_shared_under(user, person: Person) -> tuple[str, ...]:
    """The titles of the agreements through which `user` reads `person` (read only), or ()
    when they see the person on their own grounds (and may change the record)."""
    shared = getattr(person, "shared_under", None)
    if shared is None:  # not obtained through get_person_for
        shared = person.shared_under = agreements_showing(user, person.pk)
    return shared


def get_person_report_for(user, pk, *, note: str) -> Person:
    """The person whose access report `user` reads (can_read_access_report; anyone else
    gets 404, as for a person they cannot see). Reading who accessed a person is itself an
    access to that person's data: recorded with `note` ("access report", "access report
    pdf"), written after the report is made, so the report does not list its own reading."""
    if not can_read_access_report(user):
        raise Http404(_("Person not found."))
    return get_person_for(user, pk, note=note)


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


def get_household_of_for(user, person: Person, *, write: bool = False) -> Household:
    """The household of `person` (obtained with get_person_for), as get_household_for
    allows; 404 when the person belongs to none."""
    if not person.household_id:
        raise Http404(_("Household not found."))
    return get_household_for(user, person.household_id, write=write)


def get_member_for(user, person: Person, member_pk, *, write: bool = False) -> Person:
    """The person `member_pk` (get_person_for) if they belong to the household of `person`
    (404 otherwise, or if `person` belongs to none)."""
    member = get_person_for(user, member_pk, write=write)
    if not person.household_id or member.household_id != person.household_id:
        raise Http404(_("Person not found."))
    return member


def get_consent_for(user, person_pk, pk, *, write: bool = False) -> Consent:
    """The consent `pk` of the person `person_pk` (get_person_for; `consent.person` is
    that person), 404 if the person has no such consent."""
    person = get_person_for(user, person_pk, write=write)
    consent = person.consents.filter(pk=pk).first()
    if consent is None:
        raise Http404(_("Consent not found."))
    consent.person = person
    return consent


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


# --- duplicates -----------------------------------------------------------------------------


def duplicate_pairs_visible_to(user, *, reason: str = "") -> QuerySet[DuplicatePair]:
    """The open pairs of possible duplicates `user` checks, newest first: an administrator
    every pair, a coordinator those whose two persons they both see on their own grounds
    (persons_editable_by: a merge changes them, which no agreement allows); no one else
    any. `reason`: only the pairs found for that reason."""
    if not can_merge_persons(user):
        return DuplicatePair.objects.none()
    pairs = DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN)
    if reason:
        pairs = pairs.filter(reason=reason)
    if user.is_superuser:
        pairs = pairs.filter(person_a__merged_into__isnull=True, person_b__merged_into__isnull=True)
    else:
        visible = persons_editable_by(user).values("pk")
        pairs = pairs.filter(person_a__in=visible, person_b__in=visible)
    # Newest first by id, which follows found_at (set when the row is inserted): the
    # primary key's index gives a page without sorting every open pair (50 ms of a page
    # over 50,000 pairs).
    return pairs.order_by("-id")


def duplicate_pairs_page_for(user, *, reason: str = "", page_number=None) -> Page:
    """A page of the open pairs `user` checks (404 for anyone who checks none), the persons
    of its pairs recorded as shown."""
    if not can_merge_persons(user):
        raise Http404(_("Page not found."))
    pairs = duplicate_pairs_visible_to(user, reason=reason).select_related("person_a", "person_b")
    paginator = CappedPaginator(
        pairs, DUPLICATES_PER_PAGE, cap=DUPLICATES_COUNTED, number=page_number
    )
    page = paginator.get_page(page_number)
    record_persons_shown(
        actor=user,
        person_ids=[pk for pair in page.object_list for pk in (pair.person_a_id, pair.person_b_id)],
        note=NOTE_DUPLICATES,
    )
    return page


def open_duplicates_count_for(user) -> CappedCount | None:
    """How many open pairs `user` checks, up to OPEN_DUPLICATES_SHOWN ("100+" beyond: a
    number, no one named); None for anyone who checks none (no query)."""
    if not can_merge_persons(user):
        return None
    return capped_count(duplicate_pairs_visible_to(user), OPEN_DUPLICATES_SHOWN)


def get_pair_for(user, pk) -> DuplicatePair:
    """The pair `pk` if `user` checks duplicates and may change both its persons (404
    otherwise: duplicate_pairs_visible_to), the two records recorded as viewed (the page
    shows them side by side)."""
    if not can_merge_persons(user):
        raise Http404(_("Page not found."))
    pair = DuplicatePair.objects.filter(pk=pk).select_related("decided_by").first()
    if pair is None:
        raise Http404(_("Page not found."))
    persons = (
        persons_editable_by(user)
        .select_related("comune", "household")
        .in_bulk([pair.person_a_id, pair.person_b_id])
    )
    if len(persons) != 2:
        raise Http404(_("Page not found."))
    pair.person_a, pair.person_b = persons[pair.person_a_id], persons[pair.person_b_id]
    for person in (pair.person_a, pair.person_b):
        record_access(actor=user, instance=person, person_id=person.pk, note=NOTE_MERGE_CHECK)
    return pair


def code_owner_for(user, owner_pk) -> Person | None:
    """The person who holds a codice fiscale someone tried to register again, if `user`
    may see them (recorded as shown, like a suspected duplicate); None otherwise: the form
    then says the code is taken without naming anyone, and the person's access report
    still shows that someone learnt they are registered."""
    owner = persons_visible_to(user).filter(pk=owner_pk).first()
    if owner is not None:
        record_persons_shown(actor=user, person_ids=[owner.pk], note=NOTE_DUPLICATES)
    elif owner_pk is not None:
        # Not named, but the code told the user the person is registered: in their report.
        record_persons_shown(actor=user, person_ids=[owner_pk], note=NOTE_CODE_TAKEN)
    return owner
