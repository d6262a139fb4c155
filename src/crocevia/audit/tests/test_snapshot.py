import datetime

import pytest

from crocevia.audit.services import snapshot
from crocevia.people.models import Person

pytestmark = pytest.mark.django_db


def _person(**countries):
    return Person(
        family_name="Rossi",
        given_names="Anna",
        sex="F",
        birth_date=datetime.date(1980, 1, 1),
        **countries,
    )


def test_snapshot_gives_country_fields_as_codes_and_the_rest_as_before():
    person = _person(citizenship="tun", birth_country="")
    values = snapshot(person, ["family_name", "birth_date", "citizenship", "birth_country"])
    assert values == {
        "family_name": "Rossi",
        "birth_date": "1980-01-01",
        "citizenship": "TN",
        "birth_country": "",
    }
