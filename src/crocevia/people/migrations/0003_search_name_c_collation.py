"""search_name in the "C" collation on PostgreSQL (SQLite compares bytes already).

The name search reads the persons whose folded name starts with the query in index
order (see `crocevia.people.selectors.search_persons`). PostgreSQL lets a b-tree serve
`LIKE 'prefix%'` only in the "C" collation, and the database default (C.UTF-8 here) is
not taken as "C" before PostgreSQL 17. search_name holds folded lower-case ASCII, so the
byte order is also the order we want. The model field does not declare the collation
(SQLite has no "C" collation): an AlterField on search_name must keep this in mind.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE people_person ALTER COLUMN search_name TYPE varchar(250) COLLATE "C"'
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE people_person ALTER COLUMN search_name TYPE varchar(250) COLLATE "default"'
    )


class Migration(migrations.Migration):
    dependencies = [("people", "0002_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
