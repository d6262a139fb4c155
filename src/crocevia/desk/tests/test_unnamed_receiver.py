"""A register's referral to an organisation it does not name (INTERCHANGE.md, issue 16).

Only an import records a referral without its receiver; an operator recording a contact
now names it. An operator editing an imported one is not refused for what the register
never said, unless the edit makes a contact a referral or takes away a named receiver.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from crocevia.desk import services
from crocevia.desk.models import Contact

from .test_views import contact_post, service_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(actors, person, today):
    """A contact of an imported register: referred, the receiver not written down."""
    services.contacts_import_bulk(
        actor=None,
        rows=[
            {
                "external_id": "reg-2025-17",
                "person_id": person.pk,
                "desk_id": actors.desk.pk,
                "date": today,
                "outcome": "referred",
                "referred_to_id": None,
                "services": ["referral_public_services"],
            }
        ],
    )
    contact = Contact.objects.get(external_id="reg-2025-17")
    assert contact.receiver_not_named
    return contact


def test_an_operator_recording_a_referral_now_names_the_receiver(actors, person, today):
    with pytest.raises(ValidationError) as error:
        services.contact_record(
            actor=actors.desk_operator,
            person=person,
            desk=actors.desk,
            date=today,
            services=["information"],
            outcome="referred",
        )
    assert set(error.value.message_dict) == {"referred_to"}
    assert not Contact.objects.exists()


def test_editing_an_imported_referral_keeps_its_receiver_unnamed(actors, imported):
    updated = services.contact_update(
        actor=actors.desk_operator,
        contact=imported,
        services=["referral_public_services", "information"],
        notes="Inviata all'URP del Comune",
    )
    assert updated.outcome == "referred" and updated.referred_to is None
    assert updated.version == 2
    # Naming the receiver afterwards is allowed, of course.
    named = services.contact_update(
        actor=actors.desk_operator, contact=updated, referred_to=actors.cpi, consent_now=True
    )
    assert named.referred_to == actors.cpi and not named.receiver_not_named


def test_a_named_receiver_cannot_be_taken_away(actors, record, person):
    contact = record(
        person,
        services=["job_search"],
        outcome="referred",
        referred_to=actors.cpi,
        consent_now=True,
    )
    with pytest.raises(ValidationError) as error:
        services.contact_update(actor=actors.desk_operator, contact=contact, referred_to=None)
    assert set(error.value.message_dict) == {"referred_to"}
    assert Contact.objects.get(pk=contact.pk).referred_to == actors.cpi


def test_making_a_contact_a_referral_again_names_the_receiver(actors, imported):
    solved = services.contact_update(actor=actors.desk_operator, contact=imported, outcome="solved")
    assert not solved.receiver_not_named
    with pytest.raises(ValidationError) as error:
        services.contact_update(actor=actors.desk_operator, contact=solved, outcome="referred")
    assert set(error.value.message_dict) == {"referred_to"}


def test_the_database_refuses_a_receiver_on_a_contact_that_was_not_referred(imported, actors):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.filter(pk=imported.pk).update(outcome="solved", referred_to=actors.cpi)


def test_the_edit_page_keeps_the_receiver_unnamed(actors, imported, login, today):
    client = login(actors.desk_operator)
    url = reverse("desk:contact_edit", args=[imported.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Non indicato nel registro" in page.content.decode()  # the select's empty choice
    response = client.post(
        url,
        contact_post(
            actors,
            today,
            services=service_ids("referral_public_services"),
            outcome="referred",
            referred_to="",
            notes="Ricontrollata",
            version="1",
        ),
    )
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.receiver_not_named and imported.notes == "Ricontrollata"


def test_the_new_contact_form_still_asks_for_the_receiver(actors, person, login, today):
    client = login(actors.desk_operator)
    response = client.post(
        reverse("desk:contact_create", args=[person.pk]),
        contact_post(actors, today, outcome="referred", referred_to=""),
    )
    assert response.status_code == 200
    assert 'id="referred_to-error"' in response.content.decode()
    assert not Contact.objects.exists()


def test_person_page_and_daily_register_show_ente_non_indicato(actors, imported, login, today):
    client = login(actors.desk_operator)
    page = client.get(reverse("people:detail", args=[imported.person_id])).content.decode()
    assert "ente non indicato" in page
    register = client.get(reverse("desk:register"), {"day": today.isoformat()}).content.decode()
    assert "ente non indicato" in register
