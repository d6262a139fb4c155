import datetime

import pytest
from django.utils import timezone

from crocevia.desk import services
from crocevia.desk.models import Contact
from crocevia.testing import PersonFactory


@pytest.fixture
def person(actors):
    """A person registered by our organisation (the SdS), so our operators see them."""
    return PersonFactory(
        family_name="Diop",
        given_names="Ndèye",
        created_by_organisation=actors.sds,
        created_by=actors.desk_operator,
    )


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def record(actors, today):
    """record(person, **overrides) -> a contact at our desk through the service."""

    def _record(person, **overrides) -> Contact:
        kwargs = {
            "actor": actors.desk_operator,
            "person": person,
            "desk": actors.desk,
            "date": today,
            "services": ["information"],
        }
        kwargs.update(overrides)
        return services.contact_record(**kwargs)

    return _record


@pytest.fixture
def yesterday(today):
    return today - datetime.timedelta(days=1)
