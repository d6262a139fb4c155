# Every desk contact whose outcome is "referred" becomes a referral (issue 18): the CPI's
# inbox now lists what the desks sent it. A referral the referral form already made from
# the same contact to the same receiver is that contact's referral; any other contact
# gets a new one, sent on the contact's day by its operator, waiting for an answer. The
# sharing basis is the person's network-sharing consent where recorded, else "recorded
# before the rule" (the register's, which no operator was asked for).

from django.db import migrations
from django.db.models import Exists, OuterRef

BATCH = 5000


def desk_outcomes_to_referrals(apps, schema_editor):
    Contact = apps.get_model("desk", "Contact")
    Referral = apps.get_model("desk", "Referral")
    Consent = apps.get_model("people", "Consent")
    referred = Contact.objects.filter(outcome="referred")
    for contact_id, to_id in referred.filter(
        Exists(Referral.objects.filter(contact_id=OuterRef("pk"), to_organisation_id=OuterRef("referred_to_id")))
    ).values_list("pk", "referred_to_id"):
        first = Referral.objects.filter(contact_id=contact_id, to_organisation_id=to_id).order_by("pk").first()
        Referral.objects.filter(pk=first.pk).update(origin="desk")
    consenting = Consent.objects.filter(
        person_id=OuterRef("person_id"), scope="network_sharing", withdrawn_on__isnull=True
    )
    missing = (
        referred.exclude(Exists(Referral.objects.filter(contact_id=OuterRef("pk"), origin="desk")))
        .annotate(consent=Exists(consenting))
        .values_list("pk", "person_id", "desk__organisation_id", "referred_to_id", "date", "operator_id", "consent")
        .order_by("pk")
    )
    batch = []
    for pk, person, sender, receiver, day, operator, consent in missing.iterator(chunk_size=BATCH):
        batch.append(
            Referral(
                person_id=person,
                contact_id=pk,
                origin="desk",
                from_organisation_id=sender,
                to_organisation_id=receiver,
                sent_on=day,
                sharing_basis="consent" if consent else "register",
                state="sent",
                sent_by_id=operator,
            )
        )
        if len(batch) >= BATCH:
            Referral.objects.bulk_create(batch)
            batch = []
    Referral.objects.bulk_create(batch)


def referrals_back_to_outcomes(apps, schema_editor):
    Referral = apps.get_model("desk", "Referral")
    Referral.objects.filter(origin="desk", answered_on__isnull=True, state="sent").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0011_referral_every_send_on"),
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(desk_outcomes_to_referrals, referrals_back_to_outcomes),
    ]
