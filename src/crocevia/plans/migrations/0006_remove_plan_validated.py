# The plan's validation moved to its versions (0004, 0005).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0005_signed_versions_validated"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='plan',
            name='validated_by',
        ),
        migrations.RemoveField(
            model_name='plan',
            name='validated_on',
        ),
    ]
