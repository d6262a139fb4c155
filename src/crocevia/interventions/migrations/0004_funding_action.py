"""Interventions paid by a programme's budget action instead of a free-text funding.

The old text moves to funding_legacy; 0005 matches it to a budget action where it can.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0003_seed_catalogue"),
        ("programmes", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="intervention", old_name="funding", new_name="funding_legacy"
        ),
        migrations.AlterField(
            model_name="intervention",
            name="funding_legacy",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=120,
                verbose_name="funding (old free text)",
            ),
        ),
        migrations.AddField(
            model_name="intervention",
            name="funding_action",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="interventions",
                to="programmes.budgetaction",
                verbose_name="budget action paying for it",
            ),
        ),
        migrations.AddField(
            model_name="intervention",
            name="over_budget_justification",
            field=models.TextField(blank=True, verbose_name="over-budget justification"),
        ),
        migrations.AlterField(
            model_name="intervention",
            name="cost",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text=(
                    "What the intervention costs the budget action paying for it: committed "
                    "while it is planned or in progress, spent once it ends."
                ),
                max_digits=12,
                null=True,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="cost (€)",
            ),
        ),
    ]
