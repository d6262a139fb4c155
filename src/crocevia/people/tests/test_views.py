import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.people import services
from crocevia.people.models import Person

from .helpers import AWA_CF, form_post, register


@pytest.fixture
def awa(actors):
    return register(actors.desk_operator, codice_fiscale=AWA_CF)


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["people:detail", "people:edit", "people:audit", "people:household"]
)
def test_outsider_gets_404_on_the_person_pages(actors, awa, login, name):
    response = login(actors.outsider).get(reverse(name, args=[awa.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["people:detail", "people:edit", "people:audit"])
def test_monitoring_officer_gets_404_on_the_person_pages(actors, awa, login, name):
    response = login(actors.monitoring_officer).get(reverse(name, args=[awa.pk]))
    assert response.status_code == 404


def test_outsider_cannot_post_to_the_person_pages(actors, awa, login):
    client = login(actors.outsider)
    for url in [
        reverse("people:edit", args=[awa.pk]),
        reverse("people:consent_add", args=[awa.pk]),
        reverse("people:household_create", args=[awa.pk]),
    ]:
        assert client.post(url, {}).status_code == 404
    assert not AuditEvent.objects.filter(actor=actors.outsider).exists()


@pytest.mark.parametrize("name", ["people:search", "people:create"])
def test_anonymous_user_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_user_is_sent_to_login_from_the_person_page(client, awa):
    response = client.get(reverse("people:detail", args=[awa.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_audit_page_is_for_administrators_only(actors, awa, login):
    assert (
        login(actors.desk_operator).get(reverse("people:audit", args=[awa.pk])).status_code == 404
    )
    assert login(actors.admin).get(reverse("people:audit", args=[awa.pk])).status_code == 200


# --- search ---------------------------------------------------------------------------------


def test_search_page_lists_results_with_italian_country_names(actors, awa, login):
    response = login(actors.desk_operator).get(reverse("people:search"), {"q": "diop"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Diop Awa" in content
    assert "<html" in content
    assert "Senegal" in content
    assert f"{reverse('people:create')}?q=diop" in content


def test_search_with_htmx_returns_only_the_results(actors, awa, login):
    response = login(actors.desk_operator).get(
        reverse("people:search"), {"q": "diop"}, headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert "Diop Awa" in content
    assert "<html" not in content


def test_search_never_shows_persons_of_other_organisations(actors, awa, login):
    response = login(actors.outsider).get(reverse("people:search"), {"q": "diop"})
    assert response.context["persons"] == []
    assert "Diop Awa" not in response.content.decode()


NARROW = (
    "Many persons match: only the first ones are shown. Narrow the search, for example "
    "with the given name, the birth year or the birth date."
)


def test_search_page_asks_to_narrow_a_truncated_search(actors, login):
    from crocevia.people.selectors import SEARCH_LIMIT
    from crocevia.testing import PersonFactory

    for n in range(SEARCH_LIMIT + 5):
        PersonFactory(
            family_name="Diop", given_names=f"Awa{n:03d}", created_by_organisation=actors.sds
        )
    response = login(actors.desk_operator).get(reverse("people:search"), {"q": "diop"})
    assert len(response.context["persons"]) == SEARCH_LIMIT
    with translation.override("it"):
        message = gettext(NARROW)
    assert message != NARROW
    assert message in response.content.decode()


def test_search_page_does_not_ask_to_narrow_a_complete_search(actors, awa, login):
    response = login(actors.desk_operator).get(reverse("people:search"), {"q": "diop"})
    with translation.override("it"):
        assert gettext(NARROW) not in response.content.decode()


# --- registration ---------------------------------------------------------------------------


def test_registration_form_is_prefilled_from_the_search(actors, login):
    response = login(actors.desk_operator).get(
        reverse("people:create"), {"q": "Diop Awa 17/05/1990"}
    )
    form = response.context["form"]
    assert form.initial["family_name"] == "Diop"
    assert form.initial["given_names"] == "Awa"
    assert form.initial["birth_date"] == datetime.date(1990, 5, 17)


def test_registration_saves_and_redirects_to_the_person(actors, login):
    response = login(actors.desk_operator).post(
        reverse("people:create"), form_post(codice_fiscale=AWA_CF.lower())
    )
    person = Person.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("people:detail", args=[person.pk])
    assert person.codice_fiscale == AWA_CF
    assert person.languages == ["wo", "fr"]
    assert person.created_by == actors.desk_operator


def test_wrong_codice_fiscale_shows_the_error_beside_the_field_and_keeps_the_values(actors, login):
    wrong = AWA_CF[:-1] + ("A" if AWA_CF[-1] != "A" else "B")
    response = login(actors.desk_operator).post(
        reverse("people:create"), form_post(codice_fiscale=wrong, phone="333 111")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("codice_fiscale", code="cf_checksum")
    content = response.content.decode()
    assert 'id="codice_fiscale-error"' in content
    assert f'value="{wrong}"' in content
    assert 'value="333 111"' in content
    assert not Person.objects.exists()


def test_likely_duplicate_must_be_confirmed_and_is_linked(actors, awa, login):
    client = login(actors.desk_operator)
    response = client.post(reverse("people:create"), form_post(given_names="Awà"))
    content = response.content.decode()
    assert response.status_code == 200
    assert Person.objects.count() == 1
    assert reverse("people:detail", args=[awa.pk]) in content
    assert 'name="confirm_distinct"' in content

    response = client.post(
        reverse("people:create"), form_post(given_names="Awà", confirm_distinct="on")
    )
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_duplicate_of_another_organisation_is_announced_without_its_name(actors, login):
    hidden = register(actors.outsider, family_name="Sarr", given_names="Ibrahima", sex="M")
    response = login(actors.desk_operator).post(
        reverse("people:create"),
        form_post(family_name="Sarr", given_names="Ibrahim", sex="M"),
    )
    content = response.content.decode()
    assert response.context["hidden_duplicates"] == 1
    assert response.context["visible_duplicates"] == []
    assert "Ibrahima" not in content
    assert reverse("people:detail", args=[hidden.pk]) not in content
    assert Person.objects.count() == 1


# --- detail ---------------------------------------------------------------------------------


def test_viewing_the_person_page_records_an_access_event(actors, awa, login):
    client = login(actors.social_worker)
    response = client.get(reverse("people:detail", args=[awa.pk]))
    assert response.status_code == 200
    client.get(reverse("people:detail", args=[awa.pk]))
    events = AuditEvent.objects.filter(person=awa, kind="access", actor=actors.social_worker)
    assert events.count() == 2


def test_person_page_shows_languages_in_italian_and_a_link_to_record_a_contact(actors, awa, login):
    content = login(actors.desk_operator).get(reverse("people:detail", args=[awa.pk])).content
    content = content.decode()
    assert "Wolof" in content and "Francese" in content
    assert reverse("desk:contact_create", args=[awa.pk]) in content


def _fill(person, actor, n):
    household = services.household_create(actor=actor, reference_person=person)
    for i in range(n):
        services.consent_record(
            actor=actor, person=person, scope="processing", given_on=datetime.date(2024, 1, 1)
        )
        member = register(
            actor, given_names=f"Kofi{i}", sex="M", birth_date=datetime.date(2010, 1, i + 1)
        )
        services.household_add_member(
            actor=actor, household=household, person=member, relationship="child"
        )


def _count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


def test_person_page_query_count_does_not_grow_with_consents_and_members(
    actors, login, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(actors.desk_operator)
    small = register(actors.desk_operator, family_name="Uno")
    big = register(actors.desk_operator, family_name="Trenta")
    _fill(small, actors.desk_operator, 1)
    _fill(big, actors.desk_operator, 30)
    with CaptureQueriesContext(connection) as small_queries:
        client.get(reverse("people:detail", args=[small.pk]))
    with django_assert_max_num_queries(len(small_queries)):
        response = client.get(reverse("people:detail", args=[big.pk]))
    assert response.content.decode().count("Kofi") == 30


# --- edit -----------------------------------------------------------------------------------


def _edit_post(person, **overrides):
    data = form_post(codice_fiscale=person.codice_fiscale, **overrides)
    data.setdefault("version", person.version)
    return data


def test_editing_records_old_and_new_values(actors, awa, login):
    response = login(actors.desk_operator).post(
        reverse("people:edit", args=[awa.pk]), _edit_post(awa, phone="055 123")
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(person=awa, action=AuditAction.PERSON_UPDATE)
    assert event.changes == {"phone": ["", "055 123"]}
    awa.refresh_from_db()
    assert awa.version == 2


def test_conflicting_edit_is_refused_and_the_typed_values_are_kept(actors, awa, login):
    services.person_update(
        actor=actors.social_worker, person=awa, data={"phone": "111"}, expected_version=1
    )
    response = login(actors.desk_operator).post(
        reverse("people:edit", args=[awa.pk]), _edit_post(awa, phone="222", version=1)
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'value="222"' in response.content.decode()
    awa.refresh_from_db()
    assert awa.phone == "111"


def test_edit_with_a_contradicting_codice_fiscale_is_refused_beside_the_field(actors, awa, login):
    response = login(actors.desk_operator).post(
        reverse("people:edit", args=[awa.pk]), _edit_post(awa, sex="M")
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("codice_fiscale", code="cf_sex")
    awa.refresh_from_db()
    assert awa.sex == "F"


# --- audit page -----------------------------------------------------------------------------


def test_audit_page_lists_changes_and_accesses(actors, awa, login):
    services.person_update(actor=actors.desk_operator, person=awa, data={"phone": "055 987"})
    login(actors.desk_operator).get(reverse("people:detail", args=[awa.pk]))
    content = login(actors.admin).get(reverse("people:audit", args=[awa.pk])).content.decode()
    assert "055 987" in content
    with translation.override("it"):
        viewed, changed = str(AuditAction.PERSON_VIEW.label), str(AuditAction.PERSON_UPDATE.label)
    assert escape(viewed) in content and escape(changed) in content


# --- household and consents -----------------------------------------------------------------


def test_household_can_be_created_filled_and_emptied_through_the_pages(actors, awa, login):
    client = login(actors.desk_operator)
    child = register(
        actors.desk_operator, given_names="Moussa", sex="M", birth_date=datetime.date(2016, 3, 3)
    )
    client.post(reverse("people:household_create", args=[awa.pk]))
    awa.refresh_from_db()
    assert awa.household_relationship == "reference"

    page = client.get(reverse("people:household", args=[awa.pk]), {"q": "moussa"})
    assert "Diop Moussa" in page.content.decode()
    client.post(
        reverse("people:household_add", args=[awa.pk]),
        {"person": child.pk, "relationship": "child"},
    )
    child.refresh_from_db()
    assert child.household_id == awa.household_id

    client.post(reverse("people:household_remove", args=[awa.pk, child.pk]))
    child.refresh_from_db()
    assert child.household_id is None


def test_household_member_must_be_visible_to_the_user(actors, awa, login):
    hidden = register(actors.outsider, given_names="Nascosta")
    client = login(actors.desk_operator)
    client.post(reverse("people:household_create", args=[awa.pk]))
    response = client.post(
        reverse("people:household_add", args=[awa.pk]),
        {"person": hidden.pk, "relationship": "sibling"},
    )
    assert response.status_code == 404
    hidden.refresh_from_db()
    assert hidden.household_id is None


def test_consent_is_recorded_by_the_operator_and_withdrawn(actors, awa, login):
    client = login(actors.desk_operator)
    today = datetime.date.today()
    response = client.post(
        reverse("people:consent_add", args=[awa.pk]),
        {"scope": "processing", "given_on": today.isoformat()},
    )
    assert response.status_code == 302
    consent = awa.consents.get()
    assert consent.collected_by == actors.desk_operator
    client.post(
        reverse("people:consent_withdraw", args=[awa.pk, consent.pk]),
        {"withdrawn_on": today.isoformat()},
    )
    consent.refresh_from_db()
    assert consent.withdrawn_on == today


def test_consent_in_the_future_is_refused_beside_the_field(actors, awa, login):
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    response = login(actors.desk_operator).post(
        reverse("people:consent_add", args=[awa.pk]),
        {"scope": "processing", "given_on": tomorrow.isoformat()},
    )
    assert response.status_code == 200
    assert response.context["consent_form"].has_error("given_on")
    assert not awa.consents.exists()


@pytest.mark.parametrize(
    ("field", "value", "character"),
    [
        ("given_names", "\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("family_name", "\u202eporD", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("codice_fiscale", AWA_CF[:8] + "\u200c" + AWA_CF[8:], "U+200C (ZERO WIDTH NON-JOINER)"),
    ],
)
def test_invisible_or_direction_changing_character_is_refused_naming_it(
    actors, login, field, value, character
):
    with translation.override("it"):
        response = login(actors.desk_operator).post(
            reverse("people:create"), form_post(**{field: value})
        )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error(field, code="forbidden_character")
    assert character in response.content.decode()
    assert "non è ammesso" in response.content.decode()
    assert not Person.objects.exists()


def test_names_are_saved_nfc_and_trimmed(actors, login):
    login(actors.desk_operator).post(
        reverse("people:create"),
        form_post(given_names="\u00a0Nde\u0300ye\u00a0", family_name=" Diop "),
    )
    person = Person.objects.get()
    assert (person.family_name, person.given_names) == ("Diop", "Ndèye")


def test_the_service_refuses_a_hidden_character_whoever_calls_it(actors):
    with pytest.raises(ValidationError) as exc:
        register(actors.desk_operator, given_names="A\u2066wa")
    assert exc.value.error_dict["given_names"][0].code == "forbidden_character"
    assert not Person.objects.exists()


def test_a_birth_date_before_1900_or_a_permit_expiry_centuries_ahead_is_refused(actors, login):
    with translation.override("it"):
        response = login(actors.desk_operator).post(
            reverse("people:create"),
            form_post(birth_date=datetime.date(1, 1, 1), permit_expires_on="2999-01-01"),
        )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("birth_date", code="implausible_date")
    assert form.has_error("permit_expires_on", code="implausible_date")
    assert "non può essere precedente al 01/01/1900" in response.content.decode()
    assert not Person.objects.exists()
