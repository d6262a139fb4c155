"""The one way a view obtains an income-support application (and the applications a list
shows), and who may do what with them.

Who sees an application is who records them: administrators, the coordinators of the zone
of the application's Comune, and the social workers and administrative staff of the zone's
social services (its SdS and its Comuni; selectors.SOCIAL_SERVICES). Monitoring officers
see no name: the pages do not exist for them (404), nor for anyone else who records no
application (the other organisations of the zone among them). Obtaining an application
records its access event, naming the applicant; a list records the applicants it shows
(crocevia.audit.recording).
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships, coordinated_zone_ids
from crocevia.audit.recording import (
    NOTE_BENEFITS,
    NOTE_BENEFITS_EXPORT,
    NOTE_HOUSEHOLD,
    record_access,
    record_persons_shown,
)
from crocevia.network.models import Comune, Organisation
from crocevia.people.models import Person
from crocevia.people.selectors import persons_visible_to
from crocevia.people.sharing import has_network_sharing_consent

from .models import BenefitApplication, Status
from .selectors import (
    FOLLOW_UP_PROFILES,
    RECORDING_PROFILES,
    application_history,
    application_zone_ids,
    applications_listed,
    applications_visible_to,
    follow_ups_of,
    is_followed_up,
    linked_cases,
    status_counts,
    zones_with_profiles,
)

PAGE_SIZE = 50


# --- who may do what ------------------------------------------------------------------------


def _active(user) -> bool:
    return user.is_authenticated and user.is_active


def may_see_benefit_applications(user) -> bool:
    """Whether the application pages exist for the user (no query: the memberships)."""
    return _active(user) and (user.is_superuser or bool(application_zone_ids(user)))


def require_benefit_pages(user) -> None:
    """404 for whoever sees no application (may_see_benefit_applications)."""
    if not may_see_benefit_applications(user):
        raise Http404(_("Page not found."))


def can_record_benefit_applications(user, comune: Comune) -> bool:
    """Administrators, the coordinators of the Comune's zone, and the social workers and
    administrative staff of the zone's social services (selectors.zones_with_profiles)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return comune.zone_id in zones_with_profiles(user, RECORDING_PROFILES)


def follows_up_households_of(user, application: BenefitApplication) -> bool:
    """Whether the user stands beside the households of the application's zone on a
    negative outcome: administrators, the coordinators of the zone and the social workers
    of its social services (whatever the application's status now)."""
    if not _active(user):
        return False
    return user.is_superuser or application.comune.zone_id in zones_with_profiles(
        user, FOLLOW_UP_PROFILES
    )


def can_follow_up(user, application: BenefitApplication) -> bool:
    """follows_up_households_of, on an application lapsed, suspended or rejected."""
    return application.is_negative and follows_up_households_of(user, application)


def case_organisations_for(user, application: BenefitApplication) -> QuerySet[Organisation]:
    """The organisations of the application's zone where the user may open its case
    (benefits.opening.case_open_from_benefit): as a social worker of the organisation, or
    as a coordinator of the zone; every one of the zone for administrators."""
    zone_id = application.comune.zone_id
    if not _active(user) or zone_id is None:
        return Organisation.objects.none()
    organisations = Organisation.objects.filter(zone_id=zone_id).order_by("name")
    if user.is_superuser or zone_id in coordinated_zone_ids(user):
        return organisations
    social = {
        m.organisation_id for m in active_memberships(user) if m.profile == Profile.SOCIAL_WORKER
    }
    return organisations.filter(pk__in=social)


# --- applications ---------------------------------------------------------------------------


