"""Reads of income-support applications, scoped to the user: the list and its counts, the
follow-up queue, an application's linked cases and history, a household's applications.

Who sees an application (benefits.access): administrators, the coordinators of the zone
of its Comune, and the social workers and administrative staff of the zone's social
services (its SdS and its Comuni: SOCIAL_SERVICES). The other organisations of the zone
(a cooperative, an ASL service, the CPI, the CPIA) see none.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships, coordinated_zone_ids
from crocevia.audit.actions import action_label
from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import is_sensitive_entry, redact
from crocevia.cases.models import Case
from crocevia.cases.selectors import cases_visible_to
from crocevia.network.models import Comune, Organisation
from crocevia.people.access import person_shared_under

from .models import (
    NEGATIVE_STATUSES,
    BenefitApplication,
    FollowUp,
    Measure,
    OutcomeReason,
    Status,
)

# Who records applications, and so sees them: the social workers and administrative staff
# of the social services (SOCIAL_SERVICES), and the coordinators of the Comune's zone.
RECORDING_PROFILES = frozenset({Profile.SOCIAL_WORKER, Profile.COORDINATOR, Profile.ADMINISTRATIVE})
# Who stands beside a household on a negative outcome: the social workers of the social
# services and the coordinators (the administrative staff record the outcomes INPS sends).
FOLLOW_UP_PROFILES = frozenset({Profile.SOCIAL_WORKER, Profile.COORDINATOR})
# The organisations whose social workers and administrative staff handle the applications:
# the zone's social services (the SdS, the Comuni), not the other services of the zone.
SOCIAL_SERVICES = frozenset({Organisation.Kind.SDS, Organisation.Kind.COMUNE})
# The history shown on an application's page: its latest changes.
HISTORY_LIMIT = 100


def zones_with_profiles(user, profiles) -> set[int]:
    """The zones where `user` holds one of `profiles` for the income-support applications:
    as a coordinator of the zone (any of its organisations), or in one of its social
    services (SOCIAL_SERVICES) for the other profiles. Memberships cached on the user: no
    query after the first."""
    if not user.is_authenticated or not user.is_active:
        return set()
    zones = {
        m.organisation.zone_id
        for m in active_memberships(user)
        if m.profile in profiles
        and m.profile != Profile.COORDINATOR
        and m.organisation.kind in SOCIAL_SERVICES
        and m.organisation.zone_id
    }
    if Profile.COORDINATOR in profiles:
        zones |= coordinated_zone_ids(user)
    return zones


def application_zone_ids(user) -> set[int]:
    """The zones whose applications the user sees (administrators: see applications_
    visible_to)."""
    return zones_with_profiles(user, RECORDING_PROFILES)


def applications_visible_to(user) -> QuerySet[BenefitApplication]:
    if not user.is_authenticated or not user.is_active:
        return BenefitApplication.objects.none()
    if user.is_superuser:
        return BenefitApplication.objects.all()
    zones = application_zone_ids(user)
    if not zones:
        return BenefitApplication.objects.none()
    return BenefitApplication.objects.filter(comune__zone_id__in=zones)


def comuni_of_applications_for(user) -> QuerySet[Comune]:
    """The Comuni whose applications the user sees (the list's filter, the form's
    choices): those of their zones, every one for administrators."""
    comuni = Comune.objects.order_by("name")
    if user.is_superuser:
        return comuni
    return comuni.filter(zone_id__in=application_zone_ids(user))


# --- the follow-up of a negative outcome ----------------------------------------------------


def _followed_up():
    """A follow-up answers the outcome the application has now (its status and date)."""
    same = FollowUp.objects.filter(application_id=OuterRef("pk"), status=OuterRef("status"))
    return Exists(same.filter(outcome_on=OuterRef("outcome_on"))) | (
        Q(outcome_on__isnull=True) & Exists(same.filter(outcome_on__isnull=True))
    )


def to_follow_up_condition() -> Q:
    """Lapsed, suspended or rejected, and no follow-up of that outcome yet."""
    return Q(status__in=NEGATIVE_STATUSES) & ~_followed_up()


def with_follow_up(queryset: QuerySet[BenefitApplication]) -> QuerySet[BenefitApplication]:
    """Annotate `to_follow_up` (to_follow_up_condition) and `case_id` (the case opened
    from it, if any): the list's columns, in the rows' query."""
    first_case = Case.objects.filter(benefit_application_id=OuterRef("pk")).order_by("pk")
    return queryset.annotate(
        to_follow_up=ExpressionWrapper(to_follow_up_condition(), output_field=BooleanField()),
        case_id=Subquery(first_case.values("pk")[:1]),
    )


def applications_to_follow_up(user) -> QuerySet[BenefitApplication]:
    """The follow-up queue: applications lapsed, suspended or rejected and not yet followed
    up, of the zones where the user follows households up (social workers, coordinators;
    every one for administrators)."""
    queryset = applications_visible_to(user)
    if not user.is_superuser:
        queryset = queryset.filter(
            comune__zone_id__in=zones_with_profiles(user, FOLLOW_UP_PROFILES)
        )
    return queryset.filter(to_follow_up_condition())


# --- the list ---------------------------------------------------------------------------------


def applications_listed(
    user,
    *,
    comune=None,
    measure: str = "",
    status: str = "",
    submitted_from: datetime.date | None = None,
    submitted_to: datetime.date | None = None,
    to_follow_up: bool = False,
) -> QuerySet[BenefitApplication]:
    """The applications the user sees, filtered, newest first, with what the list shows
    (applicant, Comune, to_follow_up, case_id) in the same query."""
    queryset = with_follow_up(applications_visible_to(user)).select_related("applicant", "comune")
    if comune is not None:
        queryset = queryset.filter(comune=comune)
    if measure in Measure.values:
        queryset = queryset.filter(measure=measure)
    if status in Status.values:
        queryset = queryset.filter(status=status)
    if submitted_from is not None:
        queryset = queryset.filter(submitted_on__gte=submitted_from)
    if submitted_to is not None:
        queryset = queryset.filter(submitted_on__lte=submitted_to)
    if to_follow_up:
        queryset = queryset.filter(to_follow_up_condition())
    return queryset.order_by("-submitted_on", "-pk")


def status_counts(queryset: QuerySet[BenefitApplication]) -> dict:
    """How many applications of `queryset` in each status, to follow up, and in all: one
    query."""
    counts = {status: Count("pk", filter=Q(status=status)) for status in Status.values}
    counts["to_follow_up"] = Count("pk", filter=to_follow_up_condition())
    counts["total"] = Count("pk")
    return queryset.order_by().aggregate(**counts)


# --- an application's page ------------------------------------------------------------------


def linked_cases(user, application: BenefitApplication) -> list[tuple[Case, bool]]:
    """The cases opened from the application, each with whether the user may open its
    page (one query)."""
    visible = cases_visible_to(user).filter(pk=OuterRef("pk"))
    cases = (
        Case.objects.filter(benefit_application=application)
        .select_related("organisation")
        .annotate(visible=Exists(visible))
        .order_by("pk")
    )
    return [(case, case.visible) for case in cases]


def follow_ups_of(application: BenefitApplication) -> list[FollowUp]:
    """The application's follow-ups, newest first (one query)."""
    return list(application.follow_ups.select_related("recorded_by").order_by("-on", "-pk"))


