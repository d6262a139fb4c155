"""Meeting and MeetingItem leave the state of `cases` (issue 17): they are the models of
`meetings` now (meetings 0001), on the same tables, which stay with their rows."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_meeting_items_per_case"),
        ("meetings", "0001_initial"),
        ("plans", "0003_action_from_meeting_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="meeting", name="cases"),
                migrations.DeleteModel(name="MeetingItem"),
                migrations.DeleteModel(name="Meeting"),
            ],
        ),
    ]
