"""Meeting and MeetingItem move from `cases` to `meetings` (issue 17): in the state only.

The tables stay as they are, named as before (cases_meeting, cases_meetingitem and the
attendees' cases_meeting_attendees), with their rows: nothing is written to the
database. plans 0003 points Action.from_meeting at the moved model, then cases 0005
drops the old models from the state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0004_meeting_items_per_case"),
        ("network", "0002_agreements"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Meeting",
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
                            "kind",
                            models.CharField(
                                choices=[
                                    ("team", "Team meeting"),
                                    ("coordination", "Coordination group"),
                                    ("steering", "Steering committee"),
                                ],
                                max_length=20,
                                verbose_name="kind",
                            ),
                        ),
                        ("held_on", models.DateField(verbose_name="date")),
                        ("notes", models.TextField(blank=True, verbose_name="general notes")),
                        (
                            "restricted_minutes",
                            models.TextField(
                                blank=True, verbose_name="earlier minutes (restricted)"
                            ),
                        ),
                        (
                            "restricted_decisions",
                            models.TextField(
                                blank=True, verbose_name="earlier decisions (restricted)"
                            ),
                        ),
                        ("version", models.PositiveIntegerField(default=1, editable=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "attendees",
                            models.ManyToManyField(
                                related_name="meetings",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="attendees",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "zone",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="meetings",
                                to="network.zone",
                                verbose_name="zone",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "meeting",
                        "verbose_name_plural": "meetings",
                        "db_table": "cases_meeting",
                        "ordering": ["-held_on", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="MeetingItem",
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
                        ("minutes", models.TextField(blank=True, verbose_name="minutes")),
                        ("decisions", models.TextField(blank=True, verbose_name="decisions")),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="meeting_items",
                                to="cases.case",
                            ),
                        ),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="meetings.meeting",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "case discussed at a meeting",
                        "verbose_name_plural": "cases discussed at meetings",
                        "db_table": "cases_meetingitem",
                        "ordering": ["case_id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("meeting", "case"), name="meeting_item_unique_case"
                            )
                        ],
                    },
                ),
                migrations.AddField(
                    model_name="meeting",
                    name="cases",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="meetings",
                        through="meetings.MeetingItem",
                        to="cases.case",
                        verbose_name="cases discussed",
                    ),
                ),
            ],
        ),
    ]
