import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.desk.models import Contact, DeskService, LanguageNeed, Referral
from crocevia.testing import DeskFactory, PersonFactory

pytestmark = pytest.mark.django_db


def service_ids(*codes) -> list[str]:
    return [
        str(pk) for pk in DeskService.objects.filter(code__in=codes).values_list("pk", flat=True)
    ]


def contact_post(actors, day, **overrides) -> dict:
    data = {
        "desk": str(actors.desk.pk),
        "date": day.isoformat(),
        "services": service_ids("permit_kit", "job_search"),
        "outcome": "solved",
        "referred_to": "",
        "notes": "",
        "italian_level": "",
        "work_sector": "",
    }
    data.update(overrides)
    return data


def error_beside(body: str, field: str) -> str:
    """The text of the error block rendered beside `field`."""
    marker = f'id="{field}-error"'
    assert marker in body, f"no error shown beside {field}"
    start = body.index(marker)
    return body[start : body.index("</div>", start)]


# Recording a contact -------------------------------------------------------------------


def test_create_form_preselects_my_only_desk_and_today(actors, person, login, today):
    client = login(actors.desk_operator)
    response = client.get(reverse("desk:contact_create", args=[person.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["desk"].queryset) == [actors.desk]
    assert form["desk"].value() == actors.desk.pk
    assert form["date"].value() == today
    body = response.content.decode()
    assert "<legend" in body
    assert 'data-show-when="outcome=referred"' in body
    assert "Consulenza giuridica" in body


def test_operator_records_a_contact_with_two_services(actors, person, login, today):
    client = login(actors.desk_operator)
    response = client.post(
        reverse("desk:contact_create", args=[person.pk]),
        contact_post(actors, today, italian_level="A2", needs_job_italian="on", work_sector="care"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    contact = Contact.objects.get()
    assert contact.person == person
    assert contact.operator == actors.desk_operator
    assert sorted(contact.services.values_list("code", flat=True)) == ["job_search", "permit_kit"]
    need = LanguageNeed.objects.get()
    assert (need.contact, need.italian_level, need.work_sector) == (contact, "A2", "care")


def test_operator_records_a_referral_to_another_organisation(actors, person, login, today):
    client = login(actors.desk_operator)
    response = client.post(
        reverse("desk:contact_create", args=[person.pk]),
        contact_post(
            actors, today, outcome="referred", referred_to=str(actors.cpi.pk), consent_now="on"
        ),
    )
    assert response.status_code == 302
    assert Contact.objects.get().referred_to == actors.cpi
    # The outcome is a referral in the CPI's inbox; the consent was recorded in the step.
    referral = Referral.objects.get()
    assert (referral.to_organisation, referral.state, referral.sharing_basis) == (
        actors.cpi,
        "sent",
        "consent",
    )
    inbox = login(actors.cpi_consultant).get(reverse("desk:referral_inbox"))
    assert [r.pk for r in inbox.context["referrals"]] == [referral.pk]


def test_a_referral_without_consent_asks_for_it_in_the_same_step(actors, person, login, today):
    client = login(actors.desk_operator)
    post = contact_post(actors, today, outcome="referred", referred_to=str(actors.cpi.pk))
    response = client.post(reverse("desk:contact_create", args=[person.pk]), post)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="sharing_basis-error"' in body
    assert reverse("people:consent_notice", args=[person.pk]) in body
    assert not Contact.objects.exists() and not Referral.objects.exists()
    # A legal basis needs its reference; with it, the referral goes.
    post["sharing_basis"] = "legal_obligation"
    response = client.post(reverse("desk:contact_create", args=[person.pk]), post)
    assert 'id="sharing_note-error"' in response.content.decode()
    post["sharing_note"] = "Decreto del Tribunale per i minorenni n. 123/2026"
    response = client.post(reverse("desk:contact_create", args=[person.pk]), post)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.sharing_basis == "legal_obligation"
    assert referral.sharing_note.startswith("Decreto")
    assert not person.consents.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"date": "future"}, "date"),
        ({"services": []}, "services"),
        ({"outcome": "referred"}, "referred_to"),
        ({"desk": "other_desk"}, "desk"),
        ({"italian_level": "", "needs_job_italian": "on"}, "italian_level"),
        ({"italian_level": "B1", "needs_job_italian": "on"}, "work_sector"),
    ],
)
def test_bad_contact_input_shows_the_error_beside_the_field_and_saves_nothing(
    actors, person, login, today, overrides, field
):
    if overrides.get("date") == "future":
        overrides["date"] = (today + datetime.timedelta(days=3)).isoformat()
    if overrides.get("desk") == "other_desk":
        overrides["desk"] = str(actors.other_desk.pk)
    client = login(actors.desk_operator)
    response = client.post(
        reverse("desk:contact_create", args=[person.pk]),
        contact_post(actors, today, notes="Testo scritto dall'operatore", **overrides),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert error_beside(body, field).strip()
    # What was typed is shown again.
    assert "Testo scritto dall&#x27;operatore" in body
    assert not Contact.objects.exists()
    # No change recorded; the form shown again (with the person's name) is an access.
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CHANGE).exists()
    assert list(AuditEvent.objects.values_list("kind", "person_id")) == [("access", person.pk)]


