"""Tampering with the trail as someone with database access would, for the tests."""

from contextlib import contextmanager

from django.db import connection

from crocevia.audit.models import AuditEvent

TABLE = AuditEvent._meta.db_table


@contextmanager
def trigger_disabled():
    """On PostgreSQL, the append-only triggers switched off (as the table's owner can)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def sql(statement, params=()):
    """Run raw SQL on the audit table, bypassing the application and the trigger."""
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def wipe_trail():
    """Empty the audit trail, for tests that start a database afresh (a round trip).

    The application cannot: the trail is append-only. This is what a test does instead.
    """
    sql("DELETE FROM audit_auditevent")
