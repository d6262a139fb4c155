import datetime

import pytest
from django.core.exceptions import ValidationError

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.desk import services
from crocevia.desk.models import Contact, DeskService, LanguageNeed, Referral
from crocevia.people.models import Consent
from crocevia.testing import PersonFactory

pytestmark = pytest.mark.django_db


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


def test_recording_a_contact_with_two_services_stores_them_and_audits(actors, person, today):
    contact = services.contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=today,
        services=["permit_kit", DeskService.objects.get(code="job_search")],
        notes="  Rinnovo permesso  ",
    )
    contact.refresh_from_db()
    assert sorted(contact.services.values_list("code", flat=True)) == ["job_search", "permit_kit"]
    assert contact.outcome == Contact.Outcome.SOLVED
    assert contact.operator == actors.desk_operator
    assert contact.notes == "Rinnovo permesso"
    event = AuditEvent.objects.get(object_type="desk.contact", object_id=str(contact.pk))
    assert event.action == AuditAction.CONTACT_CREATE
    assert event.person == person
    assert event.actor == actors.desk_operator
    assert event.changes["services"] == [None, ["job_search", "permit_kit"]]
    assert event.changes["desk"] == [None, actors.desk.pk]


def test_recording_a_referral_keeps_the_receiving_organisation(actors, person, today):
    contact = services.contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=today,
        services=["referral_public_services"],
        outcome="referred",
        referred_to=actors.cpi,
        consent_now=True,
    )
    assert contact.referred_to == actors.cpi
    # The desk outcome is a referral, in the CPI's inbox (issue 18).
    referral = Referral.objects.get(contact=contact)
    assert (referral.origin, referral.state, referral.to_organisation) == (
        "desk",
        "sent",
        actors.cpi,
    )
    assert (referral.from_organisation, referral.sent_on) == (actors.sds, today)
    assert referral.sharing_basis == "consent"
    assert Consent.objects.filter(person=person, scope="network_sharing").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"date": "future"}, "date"),
        ({"date": datetime.date(1999, 12, 31)}, "date"),
        ({"services": []}, "services"),
        ({"services": ["no_such_service"]}, "services"),
        ({"outcome": "referred"}, "referred_to"),
        ({"outcome": "solved", "referred_to": "cpi"}, "referred_to"),
        ({"outcome": "lost"}, "outcome"),
        ({"desk": "other_desk"}, "desk"),
        ({"language_need": {"italian_level": "Z9"}}, "italian_level"),
        (
            {"language_need": {"italian_level": "A2", "needs_job_italian": True}},
            "work_sector",
        ),
    ],
)
def test_invalid_contact_is_refused_with_the_field_named_and_nothing_written(
    actors, person, today, overrides, field
):
    kwargs = {
        "actor": actors.desk_operator,
        "person": person,
        "desk": actors.desk,
        "date": today,
        "services": ["information"],
    }
    resolved = dict(overrides)
    if resolved.get("date") == "future":
        resolved["date"] = today + datetime.timedelta(days=1)
    if resolved.get("referred_to") == "cpi":
        resolved["referred_to"] = actors.cpi
    if resolved.get("desk") == "other_desk":
        resolved["desk"] = actors.other_desk
    kwargs.update(resolved)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_record(**kwargs)
    assert field in error_fields(excinfo)
    assert Contact.objects.count() == 0
    assert LanguageNeed.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_unknown_and_retired_service_codes_are_named_in_the_message(actors, person, today):
    DeskService.objects.filter(code="appeal").update(active=False)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_record(
            actor=actors.desk_operator,
            person=person,
            desk=actors.desk,
            date=today,
            services=["appeal", "made_up"],
        )
    messages = " ".join(excinfo.value.message_dict["services"])
    assert "appeal" in messages
    assert "made_up" in messages


def test_operator_cannot_record_a_contact_for_a_person_they_cannot_see(actors, today):
    stranger = PersonFactory(created_by_organisation=actors.other_org, created_by=actors.outsider)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_record(
            actor=actors.desk_operator,
            person=stranger,
            desk=actors.desk,
            date=today,
            services=["information"],
        )
    assert "person" in error_fields(excinfo)
    assert not Contact.objects.exists()


def test_import_may_record_at_any_desk_without_the_actor_check(actors, person, today):
    contact = services.contact_record(
        actor=actors.outsider,
        person=person,
        desk=actors.desk,
        date=today,
        services=["information"],
        external_id="IMP-1",
        check_actor_desk=False,
    )
    assert contact.external_id == "IMP-1"


def test_administrator_may_record_at_any_desk(actors, person, today):
    contact = services.contact_record(
        actor=actors.admin,
        person=person,
        desk=actors.other_desk,
        date=today,
        services=["information"],
    )
    assert contact.desk == actors.other_desk


