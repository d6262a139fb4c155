# The data of 0004: kept apart from the schema changes before and after it, as PostgreSQL
# refuses to alter a table with pending trigger events in the same transaction.

from django.db import migrations


def signed_versions_count_as_validated(apps, schema_editor):
    """Every version signed before validation came first was signed under the old rule:
    it counts as validated. The plan's old validation (recorded after the signature) moves
    to the version signed last before it, with its step in the history; the others keep
    no date and no validator (none was recorded)."""
    Plan = apps.get_model("plans", "Plan")
    PlanVersion = apps.get_model("plans", "PlanVersion")
    ValidationEvent = apps.get_model("plans", "ValidationEvent")
    # Only inclusion projects are validated: a service pact or a social project is signed
    # without it, and says nothing of a validation.
    PlanVersion.objects.filter(
        signed_on__isnull=False, plan__kind="inclusion_project"
    ).update(validation_status="validated")
    validated = Plan.objects.filter(validated_on__isnull=False).values_list(
        "pk", "validated_on", "validated_by_id"
    )
    for plan_id, day, user_id in validated.iterator():
        signed = PlanVersion.objects.filter(plan_id=plan_id, signed_on__isnull=False)
        version = (
            signed.filter(signed_on__lte=day).order_by("-number").first()
            or signed.order_by("number").first()
        )
        if version is None:
            continue
        PlanVersion.objects.filter(pk=version.pk).update(
            validated_on=day, validated_by_id=user_id
        )
        if user_id is not None:
            ValidationEvent.objects.create(
                version_id=version.pk, kind="validated", on=day, by_id=user_id
            )


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0004_plan_validation"),
    ]

    operations = [
        migrations.RunPython(signed_versions_count_as_validated, migrations.RunPython.noop),
    ]
