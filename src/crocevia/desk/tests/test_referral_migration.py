"""The migration that makes every desk outcome a referral (issue 18): old statuses become
states, each contact "referred" gets its one referral, a form's referral from the same
contact to the same receiver is that contact's."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crocevia.desk.models import Referral
from crocevia.testing import make_person, state_before_migration


@pytest.mark.django_db(transaction=True)
def test_desk_outcomes_become_referrals_and_statuses_become_states(actors):
    consenting = make_person(actors)
    not_consenting = make_person(actors, consent=False)
    day = datetime.date(2025, 3, 3)
    executor = MigrationExecutor(connection)
    before = state_before_migration(executor, "desk", "_referral_states")
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Contact = apps.get_model("desk", "Contact")
    OldReferral = apps.get_model("desk", "Referral")

    def contact(person, outcome="referred", to=actors.cpi):
        return Contact.objects.create(
            person_id=person.pk,
            desk_id=actors.desk.pk,
            date=day,
            outcome=outcome,
            referred_to_id=to.pk if to else None,
            operator_id=actors.desk_operator.pk,
        )

    plain = contact(consenting)
    unnamed = contact(not_consenting, to=None)
    solved = contact(consenting, outcome="solved", to=None)
    with_form = contact(consenting)
    common = {
        "from_organisation_id": actors.sds.pk,
        "sent_on": day,
        "sent_by_id": actors.desk_operator.pk,
    }
    formed = OldReferral.objects.create(
        person_id=consenting.pk,
        contact_id=with_form.pk,
        to_organisation_id=actors.cpi.pk,
        status="pending",
        **common,
    )
    refused = OldReferral.objects.create(
        person_id=consenting.pk,
        to_organisation_id=actors.cpi.pk,
        status="refused",
        decision_note="Non residente",
        **common,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Referral.objects.get(pk=refused.pk).state == "declined"
    assert Referral.objects.get(pk=refused.pk).answer_note == "Non residente"
    # The form's referral from the same contact is the contact's: no second one.
    assert list(Referral.objects.filter(contact_id=with_form.pk).values_list("pk", "origin")) == [
        (formed.pk, "desk")
    ]
    made = Referral.objects.get(contact_id=plain.pk)
    assert (made.origin, made.state, made.to_organisation_id, made.sent_on) == (
        "desk",
        "sent",
        actors.cpi.pk,
        day,
    )
    assert (made.from_organisation_id, made.sent_by_id, made.sharing_basis) == (
        actors.sds.pk,
        actors.desk_operator.pk,
        "consent",
    )
    register = Referral.objects.get(contact_id=unnamed.pk)
    assert register.to_organisation_id is None and register.sharing_basis == "register"
    assert not Referral.objects.filter(contact_id=solved.pk).exists()
