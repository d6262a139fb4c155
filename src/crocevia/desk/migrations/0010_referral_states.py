# One referral for every send-on (issue 18): the states sent → accepted | declined →
# completed | withdrawn; the origin; the sharing basis; an unnamed receiver for registers.
# The old decision fields are renamed, keeping their data; the old statuses map onto the
# new states (pending → sent, refused → declined).

from django.db import migrations


def forward_states(apps, schema_editor):
    Referral = apps.get_model("desk", "Referral")
    Referral.objects.filter(state="pending").update(state="sent")
    Referral.objects.filter(state="refused").update(state="declined")


def backward_states(apps, schema_editor):
    Referral = apps.get_model("desk", "Referral")
    Referral.objects.filter(state="sent").update(state="pending")
    Referral.objects.filter(state="declined").update(state="refused")


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0009_contact_referral_receiver_may_be_unnamed"),
    ]

    operations = [
        migrations.RenameField("referral", "status", "state"),
        migrations.RenameField("referral", "decided_on", "answered_on"),
        migrations.RenameField("referral", "decided_by", "answered_by"),
        migrations.RenameField("referral", "decision_note", "answer_note"),
        migrations.RunPython(forward_states, backward_states),
    ]
