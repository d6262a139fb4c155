"""A programme pays for an intervention through Intervention.funding_action now: the
separate record is gone, after interventions 0005 copied each one naming a single action."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0001_initial"),
        ("interventions", "0005_match_funding_text"),
    ]

    operations = [migrations.DeleteModel(name="FundedIntervention")]
