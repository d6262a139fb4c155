"""Meeting minutes per case (issue 15, item 1) and the meeting's version (item 12).

What a meeting says about a person becomes case data: one MeetingItem per case discussed,
with its own minutes and decisions, shown only to who may see that case; the meeting
keeps general `notes` (never about a person).

The free text written before (`minutes`, `decisions`) may name people. It is moved
without widening who reads it:
- a meeting that discussed exactly one case: the text is about that case (or about no
  one); it becomes that case's item, read by who may see the case;
- a meeting that discussed several cases, or none: the text cannot be split safely (one
  line may name two people), so it stays on the meeting as `restricted_minutes` and
  `restricted_decisions`, read only by who may change the meeting (its author, a
  coordinator of its zone, an administrator) and see every case it discussed, until one
  of them moves each part beside its case.
Going back merges the items' text into the meeting's text again, prefixed by the case.
"""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    Meeting = apps.get_model("cases", "Meeting")
    MeetingItem = apps.get_model("cases", "MeetingItem")
    Through = Meeting.cases.through
    by_meeting: dict[int, list[int]] = {}
    for meeting_id, case_id in Through.objects.values_list("meeting_id", "case_id"):
        by_meeting.setdefault(meeting_id, []).append(case_id)
    items = []
    single = []
    for meeting in Meeting.objects.filter(pk__in=by_meeting).only(
        "pk", "restricted_minutes", "restricted_decisions"
    ):
        case_ids = sorted(by_meeting[meeting.pk])
        if len(case_ids) == 1:
            items.append(
                MeetingItem(
                    meeting_id=meeting.pk,
                    case_id=case_ids[0],
                    minutes=meeting.restricted_minutes,
                    decisions=meeting.restricted_decisions,
                )
            )
            single.append(meeting.pk)
        else:
            items.extend(MeetingItem(meeting_id=meeting.pk, case_id=c) for c in case_ids)
    MeetingItem.objects.bulk_create(items, batch_size=1000)
    Meeting.objects.filter(pk__in=single).update(restricted_minutes="", restricted_decisions="")


def backwards(apps, schema_editor):
    Meeting = apps.get_model("cases", "Meeting")
    MeetingItem = apps.get_model("cases", "MeetingItem")
    Through = Meeting.cases.through
    Through.objects.bulk_create(
        [
            Through(meeting_id=m, case_id=c)
            for m, c in MeetingItem.objects.values_list("meeting_id", "case_id")
        ],
        batch_size=1000,
    )
    texts: dict[int, list] = {}
    for item in MeetingItem.objects.order_by("meeting_id", "case_id"):
        if item.minutes or item.decisions:
            texts.setdefault(item.meeting_id, []).append(item)
    for meeting in Meeting.objects.filter(pk__in=texts):
        minutes = [meeting.restricted_minutes] if meeting.restricted_minutes else []
        decisions = [meeting.restricted_decisions] if meeting.restricted_decisions else []
        minutes += [f"Caso n. {i.case_id}: {i.minutes}" for i in texts[meeting.pk] if i.minutes]
        decisions += [
            f"Caso n. {i.case_id}: {i.decisions}" for i in texts[meeting.pk] if i.decisions
        ]
        if meeting.notes:
            minutes.insert(0, meeting.notes)
        meeting.restricted_minutes = "\n".join(minutes)
        meeting.restricted_decisions = "\n".join(decisions)
        meeting.save(update_fields=["restricted_minutes", "restricted_decisions"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_case_service_area"),
    ]

    operations = [
        migrations.RenameField(
            model_name="meeting", old_name="minutes", new_name="restricted_minutes"
        ),
        migrations.RenameField(
            model_name="meeting", old_name="decisions", new_name="restricted_decisions"
        ),
        migrations.AlterField(
            model_name="meeting",
            name="restricted_minutes",
            field=models.TextField(blank=True, verbose_name="earlier minutes (restricted)"),
        ),
        migrations.AlterField(
            model_name="meeting",
            name="restricted_decisions",
            field=models.TextField(blank=True, verbose_name="earlier decisions (restricted)"),
        ),
        migrations.AddField(
            model_name="meeting",
            name="notes",
            field=models.TextField(blank=True, verbose_name="general notes"),
        ),
        migrations.AddField(
            model_name="meeting",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.CreateModel(
            name="MeetingItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
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
                        to="cases.meeting",
                    ),
                ),
            ],
            options={
                "verbose_name": "case discussed at a meeting",
                "verbose_name_plural": "cases discussed at meetings",
                "ordering": ["case_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("meeting", "case"), name="meeting_item_unique_case"
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="meeting", name="cases"),
        migrations.AddField(
            model_name="meeting",
            name="cases",
            field=models.ManyToManyField(
                blank=True,
                related_name="meetings",
                through="cases.MeetingItem",
                to="cases.case",
                verbose_name="cases discussed",
            ),
        ),
    ]