def test_every_error_shows_at_once(actors, person, login, today):
    client = login(actors.desk_operator)
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("desk:contact_create", args=[person.pk]),
        contact_post(actors, today, date=tomorrow, services=[], outcome="referred"),
    )
    body = response.content.decode()
    for field in ["date", "services", "referred_to"]:
        assert error_beside(body, field).strip()
    assert not Contact.objects.exists()


# The person's contacts -----------------------------------------------------------------


def test_person_contacts_are_listed_newest_first(actors, person, login, record, today):
    record(person, date=today - datetime.timedelta(days=10), services=["appeal"])
    record(person, date=today, services=["cv_writing"])
    client = login(actors.desk_operator)
    response = client.get(reverse("desk:contacts", args=[person.pk]))
    assert response.status_code == 200
    assert [c.date for c in response.context["contacts"]] == [
        today,
        today - datetime.timedelta(days=10),
    ]
    body = response.content.decode()
    assert body.index("Redazione CV") < body.index("Ricorsi")
    assert '<th scope="col">' in body


def test_person_contacts_htmx_request_gets_the_partial_only(actors, person, login, record):
    record(person)
    client = login(actors.desk_operator)
    response = client.get(reverse("desk:contacts", args=[person.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="person-contacts">')
    assert "<html" not in body


def test_person_without_contacts_shows_the_empty_state(actors, person, login):
    client = login(actors.desk_operator)
    response = client.get(reverse("desk:contacts", args=[person.pk]))
    assert response.status_code == 200
    assert not response.context["contacts"]
    assert 'id="person-contacts"' in response.content.decode()


def _person_contacts_queries(client, person) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("desk:contacts", args=[person.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_person_contact_list_runs_a_constant_number_of_queries(
    actors, person, login, record, today, django_assert_max_num_queries
):
    client = login(actors.desk_operator)
    record(person, services=["information", "permit_kit"])
    with_one = _person_contacts_queries(client, person)
    for i in range(39):
        record(
            person,
            date=today - datetime.timedelta(days=i),
            services=["information", "job_search"],
            outcome="referred",
            consent_now=True,
            referred_to=actors.cpi,
            language_need={"italian_level": "A1"},
        )
    with_forty = _person_contacts_queries(client, person)
    assert with_forty == with_one
    with django_assert_max_num_queries(with_one):
        client.get(reverse("desk:contacts", args=[person.pk]))


# Editing ---------------------------------------------------------------------------------


def test_operator_edits_a_contact_and_the_audit_keeps_old_and_new_values(
    actors, person, login, record, today
):
    contact = record(person, services=["information"], language_need={"italian_level": "A1"})
    client = login(actors.desk_operator)
    url = reverse("desk:contact_edit", args=[contact.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["italian_level"].value() == "A1"
    response = client.post(
        url,
        contact_post(
            actors,
            today,
            services=service_ids("information", "translation"),
            notes="Corretto",
            italian_level="A2",
            version="1",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_UPDATE, object_type="desk.contact")
    assert event.actor == actors.desk_operator
    assert event.person == person
    assert event.changes["notes"] == {"changed": True}  # its value is not recorded
    assert event.changes["services"] == [["information"], ["information", "translation"]]
    assert LanguageNeed.objects.get().italian_level == "A2"


def test_stale_edit_is_refused_and_keeps_what_was_typed(actors, person, login, record, today):
    contact = record(person)
    client = login(actors.desk_operator)
    url = reverse("desk:contact_edit", args=[contact.pk])
    client.post(url, contact_post(actors, today, notes="Prima modifica", version="1"))
    response = client.post(url, contact_post(actors, today, notes="Seconda modifica", version="1"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Seconda modifica" in body
    assert 'name="version" value="2"' in body
    contact.refresh_from_db()
    assert contact.notes == "Prima modifica"


def test_colleague_sees_but_cannot_edit_a_contact_at_another_desk_of_the_organisation(
    actors, person, login, today
):
    from crocevia.desk import services

    second_desk = DeskFactory(organisation=actors.sds, comune=actors.pisa)
    contact = services.contact_record(
        actor=actors.admin, person=person, desk=second_desk, date=today, services=["information"]
    )
    client = login(actors.desk_operator)
    listing = client.get(reverse("desk:contacts", args=[person.pk]))
    assert contact in listing.context["contacts"]
    assert reverse("desk:contact_edit", args=[contact.pk]) not in listing.content.decode()
    assert client.get(reverse("desk:contact_edit", args=[contact.pk])).status_code == 403


# The daily register ------------------------------------------------------------------------


def test_daily_register_shows_todays_contacts_and_counts_per_service(
    actors, person, login, record, today, yesterday
):
    other = PersonFactory(
        family_name="Rossi", given_names="Mario", created_by_organisation=actors.sds
    )
    record(person, services=["permit_kit", "job_search"])
    record(other, services=["permit_kit"])
    record(other, date=yesterday, services=["appeal"])
    client = login(actors.desk_operator)
    response = client.get(reverse("desk:register"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["desk"] == actors.desk
    assert ctx["day"] == today
    assert [c.person for c in ctx["contacts"]] == [person, other]
    counts = {s.code: n for s, n in ctx["counts_given"]}
    assert counts == {"permit_kit": 2, "job_search": 1}
    assert ctx["total_services"] == 3
    active = DeskService.objects.filter(active=True).count()
    assert len(ctx["counts_given"]) + len(ctx["counts_zero"]) == active
    body = response.content.decode()
    assert reverse("people:detail", args=[person.pk]) in body
    assert 'id="register-total">3<' in body


def test_daily_register_shows_another_day_on_request(actors, person, login, record, yesterday):
    record(person, date=yesterday, services=["appeal"])
    client = login(actors.desk_operator)
    response = client.get(
        reverse("desk:register"), {"desk": actors.desk.pk, "day": yesterday.isoformat()}
    )
    assert [s.code for s, n in response.context["counts_given"]] == ["appeal"]
    partial = client.get(
        reverse("desk:register"),
        {"desk": actors.desk.pk, "day": yesterday.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert partial.content.decode().lstrip().startswith('<div id="register-results"')


def test_daily_register_with_a_bad_day_says_so(actors, login):
    client = login(actors.desk_operator)
    response = client.get(reverse("desk:register"), {"day": "31/02/2026"})
    assert response.status_code == 200
    assert response.context["form"].errors["day"]


def _register_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("desk:register"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_daily_register_runs_a_constant_number_of_queries(
    actors, login, record, django_assert_max_num_queries
):
    client = login(actors.desk_operator)
    first = PersonFactory(created_by_organisation=actors.sds)
    record(first, services=["information"])
    with_one = _register_queries(client)
    for _i in range(39):
        someone = PersonFactory(created_by_organisation=actors.sds)
        record(
            someone,
            services=["information", "permit_kit"],
            outcome="referred",
            consent_now=True,
            referred_to=actors.cpi,
        )
    assert _register_queries(client) == with_one
    with django_assert_max_num_queries(with_one):
        client.get(reverse("desk:register"))


# Who sees what -------------------------------------------------------------------------------


def test_outsider_gets_404_on_the_contact_list_and_create_for_our_person(
    actors, person, login, record, today
):
    contact = record(person)
    client = login(actors.outsider)
    assert client.get(reverse("desk:contacts", args=[person.pk])).status_code == 404
    assert client.get(reverse("desk:contact_create", args=[person.pk])).status_code == 404
    response = client.post(
        reverse("desk:contact_create", args=[person.pk]),
        contact_post(actors, today, desk=str(actors.other_desk.pk)),
    )
    assert response.status_code == 404
    assert client.get(reverse("desk:contact_edit", args=[contact.pk])).status_code == 404
    assert Contact.objects.count() == 1


def test_outsider_does_not_see_our_contacts_in_their_register(actors, person, login, record):
    record(person)
    client = login(actors.outsider)
    response = client.get(reverse("desk:register"))
    assert response.status_code == 200
    assert response.context["desk"] == actors.other_desk
    assert response.context["contacts"] == []
    assert response.context["total_services"] == 0
    assert person.family_name not in response.content.decode()
    # Asking for our desk directly answers 404.
    assert client.get(reverse("desk:register"), {"desk": actors.desk.pk}).status_code == 404


def test_monitoring_officer_gets_404_on_names_and_no_register(actors, person, login, record):
    contact = record(person)
    client = login(actors.monitoring_officer)
    assert client.get(reverse("desk:contacts", args=[person.pk])).status_code == 404
    assert client.get(reverse("desk:contact_create", args=[person.pk])).status_code == 404
    assert client.get(reverse("desk:contact_edit", args=[contact.pk])).status_code == 404
    assert client.get(reverse("desk:register"), {"desk": actors.desk.pk}).status_code == 404
    response = client.get(reverse("desk:register"))
    assert response.status_code == 200
    assert person.family_name not in response.content.decode()


def test_anonymous_user_is_sent_to_login(client, actors, person, record):
    contact = record(person)
    for url in [
        reverse("desk:register"),
        reverse("desk:contacts", args=[person.pk]),
        reverse("desk:contact_create", args=[person.pk]),
        reverse("desk:contact_edit", args=[contact.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_pages_carry_no_inline_script_or_style(actors, person, login, record):
    record(person)
    client = login(actors.desk_operator)
    for url in [
        reverse("desk:register"),
        reverse("desk:contacts", args=[person.pk]),
        reverse("desk:contact_create", args=[person.pk]),
    ]:
        body = client.get(url).content.decode()
        assert "<script>" not in body
        assert "style=" not in body
        assert "<style" not in body
