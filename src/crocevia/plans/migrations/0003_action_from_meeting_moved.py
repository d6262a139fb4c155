"""Action.from_meeting points at meetings.Meeting, the model moved from `cases` (issue 17):
in the state only, the foreign key's table (cases_meeting) is the same."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_initial"),
        ("plans", "0002_action_from_meeting"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="action",
                    name="from_meeting",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="plan_actions",
                        to="meetings.meeting",
                        verbose_name="from the meeting",
                    ),
                ),
            ],
        ),
    ]
