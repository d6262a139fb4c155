"""Reads of referrals (invii), scoped to the organisations that sent or received them.

A referral is visible to the operators of its sending and of its receiving organisation;
only the receiving organisation decides on it. Monitoring officers see none by name;
administrators see all.
"""

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from crocevia.accounts.selectors import is_monitoring_only, organisation_ids

from .models import Referral

TABLE_RELATED = ("person", "from_organisation", "to_organisation", "sent_by", "decided_by")


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
    organisations, unless it refused them (a referral shares the person, with consent)."""
    return Exists(
        Referral.objects.filter(
            person_id=OuterRef("pk"), to_organisation_id__in=organisation_ids(user)
        ).exclude(status=Referral.Status.REFUSED)
    )


def _pending_first(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    waiting = Case(
        When(status=Referral.Status.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        queryset.select_related(*TABLE_RELATED)
        .annotate(waiting_last=waiting)
        .order_by("waiting_last", "-sent_on", "-id")
    )


def referrals_received(user) -> QuerySet[Referral]:
    """Referrals to the user's organisations (all, for administrators): pending first."""
    queryset = referrals_visible_to(user)
    if not user.is_superuser:
        queryset = queryset.filter(to_organisation_id__in=organisation_ids(user))
    return _pending_first(queryset)


def referrals_sent(user) -> QuerySet[Referral]:
    """Referrals from the user's organisations (all, for administrators): pending first."""
    queryset = referrals_visible_to(user)
    if not user.is_superuser:
        queryset = queryset.filter(from_organisation_id__in=organisation_ids(user))
    return _pending_first(queryset)


def referrals_for_person(user, person) -> QuerySet[Referral]:
    """The person's referrals the user may see, newest first, ready for a table (one query)."""
    return (
        referrals_visible_to(user)
        .filter(person=person)
        .select_related("from_organisation", "to_organisation")
        .order_by("-sent_on", "-id")
    )


def person_section_context(user, person) -> dict:
    """The person page's section of referrals (registered in people.scopes)."""
    return {"referrals": referrals_for_person(user, person)}