def get_application_for(user, pk, *, write: bool = False) -> BenefitApplication:
    """The application `pk` if `user` may see it (404 otherwise); 403 with `write` if they
    may not change it. Records the access, naming the applicant."""
    try:
        application = (
            applications_visible_to(user)
            .select_related("household", "applicant", "comune", "comune__zone")
            .get(pk=pk)
        )
    except (BenefitApplication.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Application not found.")) from None
    if write and not can_record_benefit_applications(user, application.comune):
        raise PermissionDenied(_("You may not record applications for this Comune."))
    record_access(actor=user, instance=application, person_id=application.applicant_id)
    return application


def household_of_application_for(
    user, application: BenefitApplication
) -> tuple[list[Person], int, bool]:
    """The members of the application's household (the household INPS assesses) that the
    user may see, how many others there are, and whether they may see the applicant; the
    members shown but the applicant (recorded with the application) recorded as shown.
    Two queries.

    As the registry's (people.access.household_members_for): members the user may not see
    are counted, never named. The applicant is the application's, named with it (linked
    only when visible)."""
    members = list(
        Person.objects.filter(household_id=application.household_id)
        .only(
            "pk", "household", "family_name", "given_names", "birth_date", "household_relationship"
        )
        .order_by("birth_date", "pk")
    )
    visible = set(
        persons_visible_to(user)
        .filter(pk__in=[m.pk for m in members] + [application.applicant_id])
        .values_list("pk", flat=True)
    )
    shown = [m for m in members if m.pk in visible or m.pk == application.applicant_id]
    record_persons_shown(
        actor=user,
        person_ids=[m.pk for m in shown if m.pk != application.applicant_id],
        note=NOTE_HOUSEHOLD,
    )
    return shown, len(members) - len(shown), application.applicant_id in visible


def application_page_context(user, application: BenefitApplication) -> dict:
    """What the application's page shows (obtained with get_application_for): its
    household, the cases opened from it, its follow-ups, its history, and what the user
    may do. A constant number of queries."""
    members, hidden_members, applicant_visible = household_of_application_for(user, application)
    cases = linked_cases(user, application)
    follow_ups = follow_ups_of(application)
    organisations = []
    if not cases and application.status == Status.ACCEPTED and application.outcome_on:
        organisations = list(case_organisations_for(user, application))
    return {
        "application": application,
        "members": members,
        "hidden_members": hidden_members,
        "applicant_visible": applicant_visible,
        "cases": cases,
        "follow_ups": follow_ups,
        "followed_up": is_followed_up(application, follow_ups),
        "history": application_history(application),
        "may_record": can_record_benefit_applications(user, application.comune),
        "may_follow_up": can_follow_up(user, application),
        # An accepted application that opened no case, and an organisation of its zone
        # where the user may open it: the button (and the form) to open it.
        "may_open_case": bool(organisations),
        "case_organisations": organisations,
        # The basis on which the case team shares the applicant's data, asked when opening
        # the case unless the consent is on record.
        "has_consent": bool(organisations) and has_network_sharing_consent(application.applicant),
    }


def application_page_for(user, *, filters: dict, page=1) -> tuple[Page, dict]:
    """A page (50) of the applications the user sees, filtered (selectors.
    applications_listed), newest first, with the counts per status of the list the
    filters give but for the status (and the follow-up); the applicants shown recorded.
    Three queries: the counts, the page's count, its rows."""
    require_benefit_pages(user)
    counts = status_counts(
        applications_listed(user, **{**filters, "status": "", "to_follow_up": False})
    )
    page = Paginator(applications_listed(user, **filters), PAGE_SIZE).get_page(page)
    page.object_list = list(page.object_list)
    record_persons_shown(
        actor=user, person_ids=[a.applicant_id for a in page.object_list], note=NOTE_BENEFITS
    )
    return page, counts


def application_export_for(user, *, filters: dict) -> list[BenefitApplication]:
    """Every application of the filtered list (one query), its applicants recorded as
    shown."""
    require_benefit_pages(user)
    applications = list(applications_listed(user, **filters))
    record_persons_shown(
        actor=user, person_ids=[a.applicant_id for a in applications], note=NOTE_BENEFITS_EXPORT
    )
    return applications
