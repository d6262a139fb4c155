"""Sensitive fields (health first): the trail records that they changed, never their values.

On every path that writes change events: the services (audit_change, AuditEvent.save and
bulk_create) and the imports (change_event_rows, COPY lines on PostgreSQL).
"""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from crocevia.assessments.models import Intake
from crocevia.audit.actions import AuditAction
from crocevia.audit.bulk import (
    CHANGE_EVENT_COLUMNS,
    change_event_line,
    change_event_rows,
    insert_change_events,
)
from crocevia.audit.chain import seal_pending, verify_chain
from crocevia.audit.models import AuditEvent
from crocevia.audit.sensitive import SENSITIVE_CHANGE, sensitive_fields
from crocevia.audit.services import audit_change, creation_changes, diff, snapshot
from crocevia.cases.models import NeedClass, Stage
from crocevia.core.bulkdb import BackgroundInserts
from crocevia.interchange.tests.helpers import load
from crocevia.people.models import Person
from crocevia.testing import make_case

from .helpers import sql

pytestmark = pytest.mark.django_db

HEALTH = "Diabete di tipo 2, in cura presso il medico di base."
NETWORK = (
    "zone_code,zone_name,comune_istat,comune_name,province,population\n"
    "ZPI,Zona Pisana,050026,Pisa,PI,90118\n"
)
# Free text that is not about a person: organisations, programmes, the trail, imports.
NOT_ABOUT_PERSONS = {
    "network.desk.opening_hours",
    "network.agreement.renewal_terms",
    "network.agreement.notes",
    "audit.auditevent.note",
    "interchange.importjob.file_error",
    "interchange.importjob.message",
    "programmes.programme.description",
    "programmes.expenditure.over_budget_justification",
    # Why an intervention goes over its budget action: the programme's money, as above.
    "interventions.intervention.over_budget_justification",
    # The mail server's answer to a notification's e-mail (which carries no names).
    "notifications.notification.email_error",
    # Why a file prepared for download failed: the producer's refusal or a generic message.
    "downloads.preparedfile.error",
}


def all_text(event: AuditEvent) -> str:
    """Everything an event holds, as text."""
    return json.dumps(
        [event.changes, event.note, event.action, event.object_type, event.object_id],
        ensure_ascii=False,
    )


def test_every_free_text_field_about_a_person_is_declared_sensitive():
    """A new notes field on any model is either declared or listed here as not personal."""
    undeclared = []
    for model in apps.get_models():
        if not model.__module__.startswith("crocevia."):
            continue
        label = model._meta.label_lower
        for field in model._meta.concrete_fields:
            free_text = isinstance(field, models.TextField) or (
                isinstance(field, models.CharField) and "note" in field.name
            )
            name = f"{label}.{field.name}"
            declared = field.name in sensitive_fields(label)
            if free_text and name not in NOT_ABOUT_PERSONS and not declared:
                undeclared.append(name)
    assert undeclared == []
    assert "health_declared" in sensitive_fields("assessments.intake")
    assert "permit_type" in sensitive_fields("people.person")


# --- the services' path ---------------------------------------------------------------------


def test_the_intakes_health_notes_are_recorded_as_changed_never_copied(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    intake = Intake.objects.get(case=case)
    assert intake.health_declared == "Diabete di tipo 2"

    event = AuditEvent.objects.get(object_type="assessments.intake", object_id=str(intake.pk))
    assert event.changes["health_declared"] == SENSITIVE_CHANGE
    assert event.changes["work_history"] == SENSITIVE_CHANGE
    assert event.changes["need_class"] == [None, NeedClass.WORK]  # coded values stay
    assert "Diabete" not in all_text(AuditEvent.objects.get(pk=event.pk))


def test_a_service_area_that_reveals_disability_is_recorded_as_changed_never_copied(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK, area="disability")
    assert case.area == "disability"
    event = AuditEvent.objects.get(
        object_type="cases.case",
        object_id=str(case.pk),
        action=AuditAction.CASE_TRANSITION,
        changes__stage__1="preassessed",
    )
    assert event.changes["area"] == SENSITIVE_CHANGE
    assert event.changes["need_class"] == [None, NeedClass.WORK]
    assert "disability" not in all_text(event)


def test_a_change_of_a_sensitive_field_says_it_changed_on_both_writers(actors):
    """audit_change (one event) and bulk_create (many) leave the values out alike."""
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    intake = Intake.objects.get(case=case)
    before = snapshot(intake, ["health_declared", "housing"])
    intake.health_declared = HEALTH
    changes = diff(before, snapshot(intake, ["health_declared", "housing"]))
    assert changes == {"health_declared": ["Diabete di tipo 2", HEALTH]}
    one = audit_change(
        actor=actors.social_worker,
        action=AuditAction.INTAKE_UPDATE,
        instance=intake,
        changes=changes,
        person=case.person,
    )
    many = AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                kind=AuditEvent.Kind.CHANGE,
                action=AuditAction.INTAKE_CREATE,
                object_type="assessments.intake",
                object_id=str(intake.pk),
                changes=creation_changes(snapshot(intake, ["health_declared", "housing"])),
            )
        ]
    )
    for event in AuditEvent.objects.filter(pk__in=[one.pk, many[0].pk]):
        assert event.changes["health_declared"] == SENSITIVE_CHANGE
        assert "Diabete" not in all_text(event)
    assert AuditEvent.objects.get(pk=many[0].pk).changes["housing"] == [None, ""]


