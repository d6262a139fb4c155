from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0005_canonical_codes")]

    operations = [
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                condition=models.Q(("codice_fiscale", ""), _negated=True),
                fields=("codice_fiscale",),
                name="person_cf_unique",
            ),
        ),
    ]
