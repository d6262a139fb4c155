"""Contact.services gets its own through model, ContactService, on the same table, with the
contact's date and desk repeated on each row (the monitoring report counts services from
this table alone; see desk/models.py).

1. State only: the auto-created through table becomes the ContactService model (same table,
   same columns, same unique pair), and Contact.services names it.
2. The date and desk columns are added, filled from the contact, then made required.
3. The index on each foreign key goes (the unique pair leads with the contact; nobody looks
   up by service alone) and the report's (desk, date, service) index comes.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL_POSTGRESQL = """
UPDATE desk_contact_services AS cs SET date = c.date, desk_id = c.desk_id
FROM desk_contact AS c WHERE c.id = cs.contact_id
"""
FILL_PORTABLE = """
UPDATE desk_contact_services SET
    date = (SELECT c.date FROM desk_contact AS c WHERE c.id = contact_id),
    desk_id = (SELECT c.desk_id FROM desk_contact AS c WHERE c.id = contact_id)
"""


def fill(apps, schema_editor):
    sql = FILL_POSTGRESQL if schema_editor.connection.vendor == "postgresql" else FILL_PORTABLE
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0006_contact_contact_date_report_idx"),
        ("network", "0002_agreements"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ContactService",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "contact",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="desk.contact",
                            ),
                        ),
                        (
                            "deskservice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="desk.deskservice",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "service given",
                        "verbose_name_plural": "services given",
                        "db_table": "desk_contact_services",
                        "unique_together": {("contact", "deskservice")},
                    },
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="services",
                    field=models.ManyToManyField(
                        related_name="contacts",
                        through="desk.ContactService",
                        to="desk.deskservice",
                        verbose_name="services given",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="contactservice",
            name="date",
            field=models.DateField(null=True, verbose_name="date"),
        ),
        migrations.AddField(
            model_name="contactservice",
            name="desk",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="network.desk",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="contactservice",
            name="date",
            field=models.DateField(verbose_name="date"),
        ),
        migrations.AlterField(
            model_name="contactservice",
            name="desk",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="network.desk",
            ),
        ),
        migrations.AlterField(
            model_name="contactservice",
            name="contact",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                to="desk.contact",
            ),
        ),
        migrations.AlterField(
            model_name="contactservice",
            name="deskservice",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                to="desk.deskservice",
            ),
        ),
        migrations.AddIndex(
            model_name="contactservice",
            index=models.Index(
                fields=["desk", "date", "deskservice"], name="contact_service_report_idx"
            ),
        ),
    ]