def test_duplicate_external_id_is_a_field_error(actors, person, today, record):
    record(person, external_id="X-1")
    with pytest.raises(ValidationError) as excinfo:
        record(person, external_id="X-1")
    assert "external_id" in error_fields(excinfo)
    assert Contact.objects.count() == 1


def test_language_need_given_with_the_contact_is_linked_to_it(actors, person, today, record):
    contact = record(
        person,
        language_need={"italian_level": "A1", "needs_job_italian": True, "work_sector": "care"},
    )
    need = LanguageNeed.objects.get()
    assert need.contact == contact
    assert need.person == person
    assert need.recorded_on == today
    assert need.recorded_by == actors.desk_operator
    assert (need.italian_level, need.needs_job_italian, need.work_sector) == ("A1", True, "care")
    assert AuditEvent.objects.filter(object_type="desk.languageneed", person=person).exists()


def test_language_need_can_be_recorded_on_its_own(actors, person, today):
    need = services.language_need_record(
        actor=actors.desk_operator, person=person, recorded_on=today, italian_level="none"
    )
    assert need.contact is None


def test_language_need_for_an_invisible_person_is_refused(actors, today):
    stranger = PersonFactory(created_by_organisation=actors.other_org)
    with pytest.raises(ValidationError):
        services.language_need_record(
            actor=actors.desk_operator, person=stranger, recorded_on=today, italian_level="B1"
        )


def test_editing_a_contact_audits_old_and_new_values_including_services(
    actors, person, today, yesterday, record
):
    contact = record(person, services=["information", "permit_kit"])
    services.contact_update(
        actor=actors.desk_operator,
        contact=contact,
        date=yesterday,
        services=["information", "job_search"],
        outcome="referred",
        referred_to=actors.cpi,
        expected_version=1,
        consent_now=True,
    )
    contact.refresh_from_db()
    assert contact.version == 2
    assert contact.date == yesterday
    assert sorted(contact.services.values_list("code", flat=True)) == ["information", "job_search"]
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_UPDATE, object_type="desk.contact")
    assert event.person == person
    assert event.changes["date"] == [today.isoformat(), yesterday.isoformat()]
    assert event.changes["services"] == [
        ["information", "permit_kit"],
        ["information", "job_search"],
    ]
    assert event.changes["outcome"] == ["solved", "referred"]
    assert event.changes["referred_to"] == [None, actors.cpi.pk]
    assert "notes" not in event.changes


def test_editing_with_no_change_writes_no_event(actors, person, record):
    contact = record(person)
    services.contact_update(actor=actors.desk_operator, contact=contact, notes="")
    assert not AuditEvent.objects.filter(action=AuditAction.CONTACT_UPDATE).exists()
    contact.refresh_from_db()
    assert contact.version == 1


def test_edit_based_on_an_old_version_is_refused(actors, person, record):
    contact = record(person)
    services.contact_update(actor=actors.desk_operator, contact=contact, notes="prima")
    with pytest.raises(services.ConflictError):
        services.contact_update(
            actor=actors.desk_operator, contact=contact, notes="seconda", expected_version=1
        )
    contact.refresh_from_db()
    assert contact.notes == "prima"


def test_a_retired_service_may_stay_on_an_edited_contact(actors, person, record):
    contact = record(person, services=["appeal"])
    DeskService.objects.filter(code="appeal").update(active=False)
    services.contact_update(
        actor=actors.desk_operator, contact=contact, services=["appeal"], notes="ok"
    )
    contact.refresh_from_db()
    assert contact.notes == "ok"
    assert list(contact.services.values_list("code", flat=True)) == ["appeal"]
    # Another retired service cannot be added.
    DeskService.objects.filter(code="language_test").update(active=False)
    with pytest.raises(ValidationError):
        services.contact_update(
            actor=actors.desk_operator, contact=contact, services=["language_test"]
        )


def test_operator_cannot_edit_a_contact_at_a_desk_not_theirs(actors, person, record):
    contact = record(person)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_update(actor=actors.outsider, contact=contact, notes="x")
    assert "desk" in error_fields(excinfo)


def test_edit_can_update_and_remove_the_language_need(actors, person, record):
    contact = record(person, language_need={"italian_level": "A1"})
    services.contact_update(
        actor=actors.desk_operator, contact=contact, language_need={"italian_level": "A2"}
    )
    assert LanguageNeed.objects.get().italian_level == "A2"
    event = AuditEvent.objects.get(
        action=AuditAction.LANGUAGE_NEED_UPDATE, object_type="desk.languageneed"
    )
    assert event.changes["italian_level"] == ["A1", "A2"]
    services.contact_update(actor=actors.desk_operator, contact=contact, language_need=None)
    assert not LanguageNeed.objects.exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.LANGUAGE_NEED_DELETE, object_type="desk.languageneed"
    ).exists()
