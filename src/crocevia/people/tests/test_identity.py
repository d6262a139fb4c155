"""One person, one record (issue 16): a code identifies one person; duplicates merge."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.desk.models import Contact
from crocevia.desk.services import contact_record
from crocevia.interchange.engine import run_import, write_export
from crocevia.interchange.tests.helpers import load, write
from crocevia.people import services
from crocevia.people.duplicates import merge_problems, pair_mark_distinct, person_merge
from crocevia.people.forms import PersonForm
from crocevia.people.models import DuplicatePair, Person, PersonAlias
from crocevia.people.pairs import scan_duplicates
from crocevia.people.selectors import search_persons
from crocevia.testing import (
    PersonFactory,
    days_ago,
    give_consent,
    make_case,
    state_before_migration,
)

from .helpers import AWA_BIRTH, AWA_CF, person_data, register, with_check

# Awa's code with its last digit of the place code (position 14) as an omocodia letter.
AWA_OMOCODE = with_check(AWA_CF[:14] + "P")  # 3 -> P
PROVISIONAL = "00743110157"


def _names(persons):
    return [f"{p.family_name} {p.given_names}" for p in persons]


# --- a code identifies one person ------------------------------------------------------------


def test_a_taken_code_is_refused_even_when_confirmed_distinct(actors):
    register(actors.desk_operator, codice_fiscale=AWA_CF)
    with pytest.raises(ValidationError) as caught:
        register(actors.desk_operator, confirmed_distinct=True, codice_fiscale=AWA_CF.lower())
    [error] = caught.value.error_dict["codice_fiscale"]
    assert error.code == "cf_taken"
    assert Person.objects.count() == 1


def test_an_omocodia_variant_is_the_same_code_stored_canonical_and_found_by_either(actors):
    assert AWA_OMOCODE != AWA_CF
    awa = register(actors.desk_operator, codice_fiscale=AWA_OMOCODE)
    assert awa.codice_fiscale == AWA_CF  # canonical
    assert list(awa.aliases.values_list("kind", "value")) == [("issued_cf", AWA_OMOCODE)]
    with pytest.raises(ValidationError):
        register(actors.desk_operator, given_names="Awa Bis", codice_fiscale=AWA_CF)
    assert _names(search_persons(actors.desk_operator, AWA_CF)) == ["Diop Awa"]
    assert _names(search_persons(actors.desk_operator, AWA_OMOCODE)) == ["Diop Awa"]


def test_the_database_refuses_a_second_record_with_the_same_code(actors):
    PersonFactory(codice_fiscale=AWA_CF)
    PersonFactory(codice_fiscale="")
    PersonFactory(codice_fiscale="")  # no code: as many as needed
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(codice_fiscale=AWA_CF)


def test_a_provisional_code_stays_with_the_person_when_the_definitive_comes(actors):
    awa = register(actors.desk_operator, codice_fiscale=PROVISIONAL)
    awa = services.person_update(
        actor=actors.desk_operator,
        person=awa,
        data=person_data(codice_fiscale=AWA_CF),
        expected_version=awa.version,
    )
    assert awa.codice_fiscale == AWA_CF
    assert list(awa.aliases.values_list("kind", "value")) == [("provisional_cf", PROVISIONAL)]
    assert _names(search_persons(actors.desk_operator, PROVISIONAL)) == ["Diop Awa"]
    with pytest.raises(ValidationError) as caught:
        register(actors.desk_operator, family_name="Sow", codice_fiscale=PROVISIONAL)
    assert caught.value.error_dict["codice_fiscale"][0].code == "cf_taken"
    assert Person.objects.count() == 1


PERSONS_HEADER = "external_id,family_name,given_names,sex,birth_date,citizenship,codice_fiscale\n"


def test_every_import_refuses_a_code_of_another_person_or_repeated_in_the_file(actors, tmp_path):
    register(actors.desk_operator, codice_fiscale=AWA_CF, external_id="A1")
    taken = PERSONS_HEADER + f"X1,Diop,Awa,F,1990-05-17,SN,{AWA_OMOCODE}\n"
    report = run_import("persons", write(tmp_path, taken, "taken.csv"))
    assert [(e.line, e.column, e.code) for e in report.errors] == [
        (2, "codice_fiscale", "codice_fiscale_taken")
    ]
    twice = (
        PERSONS_HEADER
        + f"X2,Ba,Ousmane,M,1985-01-01,SN,{PROVISIONAL}\n"
        + f"X3,Ba,Oumar,M,1986-01-01,SN,{PROVISIONAL}\n"
    )
    report = run_import("persons", write(tmp_path, twice, "twice.csv"))
    assert [(e.line, e.column, e.code) for e in report.errors] == [
        (3, "codice_fiscale", "duplicate_codice_fiscale")
    ]
    assert "line 2" in report.errors[0].reason or "riga 2" in report.errors[0].reason
    assert Person.objects.count() == 1
    # The record's own code, in either form, is no conflict: the row updates it.
    own = PERSONS_HEADER + f"A1,Diop,Awa,F,1990-05-17,SN,{AWA_OMOCODE}\n"
    load(tmp_path, "persons", own)
    assert Person.objects.get().aliases.filter(kind="issued_cf", value=AWA_OMOCODE).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_duplicates_for_the_queue_instead_of_failing(actors):
    executor = MigrationExecutor(connection)
    before = state_before_migration(executor, "people", "_person_identity")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("people", "Person")

    def legacy(code, name):
        return old.objects.create(
            family_name="Diop",
            given_names=name,
            sex="F",
            birth_date=AWA_BIRTH,
            codice_fiscale=code,
            search_name=f"diop {name.lower()}",
        ).pk

    first = legacy(AWA_CF, "Awa")
    second = legacy(AWA_OMOCODE, "Awa")  # the same code, as an omocodia variant
    other = legacy("", "Fatou")
    variant = with_check("RSSMRA85T10A56N")  # one person registered twice, as a variant
    twice = legacy(variant, "Maria"), legacy(variant, "Maria")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    kept, held = Person.objects.get(pk=first), Person.objects.get(pk=second)
    assert kept.codice_fiscale == AWA_CF and held.codice_fiscale == ""
    # The held record keeps its code as it was, and the canonical form, both searchable.
    assert set(held.aliases.values_list("kind", "value")) == {
        ("held_cf", AWA_OMOCODE),
        ("held_cf", AWA_CF),
    }
    pair = DuplicatePair.objects.get(person_a=first)
    assert (pair.person_a_id, pair.person_b_id, pair.reason, pair.status) == (
        first,
        second,
        "same_code",
        "open",
    )
    assert Person.objects.get(pk=other).codice_fiscale == ""
    # The held record is found by the code too, so the desk sees both.
    assert {p.pk for p in search_persons(actors.admin, AWA_CF)} == {first, second}
    assert {p.pk for p in search_persons(actors.admin, AWA_OMOCODE)} == {first, second}
    # A variant registered twice: the first keeps it as issued, the second holds it back.
    kept_twice, held_twice = (Person.objects.get(pk=pk) for pk in twice)
    assert kept_twice.codice_fiscale_as_issued == variant
    assert held_twice.codice_fiscale == ""
    assert DuplicatePair.objects.filter(person_a=kept_twice, person_b=held_twice).exists()

    # Undone, every record has its code back as it was read.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    codes = dict(old.objects.values_list("pk", "codice_fiscale"))
    assert (codes[first], codes[second], codes[other]) == (AWA_CF, AWA_OMOCODE, "")
    assert codes[twice[0]] == codes[twice[1]] == variant
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


# --- duplicates and merge -----------------------------------------------------------------


def test_similar_names_on_the_same_birth_date_are_paired_once(actors):
    a = PersonFactory(family_name="Mohamed", given_names="Ali", birth_date=AWA_BIRTH)
    b = PersonFactory(family_name="Mohammed", given_names="Aly", birth_date=AWA_BIRTH)
    PersonFactory(family_name="Mohamed", given_names="Ali", birth_date=datetime.date(1991, 1, 1))
    PersonFactory(family_name="Rossi", given_names="Ali", birth_date=AWA_BIRTH)
    assert scan_duplicates() == 1
    pair = DuplicatePair.objects.get()
    assert (pair.person_a_id, pair.person_b_id, pair.reason) == (a.pk, b.pk, "similar_name")
    pair_mark_distinct(actor=actors.coordinator, pair=pair)
    assert scan_duplicates() == 0  # a decision is not asked again
    assert DuplicatePair.objects.get().status == "distinct"


def _contact(person, actors, day=10):
    return Contact.objects.create(
        person=person, desk=actors.desk, date=days_ago(day), operator=actors.desk_operator
    )


def test_a_merge_moves_everything_to_the_survivor_and_leaves_a_tombstone(actors, tmp_path):
    survivor = register(
        actors.desk_operator, family_name="Mohamed", given_names="Ali", sex="M",
        codice_fiscale=PROVISIONAL, external_id="REG-1",
    )  # fmt: skip
    merged = register(
        actors.desk_operator, family_name="Mohammed", given_names="Aly", sex="M",
        phone="3331234567", external_id="REG-2",
    )  # fmt: skip
    services.household_create(actor=actors.social_worker, reference_person=merged)
    _contact(survivor, actors, 20)
    contact = _contact(merged, actors, 10)
    give_consent(merged, actors.social_worker)
    case = make_case(actors, person=merged, consent=False)

    person_merge(
        actor=actors.coordinator,
        survivor=survivor,
        merged=merged,
        take_from_merged=("given_names", "phone"),
        expected_versions=(survivor.version, merged.version),
    )

    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.family_name, survivor.given_names, survivor.phone) == (
        "Mohamed",
        "Aly",
        "3331234567",
    )
    assert survivor.codice_fiscale == PROVISIONAL
    assert survivor.contacts.count() == 2 and Contact.objects.get(pk=contact.pk).person == survivor
    assert list(survivor.cases.all()) == [case]
    assert survivor.consents.count() == 1
    assert survivor.household_id is not None and merged.household_id is None
    assert merged.merged_into == survivor and merged.external_id == "REG-2"
    [event] = AuditEvent.objects.filter(action=AuditAction.PERSON_MERGE)
    assert event.person_id == survivor.pk
    assert event.changes["merged_person"] == [None, merged.pk]
    assert str(merged.pk) in event.note and str(survivor.pk) in event.note

    # The old register's id finds the survivor: in a search, and in a later import.
    assert [p.pk for p in search_persons(actors.coordinator, "REG-2")] == [survivor.pk]
    assert merged.pk not in [p.pk for p in search_persons(actors.coordinator, "mohammed")]
    persons = PERSONS_HEADER + "REG-2,Mohammed,Aly,M,1990-05-17,SN,\n"
    report = load(tmp_path, "persons", persons)
    assert (report.counts.created, report.counts.updated) == (0, 0)
    contacts = (
        "external_id,person_external_id,desk_code,date,services\n"
        f"OLD-7,REG-2,{actors.desk.code},2024-03-01,information\n"
    )
    load(tmp_path, "contacts", contacts)
    assert Contact.objects.get(external_id="OLD-7").person == survivor
    assert Person.objects.count() == 2


def test_a_merge_keeps_both_codes_searchable(actors):
    survivor = register(actors.desk_operator, codice_fiscale=AWA_CF)
    merged = register(actors.desk_operator, given_names="Awa Marie", codice_fiscale=PROVISIONAL)
    person_merge(actor=actors.admin, survivor=survivor, merged=merged)
    survivor.refresh_from_db()
    assert survivor.codice_fiscale == AWA_CF
    assert survivor.aliases.filter(kind="merged_cf", value=PROVISIONAL).exists()
    assert [p.pk for p in search_persons(actors.desk_operator, PROVISIONAL)] == [survivor.pk]
    with pytest.raises(ValidationError):
        register(actors.desk_operator, family_name="Sow", codice_fiscale=PROVISIONAL)


def test_a_merge_is_refused_with_the_reason_when_both_have_an_open_case_in_one_organisation(
    actors,
):
    survivor = register(actors.desk_operator, given_names="Awa")
    merged = register(actors.desk_operator, given_names="Awa Marie")
    make_case(actors, person=survivor)
    make_case(actors, person=merged)
    with pytest.raises(ValidationError) as caught:
        person_merge(actor=actors.coordinator, survivor=survivor, merged=merged)
    assert "SdS Zona Pisana" in caught.value.messages[0]
    merged.refresh_from_db()
    assert merged.merged_into is None and merged.cases.count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.PERSON_MERGE).exists()


def test_a_stale_merge_is_refused(actors):
    survivor = register(actors.desk_operator, given_names="Awa")
    merged = register(actors.desk_operator, given_names="Awa Marie")
    services.person_update(actor=actors.desk_operator, person=merged, data={"phone": "055123"})
    with pytest.raises(services.ConflictError):
        person_merge(
            actor=actors.coordinator,
            survivor=survivor,
            merged=merged,
            expected_versions=(1, 1),
        )


# --- search by the start of a code ----------------------------------------------------------


def test_search_by_the_first_characters_of_a_code(actors):
    register(actors.desk_operator, codice_fiscale=AWA_CF)
    register(actors.desk_operator, family_name="Sow", given_names="Fatou")
    op = actors.desk_operator
    assert _names(search_persons(op, AWA_CF[:11])) == ["Diop Awa"]  # DPIWAA90E57
    assert _names(search_persons(op, AWA_CF[:8].lower())) == ["Diop Awa"]
    assert _names(search_persons(op, AWA_OMOCODE[:15])) == ["Diop Awa"]  # omocodia letter
    assert _names(search_persons(op, AWA_CF[:6])) == ["Diop Awa"]  # six letters, no name
    assert search_persons(op, AWA_CF[:5]) == []  # too short to be a code
    assert search_persons(op, "DPIWAA91") == []


def test_a_merged_record_is_not_exported(actors, tmp_path):
    survivor = register(actors.desk_operator, external_id="REG-1")
    merged = register(actors.desk_operator, given_names="Awa Marie", external_id="REG-2")
    person_merge(actor=actors.admin, survivor=survivor, merged=merged)
    stream = io.BytesIO()
    write_export("persons", stream)
    text = stream.getvalue().decode("utf-8-sig")
    assert "REG-1" in text and "REG-2" not in text


# --- what the review of the first version found ------------------------------------------


def test_the_code_as_issued_survives_an_edit_a_reimport_and_an_export(actors, tmp_path):
    awa = register(actors.desk_operator, codice_fiscale=AWA_OMOCODE, external_id="A1")
    form = PersonForm(instance=awa)
    assert form.initial["codice_fiscale"] == AWA_OMOCODE  # as on her card
    awa = services.person_update(actor=actors.desk_operator, person=awa, data={"phone": "055 123"})
    # The form sent the canonical form back: the variant is not lost.
    services.person_update(actor=actors.desk_operator, person=awa, data={"codice_fiscale": AWA_CF})
    load(tmp_path, "persons", PERSONS_HEADER + f"A1,Diop,Awa,F,1990-05-17,SN,{AWA_CF}\n")
    awa.refresh_from_db()
    assert awa.codice_fiscale == AWA_CF and awa.codice_fiscale_as_issued == AWA_OMOCODE
    stream = io.BytesIO()
    write_export("persons", stream)
    assert AWA_OMOCODE in stream.getvalue().decode("utf-8-sig")


def test_the_earlier_provisional_code_does_not_replace_the_definitive_one(actors, tmp_path):
    awa = register(actors.desk_operator, codice_fiscale=PROVISIONAL, external_id="A1")
    awa = services.person_update(
        actor=actors.desk_operator, person=awa, data={"codice_fiscale": AWA_CF}
    )
    with pytest.raises(ValidationError) as caught:
        services.person_update(
            actor=actors.desk_operator, person=awa, data={"codice_fiscale": PROVISIONAL}
        )
    assert caught.value.error_dict["codice_fiscale"][0].code == "cf_provisional_replaced"
    # The old register still has the provisional code: the row keeps the definitive one.
    load(tmp_path, "persons", PERSONS_HEADER + f"A1,Diop,Awa,F,1990-05-17,SN,{PROVISIONAL}\n")
    awa.refresh_from_db()
    assert awa.codice_fiscale == AWA_CF


def _held_pair(actors):
    """Two records that shared a code before codes became unique (as migration 0005
    leaves them): the second holds the code back."""
    holder = register(actors.desk_operator, codice_fiscale=AWA_CF, external_id="A1")
    held = register(actors.desk_operator, given_names="Awa Marie", external_id="A2")
    PersonAlias.objects.create(person=held, kind="held_cf", value=AWA_CF)
    pair = DuplicatePair.objects.get_or_create(
        person_a=holder, person_b=held, defaults={"reason": "same_code"}
    )[0]
    DuplicatePair.objects.filter(pk=pair.pk).update(reason="same_code")
    pair.refresh_from_db()
    return holder, held, pair


def test_a_register_reloaded_after_the_upgrade_leaves_a_held_code_where_it_is(actors, tmp_path):
    holder, held, _pair = _held_pair(actors)
    register_rows = (
        PERSONS_HEADER
        + f"A1,Diop,Awa,F,1990-05-17,SN,{AWA_CF}\n"
        + f"A2,Diop,Awa Marie,F,1990-05-17,SN,{AWA_CF}\n"
    )
    report = load(tmp_path, "persons", register_rows)  # no error: the file loads
    assert report.counts.created == 0
    held.refresh_from_db()
    assert held.codice_fiscale == "" and held.aliases.filter(kind="held_cf").exists()


def test_once_the_held_code_is_corrected_the_pair_may_be_told_apart(actors):
    _holder, held, pair = _held_pair(actors)
    with pytest.raises(ValidationError):
        pair_mark_distinct(actor=actors.coordinator, pair=pair)
    services.person_update(
        actor=actors.desk_operator, person=held, data={"codice_fiscale": PROVISIONAL}
    )
    pair.refresh_from_db()
    assert pair.reason == "similar_name" and pair.status == "open"
    assert not held.aliases.filter(kind="held_cf").exists()
    pair_mark_distinct(actor=actors.coordinator, pair=pair)
    assert DuplicatePair.objects.get(pk=pair.pk).status == "distinct"


def test_the_merged_records_pairs_become_the_survivors(actors):
    survivor = register(actors.desk_operator, family_name="Ba", given_names="Oumar")
    merged = register(actors.desk_operator, family_name="Bah", given_names="Oumar")
    third = register(actors.desk_operator, family_name="Baa", given_names="Umar")
    fourth = register(actors.desk_operator, family_name="Ba", given_names="Umar Bis")
    DuplicatePair.objects.all().delete()
    DuplicatePair.objects.create(person_a=merged, person_b=third, reason="similar_name")
    DuplicatePair.objects.create(
        person_a=merged, person_b=fourth, reason="similar_name", status="distinct"
    )
    person_merge(actor=actors.coordinator, survivor=survivor, merged=merged)
    pairs = {
        (p.person_a_id, p.person_b_id): p.status
        for p in DuplicatePair.objects.exclude(status="merged")
    }
    assert pairs[(survivor.pk, third.pk)] == "open"
    assert pairs[(survivor.pk, fourth.pk)] == "distinct"
    assert not DuplicatePair.objects.filter(person_b=merged).exclude(status="merged").exists()


def test_the_bulk_import_service_itself_refuses_a_taken_code(actors):
    register(actors.desk_operator, codice_fiscale=AWA_CF, external_id="A1")
    row = {name: None for name in services.IMPORT_PERSON_FIELDS}
    row.update(
        external_id="X9",
        family_name="Diop",
        given_names="Awa",
        sex="F",
        birth_date=AWA_BIRTH,
        citizenship="SN",
        birth_country="",
        codice_fiscale=AWA_CF,
        languages=[],
        needs_mediator=False,
        permit_type="",
        household_id="",
    )
    with pytest.raises(ValidationError):
        services.persons_import_bulk(actor=None, rows=[row])
    assert Person.objects.count() == 1


def test_nothing_is_added_to_a_record_merged_in_the_meantime(actors):
    survivor = register(actors.desk_operator, given_names="Awa")
    merged = register(actors.desk_operator, given_names="Awa Marie")
    stale = Person.objects.get(pk=merged.pk)  # a page opened before the merge
    person_merge(actor=actors.coordinator, survivor=survivor, merged=merged)
    with pytest.raises(ValidationError) as caught:
        contact_record(
            actor=actors.desk_operator,
            person=stale,
            desk=actors.desk,
            date=days_ago(1),
            services=["information"],
            check_actor_desk=False,  # as an import: only the lock stands in the way
        )
    assert caught.value.code == "merged"
    with pytest.raises(ValidationError):
        services.consent_record(
            actor=actors.desk_operator, person=stale, scope="processing", given_on=days_ago(1)
        )
    assert not Contact.objects.filter(person=stale).exists()


def test_a_refusal_names_only_the_organisations_the_reader_knows(actors):
    survivor = register(actors.desk_operator, given_names="Awa")
    merged = register(actors.desk_operator, given_names="Awa Marie")
    make_case(actors, person=survivor)
    make_case(actors, person=merged)
    with translation.override("it"):
        assert "SdS Zona Pisana" in merge_problems(survivor, merged, user=actors.coordinator)[0]
        [problem] = merge_problems(survivor, merged, user=actors.outsider)
    assert "SdS Zona Pisana" not in problem and "presso un altro ente" in problem
