"""PostgreSQL: triggers refuse any UPDATE or DELETE of an audit event.

The one update let through is the sealing (crocevia.audit.chain): it sets the three
chain columns, all empty until then, and names no other column. The checks are in the
triggers' column lists and WHEN clauses, evaluated without calling a function, so the
sealing of 200,000 events pays nothing for them. A column added to the table later
must be added to EVENT_COLUMNS (a test compares this list with the model).

TRUNCATE fires no row trigger: it needs the table owner's rights, like disabling the
triggers, and is left to the database administrator (and to the test suite's flush);
the hash chain and its anchors are what detect it.

SQLite (development, demos) gets no trigger: its flush deletes rows, and the model and
queryset already refuse updates and deletes.
"""

from django.db import migrations

EVENT_COLUMNS = [
    "id", "at", "kind", "action", "actor_id", "actor_organisations", "object_type",
    "object_id", "person_id", "changes", "note",
]  # fmt: skip

FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_event_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_event_no_delete
    BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse();
CREATE TRIGGER audit_event_no_update
    BEFORE UPDATE OF {", ".join(EVENT_COLUMNS)} ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse();
CREATE TRIGGER audit_event_seal_once
    BEFORE UPDATE OF chain_position, chain_prev, chain_hash ON audit_auditevent
    FOR EACH ROW
    WHEN (OLD.chain_position IS NOT NULL OR OLD.chain_prev IS NOT NULL
          OR OLD.chain_hash IS NOT NULL OR NEW.chain_position IS NULL
          OR NEW.chain_prev IS NULL OR NEW.chain_hash IS NULL)
    EXECUTE FUNCTION audit_event_refuse();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_seal_once ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_refuse();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
