"""Reads of referrals (invii), scoped to the organisations that sent or received them.

A referral is visible to the operators of its sending and of its receiving organisation;
only the receiving organisation decides on it. Monitoring officers see none by name;
administrators see all.
"""

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from crocevia.accounts.selectors import is_monitoring_only, organisation_ids
from crocevia.people.models import SharingBasis

from .models import Referral
from .referrals import answer_due_before, is_overdue

TABLE_RELATED = ("person", "from_organisation", "to_organisation", "sent_by", "answered_by", "case")


def _no_names(user) -> bool:
    return not user.is_authenticated or not user.is_active or is_monitoring_only(user)


def referrals_visible_to(user) -> QuerySet[Referral]:
    """Referrals sent or received by one of the user's organisations."""
    if _no_names(user):
        return Referral.objects.none()
    if user.is_superuser:
        return Referral.objects.all()
    orgs = organisation_ids(user)
    return Referral.objects.filter(
        Q(from_organisation_id__in=orgs) | Q(to_organisation_id__in=orgs)
    )


def persons_referred_to_organisations_of(user) -> Exists:
    """The condition on Person (people.scopes): referred to one of the user's
    organisations, unless it declined them or the sender withdrew (a referral shares the
    person, on the basis the sending step recorded; a register's, none)."""
    return Exists(
        Referral.objects.filter(
            person_id=OuterRef("pk"), to_organisation_id__in=organisation_ids(user)
        )
        .exclude(state__in=(Referral.State.DECLINED, Referral.State.WITHDRAWN))
        # A register's referral carries no consent nor legal basis: it shares nothing
        # beyond itself (its page, through referrals_visible_to).
        .exclude(sharing_basis=SharingBasis.REGISTER)
    )


def _waiting_first(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Waiting for an answer first, then accepted (still to complete), then the closed
    ones; oldest first among the waiting (the most overdue on top), newest among the rest."""
    rank = Case(
        When(state=Referral.State.SENT, then=Value(0)),
        When(state=Referral.State.ACCEPTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.select_related(*TABLE_RELATED).annotate(rank=rank)


def OVERDUE(due_before) -> Q:  # noqa: N802 - a condition, named as the state it tests
    """Waiting for an answer since before `due_before`, from a receiver who can answer (a
    register's referral to an organisation it does not name has nobody to answer)."""
    return Q(state=Referral.State.SENT, sent_on__lt=due_before, to_organisation__isnull=False)


ORDERINGS = {
    # The queue: waiting first, the oldest on top; then the rest, newest first.
    "priority": ("rank", "sent_on", "id"),
    "oldest": ("sent_on", "id"),
    "newest": ("-sent_on", "-id"),
}


def filter_referrals(
    queryset: QuerySet[Referral], *, state="", overdue=False, due_before=None, order="priority"
) -> QuerySet[Referral]:
    """A queue's filters: one state, or the overdue answers only; and its order."""
    queryset = _waiting_first(queryset)
    if overdue:
        queryset = queryset.filter(OVERDUE(due_before))
    elif state in Referral.State.values:
        queryset = queryset.filter(state=state)
    return queryset.order_by(*ORDERINGS.get(order, ORDERINGS["priority"]))


def referrals_received(user) -> QuerySet[Referral]:
    """Referrals to the user's organisations (all, for administrators)."""
    queryset = referrals_visible_to(user)
    if not user.is_superuser:
        queryset = queryset.filter(to_organisation_id__in=organisation_ids(user))
    return queryset


def referrals_waiting(user) -> QuerySet[Referral]:
    """The referrals to the user's organisations still to answer (sent) or to complete
    (accepted): the receiver's work queue."""
    return referrals_received(user).filter(state__in=Referral.OPEN_STATES)


def referrals_sent(user) -> QuerySet[Referral]:
    """Referrals from the user's organisations (all, for administrators)."""
    queryset = referrals_visible_to(user)
    if not user.is_superuser:
        queryset = queryset.filter(from_organisation_id__in=organisation_ids(user))
    return queryset


def state_counts(queryset: QuerySet[Referral], *, due_before) -> dict:
    """How many referrals of a queue in each state, and overdue: one query."""
    counts = {state: Count("pk", filter=Q(state=state)) for state in Referral.State.values}
    counts["overdue"] = Count("pk", filter=OVERDUE(due_before))
    counts["total"] = Count("pk")
    return queryset.order_by().aggregate(**counts)


def referrals_for_person(user, person) -> QuerySet[Referral]:
    """The person's referrals the user may see, newest first, ready for a table (one query)."""
    return (
        referrals_visible_to(user)
        .filter(person=person)
        .select_related("from_organisation", "to_organisation", "case")
        .order_by("-sent_on", "-id")
    )


def person_section_context(user, person) -> dict:
    """The person page's section of referrals (registered in people.scopes)."""
    referrals = list(referrals_for_person(user, person))
    due_before = answer_due_before()
    for referral in referrals:
        referral.overdue = is_overdue(referral, due_before=due_before)
    return {"referrals": referrals}
