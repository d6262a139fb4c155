"""The witness: `crocevia audit anchor` writes the head outside the database, `verify`
checks it by default, so removing the newest events is found without anyone having
written an anchor down by hand."""

import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from crocevia.audit.chain import seal_pending
from crocevia.audit.models import AuditEvent
from crocevia.audit.services import audit_access, audit_change
from crocevia.testing import PersonFactory

from .helpers import sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return PersonFactory()


@pytest.fixture
def witness(settings, tmp_path):
    settings.CROCEVIA_AUDIT_WITNESS = tmp_path / "witness" / "audit.jsonl"
    settings.CROCEVIA_DPO_EMAIL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings.CROCEVIA_AUDIT_WITNESS


def write_events(actors, person, count):
    made = []
    for i in range(count):
        if i % 2:
            made.append(audit_access(actor=actors.desk_operator, instance=person, person=person))
        else:
            made.append(
                audit_change(
                    actor=actors.social_worker,
                    action="update",
                    instance=person,
                    person=person,
                    changes={"phone": [f"05{i}", f"06{i}"]},
                )
            )
    seal_pending()
    return made


def audit(*args):
    """Run `crocevia audit ...`: (ok, stdout, stderr, message of the error if any)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue(), str(exc)
    return True, out.getvalue(), err.getvalue(), ""


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_anchor_appends_the_head_to_the_witness_file_and_verify_checks_every_line(
    actors, person, witness
):
    write_events(actors, person, 4)
    ok, output, _warnings, _error = audit("anchor")
    assert ok and str(witness) in output
    write_events(actors, person, 2)
    assert audit("anchor")[0]

    first, second = lines(witness)  # appended, the first line kept
    head = AuditEvent.objects.get(chain_position=6)
    assert (first["position"], first["hash"]) == (
        4,
        AuditEvent.objects.get(chain_position=4).chain_hash,
    )
    assert (second["position"], second["hash"], second["event_id"]) == (6, head.chain_hash, head.pk)
    assert second["anchored_at"]

    ok, output, warnings, error = audit("verify")
    assert ok, error
    assert f"Testimone {witness}: teste trovate nella catena: 2;" in output
    assert "riga 2" in output and "testimone" not in warnings.lower()


def test_verify_fails_naming_the_witness_when_the_newest_events_are_deleted_by_the_owner(
    actors, person, witness
):
    write_events(actors, person, 6)
    assert audit("anchor")[0]
    # As the table's owner can: the append-only trigger off, a plain DELETE.
    sql("DELETE FROM audit_auditevent WHERE chain_position >= 5")
    assert AuditEvent.objects.count() == 4

    ok, _output, _warnings, error = audit("verify")
    assert not ok
    assert str(witness) in error and "posizione 6" in error and "riga 1" in error
    assert "sono stati rimossi" in error

    # The option to skip the witness: the chain alone cannot tell its end was cut.
    ok, _output, warnings, _error = audit("verify", "--no-witness")
    assert ok and "--no-witness" in warnings
    # Nor does a new anchor bury the evidence.
    ok, _output, _warnings, error = audit("anchor")
    assert not ok and str(witness) in error and "posizione 6" in error
    assert len(lines(witness)) == 1


def test_verify_fails_naming_the_witness_when_witnessed_events_are_replaced(
    actors, person, witness
):
    write_events(actors, person, 6)
    assert audit("anchor")[0]
    sql("DELETE FROM audit_auditevent WHERE chain_position >= 5")
    write_events(actors, person, 2)  # sealed again at positions 5 and 6, other hashes
    assert AuditEvent.objects.filter(chain_position=6).exists()

    ok, _output, _warnings, error = audit("verify")
    assert not ok
    assert str(witness) in error and "posizione 6" in error and "riscritta" in error


def test_anchor_mails_the_head_to_the_dpo(actors, person, witness, settings):
    settings.CROCEVIA_DPO_EMAIL = "dpo@sds-pisa.example"
    write_events(actors, person, 3)
    ok, output, _warnings, _error = audit("anchor")
    assert ok and "dpo@sds-pisa.example" in output
    (message,) = mail.outbox
    head = AuditEvent.objects.get(chain_position=3)
    assert message.to == ["dpo@sds-pisa.example"]
    assert "posizione 3" in message.subject
    assert f"3:{head.chain_hash}" in message.body and str(witness) in message.body

    assert audit("anchor", "--no-mail")[0]
    assert len(mail.outbox) == 1 and len(lines(witness)) == 2


def test_anchor_of_an_empty_trail_writes_nothing_and_verify_warns_without_a_witness(witness):
    ok, output, _warnings, _error = audit("anchor")
    assert ok and "vuoto" in output
    assert not witness.exists()
    ok, _output, warnings, _error = audit("verify")
    assert ok and "crocevia audit anchor" in warnings and str(witness) in warnings


def test_a_line_of_the_witness_that_is_not_a_head_is_reported(actors, person, witness):
    write_events(actors, person, 2)
    assert audit("anchor")[0]
    with witness.open("a") as file:
        file.write('{"position": 9, "ha\n')  # cut short by a crash
    ok, _output, warnings, _error = audit("verify")
    assert ok and "righe" in warnings and ": 2." in warnings


def test_an_unusable_witness_is_an_error_naming_it(actors, person, witness, settings, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    settings.CROCEVIA_AUDIT_WITNESS = tmp_path / "a-file" / "audit.jsonl"
    write_events(actors, person, 1)
    ok, _output, _warnings, error = audit("anchor")
    assert not ok and "Impossibile leggere il testimone" in error and "a-file" in error
    ok, _output, _warnings, error = audit("verify")
    assert not ok and "Impossibile leggere il testimone" in error and "a-file" in error
