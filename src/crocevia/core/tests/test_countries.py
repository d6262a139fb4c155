"""core.countries: a country field's code, read without building a Country."""

import datetime

import pytest

from crocevia.core.countries import country_code
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


@pytest.mark.parametrize("stored", ["IT", "", "MA", "XX", "ita", "ma", "380", "it"])
def test_country_code_is_the_countrys_code_whatever_is_stored(stored):
    person = _person(citizenship=stored, birth_country=stored)
    assert country_code(person, "citizenship") == person.citizenship.code
    assert country_code(person, "birth_country") == person.birth_country.code


def test_alpha3_numeric_and_lower_case_codes_are_normalised_as_the_country_does():
    person = _person(citizenship="ita", birth_country="504")
    assert country_code(person, "citizenship") == "IT"
    assert country_code(person, "birth_country") == "MA"


def test_deferred_country_field_is_read_from_the_database():
    person = _person(citizenship="SN", birth_country="SN")
    person.save()
    deferred = Person.objects.only("id").get(pk=person.pk)
    assert "citizenship" not in deferred.__dict__
    assert country_code(deferred, "citizenship") == "SN"
