import datetime

import pytest
from django.core.exceptions import ValidationError

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.people import services
from crocevia.people.models import Person, Relationship

from .helpers import AWA_BIRTH, AWA_CF, person_data, register


def test_person_create_derives_search_name_and_records_who_registered(actors):
    person = register(actors.desk_operator, family_name="N'Diaye", given_names="Ndèye Fatou")
    assert person.search_name == "ndiaye ndeye fatou"
    assert person.created_by == actors.desk_operator
    assert person.created_by_organisation == actors.sds
    assert person.version == 1


def test_person_create_writes_a_change_event_with_the_new_values(actors):
    person = register(actors.desk_operator, codice_fiscale=AWA_CF)
    event = AuditEvent.objects.get(person=person, kind="change")
    assert event.action == AuditAction.PERSON_CREATE
    assert event.actor == actors.desk_operator
    assert event.changes["codice_fiscale"] == [None, AWA_CF]
    assert event.changes["birth_date"] == [None, "1990-05-17"]


def test_person_create_with_wrong_codice_fiscale_saves_nothing(actors):
    with pytest.raises(ValidationError) as info:
        register(actors.desk_operator, codice_fiscale=AWA_CF, sex="M")
    assert "codice_fiscale" in info.value.error_dict
    assert not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_person_create_reports_every_invalid_field_at_once(actors):
    with pytest.raises(ValidationError) as info:
        register(
            actors.desk_operator,
            family_name="",
            birth_date=datetime.date.today() + datetime.timedelta(days=1),
            languages=["zz"],
            citizenship="QQ",
        )
    assert {"family_name", "birth_date", "languages", "citizenship"} <= set(info.value.error_dict)


def test_stateless_citizenship_is_accepted(actors):
    assert register(actors.desk_operator, citizenship="XX").citizenship.code == "XX"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Diop", "Mohamed"), ("Diop", "Mohammed")),
        (("Diop", "Mohamed"), ("Diop", "Muhammad")),
        (("Fall", "Ndèye"), ("Fall", "Ndeye")),
        (("N'Diaye", "Awa"), ("Ndiaye", "Awa")),
        (("Diop", "Awa"), ("Awa", "Diop")),  # family and given names swapped
    ],
)
def test_transliteration_variants_with_same_birth_date_are_suspected_duplicates(
    actors, first, second
):
    existing = register(actors.desk_operator, family_name=first[0], given_names=first[1])
    with pytest.raises(services.DuplicateSuspected) as info:
        register(
            actors.desk_operator,
            confirmed_distinct=False,
            family_name=second[0],
            given_names=second[1],
        )
    assert info.value.candidates == [existing]
    assert Person.objects.count() == 1


def test_same_codice_fiscale_is_a_suspected_duplicate_whatever_the_name(actors):
    existing = register(actors.desk_operator, codice_fiscale=AWA_CF)
    found = services.find_duplicates(
        family_name="Rossi", given_names="Maria", birth_date=None, codice_fiscale=AWA_CF
    )
    assert found == [existing]


def test_same_common_name_with_different_birth_dates_is_no_duplicate(actors):
    register(actors.desk_operator, family_name="Rossi", given_names="Maria")
    other = register(
        actors.desk_operator,
        confirmed_distinct=False,
        family_name="Rossi",
        given_names="Maria",
        birth_date=datetime.date(1985, 3, 2),
    )
    assert other.pk


def test_confirmed_distinct_person_is_saved_and_the_trail_says_so(actors):
    register(actors.desk_operator)
    second = register(actors.desk_operator, confirmed_distinct=True)
    event = AuditEvent.objects.get(person=second)
    assert event.note


def test_find_duplicates_excludes_the_record_itself(actors):
    person = register(actors.desk_operator)
    assert (
        services.find_duplicates(
            family_name="Diop", given_names="Awa", birth_date=AWA_BIRTH, exclude_pk=person.pk
        )
        == []
    )


