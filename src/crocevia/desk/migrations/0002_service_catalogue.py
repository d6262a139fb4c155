"""Seed the desk service catalogue (INTERCHANGE.md) as data, editable in the admin."""

from django.db import migrations


def forwards(apps, schema_editor):
    from crocevia.desk.catalogue import SERVICE_CATALOGUE

    DeskService = apps.get_model("desk", "DeskService")
    for position, (code, name) in enumerate(SERVICE_CATALOGUE, start=1):
        DeskService.objects.get_or_create(
            code=code, defaults={"name": name, "position": position * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
