import datetime

import pytest

from crocevia.audit.services import snapshot
from crocevia.testing import PersonFactory

pytestmark = pytest.mark.django_db


def test_snapshot_gives_country_fields_as_codes_and_the_rest_as_before():
    person = PersonFactory.build(
        family_name="Rossi",
        birth_date=datetime.date(1980, 1, 1),
        citizenship="tun",
        birth_country="",
    )
    values = snapshot(person, ["family_name", "birth_date", "citizenship", "birth_country"])
    assert values == {
        "family_name": "Rossi",
        "birth_date": "1980-01-01",
        "citizenship": "TN",
        "birth_country": "",
    }
