"""Referral pages: sending from the person page, the receiver's inbox and decision, the
sender's list, and who may see or decide what."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import Case, Origin
from crocevia.desk.models import Referral
from crocevia.desk.referral_selectors import referrals_received
from crocevia.desk.referrals import referral_answer, referral_send
from crocevia.people.services import consent_record
from crocevia.testing import PersonFactory

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def consent(person, actor) -> None:
    consent_record(actor=actor, person=person, scope="network_sharing", given_on=days_ago(30))


def cpi_person(actors, family_name="Diallo", *, with_consent=True):
    """A person the CPI registered (and, by default, who consented to sharing)."""
    person = PersonFactory(
        family_name=family_name,
        created_by_organisation=actors.cpi,
        created_by=actors.cpi_consultant,
    )
    if with_consent:
        consent(person, actors.cpi_consultant)
    return person


def send_to_sds(actors, person, sent_on=None) -> Referral:
    """The CPI sends `person` to the SdS through the service."""
    return referral_send(
        actor=actors.cpi_consultant,
        person=person,
        from_organisation=actors.cpi,
        to_organisation=actors.sds,
        sent_on=sent_on or days_ago(5),
        reason="Bisogni sociali e abitativi",
    )


def send_post(actors, **overrides) -> dict:
    data = {
        "from_organisation": str(actors.sds.pk),
        "to_organisation": str(actors.cpi.pk),
        "sent_on": days_ago(1).isoformat(),
        "reason": "Cerca lavoro, ha bisogno di un orientamento",
    }
    data.update(overrides)
    return data


def error_beside(body: str, field: str) -> str:
    marker = f'id="{field}-error"'
    assert marker in body, f"no error shown beside {field}"
    start = body.index(marker)
    return body[start : body.index("</div>", start)]


# Sending ------------------------------------------------------------------------------------


def test_person_page_offers_to_send_a_referral_and_lists_referrals(actors, person, login):
    consent(person, actors.desk_operator)
    referral_send(
        actor=actors.desk_operator,
        person=person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        sent_on=days_ago(2),
    )
    body = login(actors.desk_operator).get(reverse("people:detail", args=[person.pk]))
    body = body.content.decode()
    assert reverse("desk:referral_create", args=[person.pk]) in body
    assert 'id="person-referrals"' in body and "CPI Pisa" in body


def test_send_form_preselects_my_only_organisation_and_offers_the_others(actors, person, login):
    response = login(actors.desk_operator).get(reverse("desk:referral_create", args=[person.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["from_organisation"].value() == actors.sds.pk
    receivers = set(form.fields["to_organisation"].queryset)
    # My own organisation too: to one of its services, named in "Service or office".
    assert actors.cpi in receivers and actors.sds in receivers


def test_sending_with_consent_records_the_referral_and_returns_to_the_person(actors, person, login):
    consent(person, actors.desk_operator)
    response = login(actors.desk_operator).post(
        reverse("desk:referral_create", args=[person.pk]), send_post(actors)
    )
    assert response.status_code == 302
    assert response.url == reverse("people:detail", args=[person.pk])
    referral = Referral.objects.get()
    assert (referral.person, referral.from_organisation, referral.to_organisation) == (
        person,
        actors.sds,
        actors.cpi,
    )
    assert referral.state == Referral.State.SENT
    assert referral.sent_by == actors.desk_operator and referral.sent_on == days_ago(1)
    assert AuditEvent.objects.filter(
        object_type="desk.referral", action=AuditAction.REFERRAL_CREATE
    ).exists()


def test_sending_without_consent_shows_the_reason_beside_the_field_and_writes_nothing(
    actors, person, login
):
    response = login(actors.desk_operator).post(
        reverse("desk:referral_create", args=[person.pk]), send_post(actors)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "non ha dato il consenso" in error_beside(body, "sharing_basis")
    assert "Cerca lavoro, ha bisogno di un orientamento" in body  # what was typed stays
    assert not Referral.objects.exists()


def test_the_service_refuses_a_referral_without_consent_and_accepts_one_with_it(actors):
    person = cpi_person(actors, with_consent=False)
    with pytest.raises(ValidationError) as error:
        send_to_sds(actors, person)
    assert "sharing_basis" in error.value.message_dict
    assert not Referral.objects.exists()
    consent(person, actors.cpi_consultant)
    assert send_to_sds(actors, person).state == Referral.State.SENT


def test_outsider_cannot_send_a_referral_for_a_person_they_do_not_see(actors, person, login):
    response = login(actors.outsider).get(reverse("desk:referral_create", args=[person.pk]))
    assert response.status_code == 404


# The receiver's inbox -----------------------------------------------------------------------


def test_inbox_lists_the_receiving_organisations_referrals_pending_first_with_counts(actors, login):
    decided = send_to_sds(actors, cpi_person(actors, "Primo"), sent_on=days_ago(1))
    referral_answer(actor=actors.desk_operator, referral=decided, accept=True, on=days_ago(0))
    send_to_sds(actors, cpi_person(actors, "Secondo"), sent_on=days_ago(9))
    response = login(actors.desk_operator).get(reverse("desk:referral_inbox"))
    assert response.status_code == 200
    names = [r.person.family_name for r in response.context["referrals"]]
    assert names == ["Secondo", "Primo"]  # waiting first, although older
    counts = response.context["counts"]
    assert (counts["sent"], counts["accepted"], counts["declined"], counts["total"]) == (
        1,
        1,
        0,
        2,
    )
    assert 'aria-current="page"' in response.content.decode()  # the "received" tab


def test_outsider_sees_no_referral_and_gets_404_on_detail_and_decision(actors, login):
    referral = send_to_sds(actors, cpi_person(actors))
    client = login(actors.outsider)
    inbox = client.get(reverse("desk:referral_inbox"))
    assert inbox.context["referrals"] == []
    assert "Diallo" not in inbox.content.decode()
    assert client.get(reverse("desk:referral_sent")).context["referrals"] == []
    assert client.get(reverse("desk:referral_detail", args=[referral.pk])).status_code == 404
    response = client.post(
        reverse("desk:referral_answer", args=[referral.pk]),
        {"decision": "accept", "on": days_ago(0).isoformat()},
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT


def test_monitoring_officer_sees_no_referral(actors, login):
    referral = send_to_sds(actors, cpi_person(actors))
    client = login(actors.monitoring_officer)
    assert client.get(reverse("desk:referral_inbox")).context["referrals"] == []
    assert client.get(reverse("desk:referral_detail", args=[referral.pk])).status_code == 404


def test_sender_sees_the_status_but_may_not_decide(actors, login):
    referral = send_to_sds(actors, cpi_person(actors))
    referral_answer(
        actor=actors.desk_operator, referral=referral, accept=False, on=days_ago(0), note="Pieno"
    )
    client = login(actors.cpi_consultant)
    sent = client.get(reverse("desk:referral_sent"))
    assert [r.pk for r in sent.context["referrals"]] == [referral.pk]
    assert "Pieno" in sent.content.decode()
    assert client.get(reverse("desk:referral_inbox")).context["referrals"] == []
    detail = client.get(reverse("desk:referral_detail", args=[referral.pk]))
    assert detail.status_code == 200 and "answer_form" not in detail.context
    assert "withdraw_form" not in detail.context  # declined: closed
    fresh = send_to_sds(actors, cpi_person(actors, "Nuovo"))
    response = client.post(
        reverse("desk:referral_answer", args=[fresh.pk]),
        {"decision": "accept", "on": days_ago(0).isoformat()},
    )
    assert response.status_code == 403


def test_anonymous_is_sent_to_the_login_page(actors, client, person):
    referral = send_to_sds(actors, cpi_person(actors))
    for url in [
        reverse("desk:referral_inbox"),
        reverse("desk:referral_sent"),
        reverse("desk:referral_detail", args=[referral.pk]),
        reverse("desk:referral_create", args=[person.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response.url
    response = client.post(reverse("desk:referral_answer", args=[referral.pk]), {})
    assert response.status_code == 302 and reverse("login") in response.url


def test_inbox_query_count_does_not_grow_with_referrals(
    actors, login, django_assert_max_num_queries
):
    client = login(actors.social_worker)
    send_to_sds(actors, cpi_person(actors, "Unico"))
    url = reverse("desk:referral_inbox")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(19):
        referral = send_to_sds(actors, cpi_person(actors, f"Altro{i}"))
        if i % 2:
            referral_answer(
                actor=actors.desk_operator,
                referral=referral,
                accept=False,
                on=days_ago(0),
                note="No",
            )
    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["referrals"]) == 20


# Deciding -----------------------------------------------------------------------------------


def test_social_worker_accepting_opens_a_case_and_lands_on_it(actors, login):
    referral = send_to_sds(actors, cpi_person(actors), sent_on=days_ago(6))
    client = login(actors.social_worker)
    detail = client.get(reverse("desk:referral_detail", args=[referral.pk]))
    assert detail.status_code == 200 and detail.context["form"] is not None
    response = client.post(
        reverse("desk:referral_answer", args=[referral.pk]),
        {"decision": "accept", "on": days_ago(1).isoformat(), "note": ""},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.pk])
    assert case.origin == Origin.REFERRAL and case.referred_on == referral.sent_on
    assert case.person == referral.person and case.organisation == actors.sds
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED
    assert (referral.answered_by, referral.answered_on) == (actors.social_worker, days_ago(1))
    assert client.get(response.url).status_code == 200


def test_another_profile_accepting_records_acceptance_without_a_case(actors, login):
    referral = send_to_sds(actors, cpi_person(actors))
    response = login(actors.desk_operator).post(
        reverse("desk:referral_answer", args=[referral.pk]),
        {"decision": "accept", "on": days_ago(0).isoformat()},
    )
    assert response.status_code == 302
    assert response.url == reverse("desk:referral_detail", args=[referral.pk])
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED
    assert not Case.objects.exists()


def test_refusing_needs_a_note_and_records_it(actors, login):
    referral = send_to_sds(actors, cpi_person(actors))
    client = login(actors.social_worker)
    url = reverse("desk:referral_answer", args=[referral.pk])
    response = client.post(url, {"decision": "decline", "on": days_ago(0).isoformat()})
    assert response.status_code == 200
    error_beside(response.content.decode(), "note")
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT
    response = client.post(
        url,
        {
            "decision": "decline",
            "on": days_ago(0).isoformat(),
            "note": "Non residente nella zona",
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.DECLINED
    assert referral.answer_note == "Non residente nella zona"
    assert not Case.objects.exists()


def test_a_decision_before_the_referral_date_is_refused_beside_the_date(actors, login):
    referral = send_to_sds(actors, cpi_person(actors), sent_on=days_ago(3))
    response = login(actors.social_worker).post(
        reverse("desk:referral_answer", args=[referral.pk]),
        {"decision": "accept", "on": days_ago(4).isoformat()},
    )
    assert response.status_code == 200
    error_beside(response.content.decode(), "on")
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT and not Case.objects.exists()


def test_deciding_twice_is_refused_with_a_message(actors, login):
    referral = send_to_sds(actors, cpi_person(actors))
    referral_answer(actor=actors.desk_operator, referral=referral, accept=True, on=days_ago(0))
    client = login(actors.social_worker)
    response = client.post(
        reverse("desk:referral_answer", args=[referral.pk]),
        {"decision": "decline", "on": days_ago(0).isoformat(), "note": "No"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("desk:referral_detail", args=[referral.pk])
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED


def test_received_selector_is_scoped_to_the_receiving_organisation(actors):
    referral = send_to_sds(actors, cpi_person(actors))
    assert list(referrals_received(actors.social_worker)) == [referral]
    assert list(referrals_received(actors.cpi_consultant)) == []
    assert list(referrals_received(actors.outsider)) == []
    assert list(referrals_received(actors.monitoring_officer)) == []
