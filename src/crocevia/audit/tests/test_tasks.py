"""The audit trail's jobs, run by the worker: sealing, anchoring, verifying."""

import json
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from crocevia.audit.chain import seal_pending
from crocevia.audit.models import AuditEvent
from crocevia.audit.services import audit_access
from crocevia.audit.tasks import anchor_chain, seal_chain, verify_chain
from crocevia.jobs.testing import run_jobs
from crocevia.testing import PersonFactory

from .helpers import sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return PersonFactory()


@pytest.fixture
def no_witness(settings):
    settings.CROCEVIA_AUDIT_WITNESS = None
    settings.CROCEVIA_DPO_EMAIL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def witness(settings, tmp_path):
    settings.CROCEVIA_AUDIT_WITNESS = tmp_path / "witness.jsonl"
    settings.CROCEVIA_DPO_EMAIL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings.CROCEVIA_AUDIT_WITNESS


def job_of(task) -> DBTaskResult:
    return DBTaskResult.objects.get(task_path=task.module_path)


def test_an_event_written_is_sealed_by_the_sealing_job_run_by_the_worker(actors, person):
    # No commit in this test, so no sealing after it: the event waits, as one whose
    # writer's sealing was handed over does.
    event = audit_access(actor=actors.desk_operator, instance=person, person=person)
    assert AuditEvent.objects.unsealed().filter(pk=event.pk).exists()
    seal_chain.enqueue()
    assert run_jobs() == 1
    assert job_of(seal_chain).status == "SUCCESSFUL"
    assert job_of(seal_chain).return_value == {"sealed": 1}
    assert AuditEvent.objects.get(pk=event.pk).chain_position == 1


def test_the_sealing_job_run_twice_seals_nothing_twice(actors, person):
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    seal_chain.enqueue()
    seal_chain.enqueue()
    assert run_jobs() == 2
    results = DBTaskResult.objects.values_list("return_value", flat=True)
    assert sorted(r["sealed"] for r in results) == [0, 1]


def test_the_anchor_job_writes_the_head_to_the_witness(actors, person, witness):
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    anchor_chain.enqueue()
    run_jobs()
    head = AuditEvent.objects.get()
    [line] = [json.loads(x) for x in witness.read_text().splitlines()]
    assert (line["position"], line["hash"]) == (1, head.chain_hash)
    assert job_of(anchor_chain).return_value["head"] == f"1:{head.chain_hash}"
    assert mail.outbox == []


def test_without_a_witness_the_anchor_job_skips_and_writes_no_file(
    actors, person, no_witness, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    anchor_chain.enqueue()
    run_jobs()
    assert job_of(anchor_chain).status == "SUCCESSFUL"
    assert job_of(anchor_chain).return_value == {"skipped": "no witness"}
    assert list(tmp_path.iterdir()) == []


def test_without_a_witness_the_days_anchor_is_mailed_to_the_dpo(
    actors, person, no_witness, settings
):
    settings.CROCEVIA_DPO_EMAIL = "dpo@sds-pisa.example"
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    anchor_chain.enqueue(mail=True)
    run_jobs()
    head = AuditEvent.objects.get()
    [message] = mail.outbox
    assert message.to == ["dpo@sds-pisa.example"]
    assert f"1:{head.chain_hash}" in message.body
    assert f"crocevia audit verify --anchor 1:{head.chain_hash}" in message.body


def test_the_anchor_command_without_a_witness_says_how_to_set_one(no_witness):
    with pytest.raises(CommandError, match="CROCEVIA_AUDIT_WITNESS"):
        call_command("audit", "anchor")


def test_the_verify_job_fails_on_a_broken_chain_and_logs_an_error(actors, person, witness, caplog):
    events = [
        audit_access(actor=actors.desk_operator, instance=person, person=person, note=str(i))
        for i in range(3)
    ]
    seal_pending()
    sql("UPDATE audit_auditevent SET note = 'altered' WHERE id = %s", [events[1].pk])
    verify_chain.enqueue()
    with caplog.at_level(logging.ERROR, logger="crocevia.audit.tasks"):
        run_jobs()
    job = job_of(verify_chain)
    assert job.status == "FAILED"
    assert job.exception_class_path == "crocevia.audit.anchoring.TrailTampered"
    assert f"evento {events[1].pk} in posizione 2" in job.traceback
    assert any("manomesso" in r.getMessage() for r in caplog.records)


def test_the_verify_job_passes_on_an_intact_chain(actors, person, witness):
    audit_access(actor=actors.desk_operator, instance=person, person=person)
    anchor_chain.enqueue()
    verify_chain.enqueue()
    run_jobs()
    result = job_of(verify_chain)
    assert result.status == "SUCCESSFUL"
    assert result.return_value["events"] == 1
    assert result.return_value["witness_heads_checked"] == 1