def is_followed_up(application: BenefitApplication, follow_ups: list[FollowUp]) -> bool:
    """Whether one of `follow_ups` (the application's) answers its current outcome."""
    return any(
        f.status == application.status and f.outcome_on == application.outcome_on
        for f in follow_ups
    )


@dataclass
class HistoryLine:
    event: AuditEvent
    action: str  # the action's label
    changes: list  # (field label, old, new), values None when not shown


# Fields whose values the history shows as words (choices) or days; the others by name:
# the household, the applicant and the Comune by id would say nothing, and the notes are
# never in the trail (AUDIT_SENSITIVE_FIELDS).
_CHOICES = {"status": Status, "measure": Measure, "outcome_reason": OutcomeReason}
_DAYS = {"submitted_on", "outcome_on", "followed_up_on"}
_SHOWN = {"external_id"}
_EXTRA_LABELS = {
    "followed_up_on": lambda: _("followed up on"),
    "follow_up_note": lambda: _("what was done"),
}


def _shown_value(name: str, value):
    if value in (None, ""):
        return None
    if name in _CHOICES:
        try:
            return _CHOICES[name](value).label
        except ValueError:
            return value
    if name in _DAYS:
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return value
    return value


def _label(name: str) -> str:
    if name in _EXTRA_LABELS:
        return _EXTRA_LABELS[name]()
    try:
        return str(BenefitApplication._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field renamed since: its stored name
        return name


def application_history(application: BenefitApplication) -> list[HistoryLine]:
    """The application's changes (its change events), newest first: who, when, what,
    from which organisation; values shown for its codes and dates only. One query.

    Read by the applicant, whose events these are (the trail's person index): an import
    that moved the application to another applicant leaves the earlier events with the
    earlier one."""
    events = (
        AuditEvent.objects.filter(
            person_id=application.applicant_id,
            kind=AuditEvent.Kind.CHANGE,
            object_type=BenefitApplication._meta.label_lower,
            object_id=str(application.pk),
        )
        .select_related("actor")
        .order_by("-at", "-id")[:HISTORY_LIMIT]
    )
    lines = []
    for event in events:
        changes = []
        for name, values in redact(event.object_type, event.changes or {}).items():
            if is_sensitive_entry(values) or name not in (_SHOWN | _DAYS | set(_CHOICES)):
                changes.append((_label(name), None, None))
                continue
            old, new = (
                (list(values) + [None, None])[:2]
                if isinstance(values, list)
                else (
                    None,
                    values,
                )
            )
            changes.append((_label(name), _shown_value(name, old), _shown_value(name, new)))
        lines.append(HistoryLine(event=event, action=action_label(event), changes=changes))
    return lines


# --- the person page's section ----------------------------------------------------------------


def applications_of_household(user, person) -> list[BenefitApplication]:
    """The applications the user sees of the person's household (their own when they
    belong to none), newest first: one query."""
    queryset = applications_visible_to(user)
    if person.household_id:
        queryset = queryset.filter(Q(household_id=person.household_id) | Q(applicant=person))
    else:
        queryset = queryset.filter(applicant=person)
    return list(queryset.select_related("comune").order_by("-submitted_on", "-pk"))


def person_section_context(user, person) -> dict:
    """The person page's section (registered in people.scopes): the household's
    applications, and the way to record one; nothing (no query) for who sees no
    application."""
    if not user.is_authenticated or not (user.is_superuser or application_zone_ids(user)):
        return {"benefit_section": None}
    return {
        "benefit_section": {
            "applications": applications_of_household(user, person),
            # Read only under an agreement (network.sharing): no application recorded.
            "may_record": not person_shared_under(user, person),
        }
    }
