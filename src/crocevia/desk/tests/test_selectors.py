import pytest

from crocevia.desk import selectors, services
from crocevia.testing import DeskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpi_contact(actors, person, today):
    """A contact at a desk of the CPI, another organisation of our zone."""
    cpi_desk = DeskFactory(organisation=actors.cpi, comune=actors.pisa)
    return services.contact_record(
        actor=actors.admin, person=person, desk=cpi_desk, date=today, services=["job_search"]
    )


def test_operator_sees_contacts_at_desks_of_their_organisation_only(
    actors, person, record, cpi_contact
):
    ours = record(person)
    assert list(selectors.contacts_for_person(actors.desk_operator, person)) == [ours]
    assert list(selectors.contacts_for_person(actors.cpi_consultant, person)) == [cpi_contact]


def test_zone_coordinator_sees_contacts_at_every_desk_of_the_zone(
    actors, person, record, cpi_contact
):
    ours = record(person)
    seen = set(selectors.contacts_for_person(actors.coordinator, person))
    assert seen == {ours, cpi_contact}


def test_outsider_and_monitoring_officer_see_no_contact(actors, person, record):
    record(person)
    assert not selectors.contacts_for_person(actors.outsider, person).exists()
    assert not selectors.contacts_for_person(actors.monitoring_officer, person).exists()
    assert not selectors.desks_for_register(actors.monitoring_officer).exists()


def test_administrator_sees_every_contact_and_desk(actors, person, record, cpi_contact):
    record(person)
    assert selectors.contacts_for_person(actors.admin, person).count() == 2
    assert actors.other_desk in selectors.desks_for_register(actors.admin)


def test_register_counts_include_a_retired_service_given_that_day(actors, person, record, today):
    from crocevia.desk.models import DeskService

    record(person, services=["appeal"])
    DeskService.objects.filter(code="appeal").update(active=False)
    DeskService.objects.filter(code="other").update(active=False)
    _contacts, counts = selectors.daily_register(actors.desk_operator, desk=actors.desk, day=today)
    codes = {s.code: n for s, n in counts}
    assert codes["appeal"] == 1
    assert "other" not in codes
