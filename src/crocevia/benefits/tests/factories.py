"""Applications for tests, recorded through the services (others may import these)."""

import datetime

from django.utils import timezone

from crocevia.benefits.models import BenefitApplication, Measure, Status
from crocevia.benefits.services import benefit_application_record
from crocevia.people.services import household_create
from crocevia.testing import PersonFactory


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def make_household(actors, *, person_id="P1", household_id="H1"):
    """A person of the SdS with an external id, reference person of a new household."""
    person = PersonFactory(
        external_id=person_id,
        created_by=actors.social_worker,
        created_by_organisation=actors.sds,
    )
    household = household_create(
        actor=actors.social_worker, reference_person=person, external_id=household_id
    )
    person.refresh_from_db()
    return household, person


def make_application(actors, *, household=None, applicant=None, **fields) -> BenefitApplication:
    if household is None:
        household, applicant = make_household(actors)
    data = {
        "external_id": "INPS-1",
        "household": household,
        "applicant": applicant,
        "comune": actors.pisa,
        "measure": Measure.ADI,
        "submitted_on": days_ago(100),
        "status": Status.ACCEPTED,
        "outcome_on": days_ago(70),
    }
    data.update(fields)
    return benefit_application_record(actor=actors.social_worker, data=data)


def make_applications(actors, n: int, *, start: int = 0, **fields) -> list[BenefitApplication]:
    """`n` applications of `n` new households (P/H ids numbered from `start`)."""
    applications = []
    for i in range(start, start + n):
        household, person = make_household(actors, person_id=f"PX{i}", household_id=f"HX{i}")
        applications.append(
            make_application(
                actors,
                household=household,
                applicant=person,
                external_id=f"INPS-X{i}",
                **fields,
            )
        )
    return applications
