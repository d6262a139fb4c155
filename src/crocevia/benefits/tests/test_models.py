"""The database itself refuses an inconsistent application, whatever writes it."""

import pytest
from django.db import IntegrityError, transaction

from crocevia.benefits.models import BenefitApplication, Status
from crocevia.testing import days_ago

from .factories import make_application

pytestmark = pytest.mark.django_db


def _raw_write(application, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitApplication.objects.filter(pk=application.pk).update(**fields)


def test_outcome_before_submission_is_refused_by_the_database(actors):
    application = make_application(actors)
    _raw_write(application, outcome_on=days_ago(200))


def test_accepted_application_without_outcome_date_is_refused_by_the_database(actors):
    application = make_application(actors)
    _raw_write(application, outcome_on=None)


def test_application_being_processed_may_have_no_outcome_date(actors):
    application = make_application(actors, status=Status.PROCESSING, outcome_on=None)
    assert application.outcome_on is None


def test_external_id_is_unique_in_the_database(actors):
    application = make_application(actors)
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitApplication.objects.create(
            external_id=application.external_id,
            household=application.household,
            applicant=application.applicant,
            comune=application.comune,
            measure="REI",
            submitted_on=days_ago(10),
            status=Status.PROCESSING,
        )


def test_measure_is_shown_with_its_italian_name(actors):
    application = make_application(actors, measure="RDC")
    assert "Reddito di cittadinanza" in str(application)
