"""Comuni carry their metropolitan-city flag (issue 19), set from the province for the
Comuni already recorded."""

from django.db import migrations, models

# The provinces whose territory was a metropolitan city when this migration was written
# (network.models.METROPOLITAN_CITY_PROVINCES then): a migration keeps its own copy.
METROPOLITAN_CITY_PROVINCES = (
    "TO", "GE", "MI", "VE", "BO", "FI", "RM", "NA", "BA", "RC", "PA", "ME", "CT", "CA",
)  # fmt: skip


def flag_from_province(apps, schema_editor):
    Comune = apps.get_model("network", "Comune")
    Comune.objects.filter(province__in=METROPOLITAN_CITY_PROVINCES).update(
        in_metropolitan_city=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0002_agreements"),
    ]

    operations = [
        migrations.AddField(
            model_name="comune",
            name="in_metropolitan_city",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Set from the province when the Comune is created; in a metropolitan city "
                    "a Comune over 40,000 inhabitants needs one access point per 70,000 "
                    "instead of 40,000 (LEP)."
                ),
                verbose_name="in a metropolitan city",
            ),
        ),
        migrations.RunPython(flag_from_province, migrations.RunPython.noop),
    ]