# --- the imports' path (COPY lines on PostgreSQL) -------------------------------------------


def test_an_import_records_a_medical_treatment_permit_as_changed_never_its_value(tmp_path, actors):
    load(tmp_path, "territory", NETWORK)
    persons = (
        "external_id,family_name,given_names,sex,birth_date,citizenship,comune_istat,"
        "permit_type\n"
        "P9,Okafor,Grace,F,1990-05-01,NG,050026,health\n"
    )
    load(tmp_path, "persons", persons)
    person = Person.objects.get(external_id="P9")
    assert person.permit_type == "health"
    event = AuditEvent.objects.get(object_type="people.person", object_id=str(person.pk))
    assert event.changes["permit_type"] == SENSITIVE_CHANGE
    assert event.changes["family_name"] == [None, "Okafor"]

    load(tmp_path, "persons", persons.replace(",health", ",work"))
    update = AuditEvent.objects.filter(
        object_type="people.person", action=AuditAction.PERSON_UPDATE
    ).get()
    assert update.changes == {"permit_type": SENSITIVE_CHANGE}


def test_insert_change_events_leaves_sensitive_values_out(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    intake = Intake.objects.get(case=case)
    insert_change_events(
        "assessments.intake",
        actors.admin,
        [
            (
                AuditAction.INTAKE_UPDATE,
                intake.pk,
                {"health_declared": ["", HEALTH], "housing": ["", "rented"]},
                case.person_id,
            )
        ],
    )
    event = AuditEvent.objects.get(
        object_type="assessments.intake", action=AuditAction.INTAKE_UPDATE
    )
    assert event.changes == {"health_declared": SENSITIVE_CHANGE, "housing": ["", "rented"]}
    assert "Diabete" not in all_text(event)


def test_change_events_given_as_json_text_leave_sensitive_values_out(actors):
    """The contacts' import writes its events' changes as JSON text of its own."""
    text = json.dumps({"notes": [None, HEALTH], "outcome": [None, "solved"]})
    already = '{"notes": {"changed": true}, "outcome": [null, "solved"]}'
    rows = change_event_rows(
        "desk.contact",
        actors.admin,
        [
            (AuditAction.CONTACT_CREATE, 1, text, None),
            (AuditAction.CONTACT_CREATE, 2, already, None),
        ],
    )
    inserts = BackgroundInserts()
    inserts.add(AuditEvent, CHANGE_EVENT_COLUMNS, rows, line=change_event_line, json_text=True)
    inserts.send()
    inserts.wait()
    for event in AuditEvent.objects.filter(object_type="desk.contact"):
        assert event.changes == {"notes": SENSITIVE_CHANGE, "outcome": [None, "solved"]}


# --- the demo -------------------------------------------------------------------------------


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_no_health_value_of_the_demo_appears_in_any_audit_event(fast_hashing):
    call_command("demo", "--persons", "120", "--cases", "40", stdout=StringIO())
    values = set()
    for model in apps.get_models():
        label = model._meta.label_lower
        fields = {f.name: f for f in model._meta.concrete_fields}
        for name in sensitive_fields(label):
            field = fields.get(name)  # None: a key of the changes, not a field
            text = isinstance(field, models.TextField | models.CharField)
            if text and not field.choices:
                values.update(v for v in model.objects.values_list(name, flat=True).distinct() if v)
    health = set(
        Intake.objects.exclude(health_declared="").values_list("health_declared", flat=True)
    )
    assert health and health <= values  # the demo has health notes: the test can fail
    assert Person.objects.filter(permit_type="health").exists()

    trail = [all_text(event) for event in AuditEvent.objects.all()]
    assert len(trail) > 1000
    found = sorted({v for v in values for text in trail if v in text})
    assert found == []
    permits = AuditEvent.objects.filter(
        object_type="people.person", action=AuditAction.PERSON_CREATE
    )
    assert all(e.changes.get("permit_type") == SENSITIVE_CHANGE for e in permits)


# --- events written before: sealed evidence, not shown ---------------------------------------


def test_events_written_before_keep_their_seal_but_show_no_sensitive_value(actors, login):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    intake = Intake.objects.get(case=case)
    # An event as the trail held them before this fix, written past the application.
    changes = json.dumps({"health_declared": [None, HEALTH], "skills": [None, "Patente B"]})
    sql(
        "INSERT INTO audit_auditevent (at, kind, action, actor_organisations, object_type, "
        "object_id, person_id, changes, note) VALUES (CURRENT_TIMESTAMP, 'change', 'create', "
        "'', 'assessments.intake', %s, %s, %s, '')",
        [str(intake.pk), case.person_id, changes],
    )
    seal_pending()
    old = AuditEvent.objects.get(changes__health_declared__1=HEALTH)
    assert verify_chain().ok  # the stored values stay: rewriting them would break the seal

    client = login(actors.admin)
    page = client.get(f"/admin/audit/auditevent/{old.pk}/change/")
    assert page.status_code == 200
    assert "changed" in page.content.decode()
    assert "Diabete" not in page.content.decode() and "Patente" not in page.content.decode()
    report = client.get(f"/persone/{case.person_id}/registro-accessi/")
    assert report.status_code == 200
    assert "Diabete" not in report.content.decode()