def test_person_update_records_old_and_new_values_and_bumps_version(actors):
    person = register(actors.desk_operator)
    updated = services.person_update(
        actor=actors.social_worker,
        person=person,
        data={"phone": "+39 333 1234567", "languages": ["ar"]},
        expected_version=1,
    )
    assert updated.version == 2
    assert person.phone == "+39 333 1234567"
    event = AuditEvent.objects.filter(person=person, action=AuditAction.PERSON_UPDATE).get()
    assert event.actor == actors.social_worker
    assert event.changes == {
        "phone": ["", "+39 333 1234567"],
        "languages": [["wo", "fr"], ["ar"]],
    }


def test_person_update_based_on_an_old_version_is_refused(actors):
    person = register(actors.desk_operator)
    services.person_update(
        actor=actors.desk_operator, person=person, data={"phone": "1"}, expected_version=1
    )
    with pytest.raises(services.ConflictError):
        services.person_update(
            actor=actors.social_worker, person=person, data={"phone": "2"}, expected_version=1
        )
    person.refresh_from_db()
    assert person.phone == "1"


def test_person_update_without_changes_writes_nothing(actors):
    person = register(actors.desk_operator)
    services.person_update(actor=actors.desk_operator, person=person, data={"given_names": "Awa"})
    assert person.version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_UPDATE).exists()


def test_person_update_refuses_unknown_fields(actors):
    person = register(actors.desk_operator)
    with pytest.raises(TypeError):
        services.person_update(actor=actors.desk_operator, person=person, data={"version": 9})


def test_household_lifecycle_is_audited_on_each_member(actors):
    mother = register(actors.desk_operator)
    child = register(
        actors.desk_operator, given_names="Moussa", sex="M", birth_date=datetime.date(2015, 1, 9)
    )
    household = services.household_create(actor=actors.desk_operator, reference_person=mother)
    services.household_add_member(
        actor=actors.desk_operator,
        household=household,
        person=child,
        relationship=Relationship.CHILD,
    )
    child.refresh_from_db()
    assert child.household == household
    assert child.household_relationship == Relationship.CHILD
    assert AuditEvent.objects.filter(person=child, action=AuditAction.HOUSEHOLD_ADD_MEMBER).exists()

    with pytest.raises(ValidationError):  # the reference person leaves last
        services.household_remove_member(actor=actors.desk_operator, person=mother)
    services.household_remove_member(actor=actors.desk_operator, person=child)
    child.refresh_from_db()
    assert child.household is None
    assert AuditEvent.objects.filter(
        person=child, action=AuditAction.HOUSEHOLD_REMOVE_MEMBER
    ).exists()


def test_person_cannot_join_a_second_household(actors):
    a = register(actors.desk_operator)
    b = register(actors.desk_operator, given_names="Fatou")
    services.household_create(actor=actors.desk_operator, reference_person=a)
    other = services.household_create(actor=actors.desk_operator, reference_person=b)
    with pytest.raises(ValidationError):
        services.household_add_member(
            actor=actors.desk_operator, household=other, person=a, relationship="sibling"
        )


def test_consent_cannot_be_dated_in_the_future(actors):
    person = register(actors.desk_operator)
    with pytest.raises(ValidationError) as info:
        services.consent_record(
            actor=actors.desk_operator,
            person=person,
            scope="processing",
            given_on=datetime.date.today() + datetime.timedelta(days=1),
        )
    assert "given_on" in info.value.error_dict


def test_consent_record_and_withdraw_are_audited(actors):
    person = register(actors.desk_operator)
    consent = services.consent_record(
        actor=actors.desk_operator,
        person=person,
        scope="network_sharing",
        given_on=datetime.date.today(),
    )
    assert consent.collected_by == actors.desk_operator
    services.consent_withdraw(
        actor=actors.desk_operator, consent=consent, withdrawn_on=datetime.date.today()
    )
    assert not consent.is_active
    actions = set(AuditEvent.objects.filter(person=person).values_list("action", flat=True))
    assert {AuditAction.CONSENT_CREATE, AuditAction.CONSENT_WITHDRAW} <= actions
    with pytest.raises(ValidationError):
        services.consent_withdraw(
            actor=actors.desk_operator, consent=consent, withdrawn_on=datetime.date.today()
        )


def test_person_data_keys_match_the_contract():
    assert set(person_data()) | {"external_id"} == set(services.PERSON_FIELDS)
