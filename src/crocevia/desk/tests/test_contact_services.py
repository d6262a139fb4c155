"""The services given (ContactService) repeat their contact's date and desk, so that the
monitoring report counts them without joining the contacts: every write keeps them equal."""

import datetime

import pytest
from django.db.models import Count, F

from crocevia.audit.sensitive import redact
from crocevia.desk import services
from crocevia.desk.models import Contact, ContactService
from crocevia.reporting.indicators import Scope, desk_indicators

pytestmark = pytest.mark.django_db

D = datetime.date


def out_of_step() -> list:
    """Services whose date or desk differ from their contact's (none, if kept in step)."""
    return list(
        ContactService.objects.exclude(date=F("contact__date"), desk=F("contact__desk")).values(
            "contact_id", "deskservice__code"
        )
    )


def counted_by_join(start, end, organisation=None) -> dict:
    """desk.services computed the slow way, through the contacts."""
    contacts = Contact.objects.filter(date__gte=start, date__lte=end)
    if organisation is not None:
        contacts = contacts.filter(desk__organisation=organisation)
    rows = (
        ContactService.objects.filter(contact__in=contacts)
        .values_list("deskservice__code")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def non_zero(counts: dict) -> dict:
    return {code: n for code, n in counts.items() if n}


def rows_of(contact) -> set:
    return set(
        ContactService.objects.filter(contact=contact).values_list(
            "deskservice__code", "date", "desk_id"
        )
    )


def test_recorded_services_carry_the_contacts_date_and_desk(actors, person, record):
    contact = record(person, date=D(2025, 3, 4), services=["information", "job_search"])
    assert rows_of(contact) == {
        ("information", D(2025, 3, 4), actors.desk.pk),
        ("job_search", D(2025, 3, 4), actors.desk.pk),
    }


def test_a_new_date_or_desk_moves_the_services_given_with_it(actors, person, record):
    contact = record(person, date=D(2025, 3, 4), services=["information", "job_search"])
    contact = services.contact_update(
        actor=actors.desk_operator, contact=contact, date=D(2024, 12, 30)
    )
    assert {row[1] for row in rows_of(contact)} == {D(2024, 12, 30)}
    contact = services.contact_update(
        actor=actors.desk_operator,
        contact=contact,
        desk=actors.other_desk,
        check_actor_desk=False,
    )
    assert {row[2] for row in rows_of(contact)} == {actors.other_desk.pk}
    contact = services.contact_update(
        actor=actors.desk_operator,
        contact=contact,
        date=D(2025, 1, 7),
        services=["permit_kit"],
        check_actor_desk=False,
    )
    assert rows_of(contact) == {("permit_kit", D(2025, 1, 7), actors.other_desk.pk)}
    assert out_of_step() == []


def _import_row(person, desk, day, codes, external_id="acc-1"):
    return {
        "external_id": external_id,
        "person_id": person.pk,
        "desk_id": desk.pk,
        "date": day,
        "outcome": "solved",
        "referred_to_id": None,
        "services": codes,
    }


def test_an_import_that_changes_only_the_date_or_desk_moves_the_services(actors, person):
    services.contacts_import_bulk(
        actor=actors.admin,
        rows=[_import_row(person, actors.desk, D(2025, 5, 2), ["information", "job_search"])],
    )
    contact = Contact.objects.get(external_id="acc-1")
    assert {row[1:] for row in rows_of(contact)} == {(D(2025, 5, 2), actors.desk.pk)}

    created, updated, unchanged = services.contacts_import_bulk(
        actor=actors.admin,
        rows=[_import_row(person, actors.other_desk, D(2026, 1, 9), ["job_search", "information"])],
    )
    assert (created, updated, unchanged) == (0, 1, 0)
    assert rows_of(contact) == {
        ("information", D(2026, 1, 9), actors.other_desk.pk),
        ("job_search", D(2026, 1, 9), actors.other_desk.pk),
    }
    assert out_of_step() == []


def test_the_report_counts_what_the_join_through_the_contacts_counts(actors, person, record):
    """Contacts in and out of the period and the organisation, then moved across both: the
    report's count from the services table equals the count through the contacts."""
    start, end = D(2025, 1, 1), D(2025, 12, 31)
    inside = record(person, date=D(2025, 6, 1), services=["information", "job_search"])
    record(person, date=D(2024, 6, 1), services=["information"])
    other = record(
        person,
        desk=actors.other_desk,
        date=D(2025, 6, 2),
        services=["permit_kit"],
        check_actor_desk=False,
    )
    late = record(person, date=D(2026, 1, 2), services=["job_search"])
    services.contact_update(actor=actors.desk_operator, contact=inside, date=D(2024, 12, 31))
    services.contact_update(
        actor=actors.desk_operator, contact=other, desk=actors.desk, check_actor_desk=False
    )
    services.contact_update(
        actor=actors.desk_operator, contact=late, date=D(2025, 12, 31), check_actor_desk=False
    )

    region = desk_indicators(start, end, Scope())["desk.services"]
    ours = desk_indicators(start, end, Scope(organisation=actors.sds))["desk.services"]
    theirs = desk_indicators(start, end, Scope(organisation=actors.other_org))["desk.services"]
    moved_in = {"job_search": 1, "permit_kit": 1}
    assert non_zero(region) == counted_by_join(start, end) == moved_in
    assert non_zero(ours) == counted_by_join(start, end, actors.sds) == moved_in
    assert non_zero(theirs) == counted_by_join(start, end, actors.other_org) == {}


def test_the_daily_register_counts_follow_a_contact_moved_to_another_day(
    actors, person, record, today, yesterday
):
    from crocevia.desk.selectors import daily_register

    def counts(day) -> dict:
        _contacts, rows = daily_register(actors.desk_operator, desk=actors.desk, day=day)
        return non_zero({service.code: n for service, n in rows})

    record(person, services=["information", "job_search"])
    moved = record(person, services=["information"])
    assert counts(today) == {"information": 2, "job_search": 1}
    services.contact_update(actor=actors.desk_operator, contact=moved, date=yesterday)
    assert counts(today) == {"information": 1, "job_search": 1}
    assert counts(yesterday) == {"information": 1}


@pytest.mark.parametrize(
    "external_id", ['sp-"1"', "back\\slash", "tab\tin", "Niccolò-2", "line\nend", "{x}"]
)
def test_an_imported_contact_keeps_its_key_and_its_creation_event_whatever_the_key(
    actors, person, external_id
):
    """The import writes contacts and their creation events as COPY text and JSON it
    formats itself: every character of the key survives both, and the event is the
    one contact_record would write."""
    from crocevia.audit.models import AuditEvent
    from crocevia.audit.services import diff

    row = _import_row(person, actors.desk, D(2025, 3, 4), ["job_search", "information"])
    row.update(external_id=external_id, outcome="referred", referred_to_id=actors.cpi.pk)
    assert services.contacts_import_bulk(actor=actors.admin, rows=[row]) == (1, 0, 0)
    contact = Contact.objects.get(external_id=external_id)
    assert (contact.outcome, contact.referred_to_id) == ("referred", actors.cpi.pk)
    event = AuditEvent.objects.get(object_type="desk.contact", object_id=str(contact.pk))
    listed = sorted(contact.services.all(), key=lambda s: s.code)
    assert event.changes == redact(
        "desk.contact", diff({}, services._contact_snapshot(contact, listed))
    )
    assert event.changes["external_id"] == [None, external_id]
    assert (event.actor_id, event.person_id, event.note) == (actors.admin.pk, person.pk, "import")
