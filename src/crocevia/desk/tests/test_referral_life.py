"""One referral for every send-on (issue 18): its states, the desk outcome kept in step,
the sharing basis asked in the same step, overdue answers, the queues."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.core.dates import working_days_before
from crocevia.desk import services
from crocevia.desk.models import Contact, Referral
from crocevia.desk.referrals import (
    answer_due_before,
    is_overdue,
    notify_overdue_referrals,
    referral_answer,
    referral_complete,
    referral_send,
    referral_withdraw,
    sync_imported_contact_referrals,
)
from crocevia.notifications.models import Notification
from crocevia.people.models import Consent
from crocevia.people.selectors import persons_visible_to
from crocevia.testing import PersonFactory, make_case

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def send(actors, person, *, sent_on=None, **kwargs) -> Referral:
    """The SdS desk sends `person` to the CPI; the person consents in the same step."""
    return referral_send(
        actor=actors.desk_operator,
        person=person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        sent_on=sent_on or days_ago(1),
        reason="Orientamento al lavoro",
        consent_now=True,
        **kwargs,
    )


# --- the states ------------------------------------------------------------------------------


def test_a_referral_goes_sent_accepted_completed_with_its_history(actors, person, login):
    referral = send(actors, person, sent_on=days_ago(3))
    assert Consent.objects.filter(person=person, scope="network_sharing").count() == 1
    accepted = referral_answer(
        actor=actors.cpi_consultant, referral=referral, accept=True, on=days_ago(2)
    )
    assert accepted.state == "accepted" and accepted.opened_case is None
    done = referral_complete(
        actor=actors.cpi_consultant, referral=referral, on=days_ago(0), note="Iscritta al corso"
    )
    assert (done.state, done.completed_on, done.completed_by) == (
        "completed",
        days_ago(0),
        actors.cpi_consultant,
    )
    actions = list(
        AuditEvent.objects.filter(object_type="desk.referral", object_id=str(referral.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.REFERRAL_CREATE,
        AuditAction.REFERRAL_ACCEPT,
        AuditAction.REFERRAL_COMPLETE,
    ]
    page = login(actors.desk_operator).get(reverse("desk:referral_detail", args=[referral.pk]))
    history = page.content.decode().split('id="referral-history"')[1].split("</ol>")[0]
    assert "Iscritta al corso" in history
    assert days_ago(2).strftime("%d/%m/%Y") in history


def test_completing_needs_an_accepted_referral_and_what_was_done(actors, person):
    referral = send(actors, person)
    with pytest.raises(ValidationError) as error:
        referral_complete(actor=actors.cpi_consultant, referral=referral, on=days_ago(0), note="x")
    assert "__all__" in error.value.message_dict
    referral_answer(actor=actors.cpi_consultant, referral=referral, accept=True, on=days_ago(0))
    with pytest.raises(ValidationError) as error:
        referral_complete(actor=actors.cpi_consultant, referral=referral, on=days_ago(0), note=" ")
    assert set(error.value.message_dict) == {"note"}
    with pytest.raises(PermissionDenied):
        referral_complete(actor=actors.desk_operator, referral=referral, on=days_ago(0), note="x")
    assert Referral.objects.get().state == "accepted"


def test_declining_needs_a_reason(actors, person):
    referral = send(actors, person)
    with pytest.raises(ValidationError) as error:
        referral_answer(
            actor=actors.cpi_consultant, referral=referral, accept=False, on=days_ago(0)
        )
    assert set(error.value.message_dict) == {"note"}
    declined = referral_answer(
        actor=actors.cpi_consultant,
        referral=referral,
        accept=False,
        on=days_ago(0),
        note="Non residente",
    )
    assert (declined.state, declined.answer_note) == ("declined", "Non residente")


def test_only_the_sender_withdraws_an_open_referral(actors, person, login):
    referral = send(actors, person)
    with pytest.raises(PermissionDenied):
        referral_withdraw(actor=actors.cpi_consultant, referral=referral, on=days_ago(0), note="x")
    client = login(actors.desk_operator)
    url = reverse("desk:referral_withdraw", args=[referral.pk])
    response = client.post(url, {"on": days_ago(0).isoformat(), "note": ""})
    assert response.status_code == 200 and 'id="note-error"' in response.content.decode()
    response = client.post(url, {"on": days_ago(0).isoformat(), "note": "Trasferita a Lucca"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.state, referral.withdrawal_note) == ("withdrawn", "Trasferita a Lucca")
    # Closed: nothing more to answer; the receiver is told so.
    response = login(actors.cpi_consultant).post(
        reverse("desk:referral_answer", args=[referral.pk]),
        {"decision": "accept", "on": days_ago(0).isoformat()},
    )
    assert response.status_code == 302
    assert Referral.objects.get().state == "withdrawn"


def test_the_receiver_may_not_withdraw_through_the_page(actors, person, login):
    referral = send(actors, person)
    response = login(actors.cpi_consultant).post(
        reverse("desk:referral_withdraw", args=[referral.pk]),
        {"on": days_ago(0).isoformat(), "note": "no"},
    )
    assert response.status_code == 403


# --- the sharing basis -----------------------------------------------------------------------


def test_a_legal_basis_needs_its_reference_and_records_no_consent(actors, person):
    with pytest.raises(ValidationError) as error:
        referral_send(
            actor=actors.desk_operator,
            person=person,
            from_organisation=actors.sds,
            to_organisation=actors.cpi,
            sent_on=days_ago(0),
            sharing_basis="legal_obligation",
        )
    assert set(error.value.message_dict) == {"sharing_note"}
    referral = referral_send(
        actor=actors.desk_operator,
        person=person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        sent_on=days_ago(0),
        sharing_basis="vital_interest",
        sharing_note="Persona non in grado di esprimere il consenso",
    )
    assert referral.sharing_basis == "vital_interest"
    assert not Consent.objects.filter(person=person).exists()


def test_a_basis_outside_the_closed_list_is_refused(actors, person):
    with pytest.raises(ValidationError) as error:
        referral_send(
            actor=actors.desk_operator,
            person=person,
            from_organisation=actors.sds,
            to_organisation=actors.cpi,
            sent_on=days_ago(0),
            sharing_basis="register",
        )
    assert set(error.value.message_dict) == {"sharing_basis"}
    assert not Referral.objects.exists()


def test_a_service_of_my_own_organisation_needs_no_consent(actors, person):
    referral = referral_send(
        actor=actors.desk_operator,
        person=person,
        from_organisation=actors.sds,
        to_organisation=actors.sds,
        to_service="Servizio sociale professionale",
        sent_on=days_ago(0),
    )
    assert referral.sharing_basis == "same_organisation"
    assert referral.receiver_label == "SdS Zona Pisana – Servizio sociale professionale"


def test_the_send_page_offers_the_notice_and_records_the_consent_given_there(actors, person, login):
    client = login(actors.desk_operator)
    url = reverse("desk:referral_create", args=[person.pk])
    page = client.get(url).content.decode()
    notice = reverse("people:consent_notice", args=[person.pk])
    assert notice in page
    assert client.get(notice).status_code == 200
    response = client.post(
        url,
        {
            "from_organisation": actors.sds.pk,
            "to_organisation": actors.cpi.pk,
            "sent_on": days_ago(0).isoformat(),
            "reason": "Lavoro",
            "sharing_basis": "consent",
            "consent_now": "on",
        },
    )
    assert response.status_code == 302
    assert Referral.objects.get().sharing_basis == "consent"
    consent = Consent.objects.get(person=person, scope="network_sharing")
    assert consent.collected_by == actors.desk_operator


# --- the desk outcome ------------------------------------------------------------------------


def test_the_desk_outcome_follows_its_contact_until_answered(actors, person, record):
    contact = record(
        person,
        services=["job_search"],
        outcome="referred",
        referred_to=actors.cpi,
        consent_now=True,
    )
    referral = Referral.objects.get(contact=contact)
    assert (referral.origin, referral.to_organisation) == ("desk", actors.cpi)
    # Corrected before the answer: the referral follows.
    services.contact_update(
        actor=actors.desk_operator, contact=contact, referred_to=actors.other_org
    )
    referral.refresh_from_db()
    assert referral.to_organisation == actors.other_org and referral.state == "sent"
    # No longer a referral: withdrawn, not deleted.
    contact = Contact.objects.get(pk=contact.pk)
    services.contact_update(
        actor=actors.desk_operator, contact=contact, outcome="solved", referred_to=None
    )
    referral.refresh_from_db()
    assert referral.state == "withdrawn"
    assert Referral.objects.count() == 1


def test_an_answered_desk_referral_keeps_its_contact_outcome(actors, person, record):
    contact = record(
        person,
        services=["job_search"],
        outcome="referred",
        referred_to=actors.cpi,
        consent_now=True,
    )
    referral = Referral.objects.get(contact=contact)
    referral_answer(actor=actors.cpi_consultant, referral=referral, accept=True, on=days_ago(0))
    with pytest.raises(ValidationError) as error:
        services.contact_update(
            actor=actors.desk_operator, contact=contact, outcome="solved", referred_to=None
        )
    assert "outcome" in error.value.message_dict
    contact.refresh_from_db()
    assert contact.outcome == "referred"


def test_an_imported_register_makes_its_referrals_once(actors, person):
    rows = [
        {
            "external_id": f"reg-{n}",
            "person_id": person.pk,
            "desk_id": actors.desk.pk,
            "date": days_ago(n + 1),
            "outcome": "referred",
            "referred_to_id": actors.cpi.pk if n else None,
            "services": ["referral_public_services"],
        }
        for n in range(3)
    ]
    services.contacts_import_bulk(actor=None, rows=rows)
    assert sync_imported_contact_referrals(actor=None) == 3
    assert sync_imported_contact_referrals(actor=None) == 0
    unnamed = Referral.objects.get(contact__external_id="reg-0")
    assert unnamed.to_organisation is None and unnamed.sharing_basis == "register"
    assert unnamed.receiver_label == "ente non indicato"  # the Italian of "organisation not named"
    assert Referral.objects.filter(to_organisation=actors.cpi, state="sent").count() == 2


# --- overdue answers and the queues ----------------------------------------------------------


def test_working_days_skip_weekends_and_national_holidays():
    # From Monday 5 January 2026: Friday 2 (the weekend skipped), Wednesday 31 December
    # (1 January a holiday), 30, 29, then 26 and 25 December are holidays: Wednesday 24.
    assert working_days_before(datetime.date(2026, 1, 5), 1) == datetime.date(2026, 1, 2)
    assert working_days_before(datetime.date(2026, 1, 5), 5) == datetime.date(2025, 12, 24)


def test_an_answer_is_overdue_after_the_configured_working_days(actors, person, settings):
    settings.CROCEVIA_REFERRAL_ANSWER_WORKING_DAYS = 5
    late = send(actors, person, sent_on=answer_due_before() - datetime.timedelta(days=1))
    on_time = send(actors, PersonFactory(created_by_organisation=actors.sds), sent_on=days_ago(0))
    assert is_overdue(late) and not is_overdue(on_time)
    referral_answer(actor=actors.cpi_consultant, referral=late, accept=True, on=days_ago(0))
    late.refresh_from_db()
    assert not is_overdue(late)


def test_both_queues_show_and_filter_overdue_answers(actors, person, login):
    late = send(actors, person, sent_on=answer_due_before() - datetime.timedelta(days=2))
    send(actors, PersonFactory(created_by_organisation=actors.sds), sent_on=days_ago(0))
    for user, name in [
        (actors.cpi_consultant, "desk:referral_inbox"),
        (actors.desk_operator, "desk:referral_sent"),
    ]:
        client = login(user)
        response = client.get(reverse(name))
        assert response.context["counts"]["overdue"] == 1
        assert response.context["counts"]["sent"] == 2
        overdue = client.get(reverse(name), {"overdue": "on"})
        assert [r.pk for r in overdue.context["referrals"]] == [late.pk]
        assert "Risposta in ritardo" in overdue.content.decode()


def test_the_inbox_pages_in_a_constant_number_of_queries(actors, login):
    client = login(actors.cpi_consultant)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("desk:referral_inbox")).status_code == 200
        return len(ctx)

    send(actors, PersonFactory(created_by_organisation=actors.sds))
    with_one = queries()
    for _ in range(60):
        send(actors, PersonFactory(created_by_organisation=actors.sds))
    assert queries() == with_one
    page_two = client.get(reverse("desk:referral_inbox"), {"page": 2})
    assert len(page_two.context["referrals"]) == 11
    assert page_two.context["page"].paginator.count == 61


# --- the seams (review of issue 18) ------------------------------------------------------------


def test_consent_given_when_the_receiver_changes_is_recorded(actors, record, today):
    person = PersonFactory(created_by_organisation=actors.sds)
    contact = record(person, services=["job_search"], outcome="referred", referred_to=actors.sds)
    assert Referral.objects.get(contact=contact).sharing_basis == "same_organisation"
    services.contact_update(
        actor=actors.desk_operator, contact=contact, referred_to=actors.cpi, consent_now=True
    )
    referral = Referral.objects.get(contact=contact)
    assert (referral.to_organisation, referral.sharing_basis) == (actors.cpi, "consent")
    assert Consent.objects.get(person=person, scope="network_sharing").given_on == today


def test_a_withdrawn_desk_referral_stays_withdrawn_until_the_contact_refers_again(
    actors, person, record
):
    contact = record(
        person,
        services=["job_search"],
        outcome="referred",
        referred_to=actors.cpi,
        consent_now=True,
    )
    referral = Referral.objects.get(contact=contact)
    referral_withdraw(actor=actors.desk_operator, referral=referral, on=days_ago(0), note="Errore")
    # Editing the contact's notes or day leaves it withdrawn by its sender.
    services.contact_update(actor=actors.desk_operator, contact=contact, notes="Telefonato")
    assert Referral.objects.get(pk=referral.pk).state == "withdrawn"
    # Sent to another receiver: sent again (the only referral of the contact).
    contact = Contact.objects.get(pk=contact.pk)
    services.contact_update(
        actor=actors.desk_operator, contact=contact, referred_to=actors.other_org
    )
    referral.refresh_from_db()
    assert (referral.state, referral.to_organisation, referral.withdrawn_on) == (
        "sent",
        actors.other_org,
        None,
    )
    assert Referral.objects.filter(contact=contact).count() == 1


def test_an_answered_referral_lets_its_contact_change_but_not_its_outcome(actors, person, record):
    contact = record(
        person,
        services=["job_search"],
        outcome="referred",
        referred_to=actors.cpi,
        consent_now=True,
    )
    referral = Referral.objects.get(contact=contact)
    referral_answer(actor=actors.cpi_consultant, referral=referral, accept=True, on=days_ago(0))
    services.contact_update(actor=actors.desk_operator, contact=contact, notes="Richiamata")
    assert Contact.objects.get(pk=contact.pk).notes == "Richiamata"


def test_accepting_for_a_person_with_an_open_case_joins_it(actors):
    case = make_case(actors, stage="preassessed")
    referral = referral_send(
        actor=actors.cpi_consultant,
        person=case.person,
        from_organisation=actors.cpi,
        to_organisation=actors.sds,
        sent_on=days_ago(1),
    )
    answered = referral_answer(
        actor=actors.social_worker, referral=referral, accept=True, on=days_ago(0)
    )
    assert answered.opened_case is None and answered.case == case
    assert Referral.objects.get(pk=referral.pk).case == case


def test_nobody_answers_a_referral_to_an_organisation_not_named(actors, person):
    unnamed = Referral.objects.create(
        person=person,
        from_organisation=actors.sds,
        origin="import",
        sent_on=days_ago(30),
        sharing_basis="register",
    )
    with pytest.raises(PermissionDenied):
        referral_answer(actor=actors.admin, referral=unnamed, accept=True, on=days_ago(0))
    assert not is_overdue(unnamed)


def test_monitoring_officers_answer_nothing(actors, person):
    referral = send(actors, person)
    with pytest.raises(PermissionDenied):
        referral_answer(
            actor=actors.monitoring_officer, referral=referral, accept=True, on=days_ago(0)
        )


def test_a_registers_referral_does_not_open_the_persons_record(actors):
    person = PersonFactory(created_by_organisation=actors.sds)
    Referral.objects.create(
        person=person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        origin="import",
        sent_on=days_ago(3),
        sharing_basis="register",
    )
    assert not persons_visible_to(actors.cpi_consultant).filter(pk=person.pk).exists()
    send(actors, person)  # with the consent given in the step
    assert persons_visible_to(actors.cpi_consultant).filter(pk=person.pk).exists()


def test_only_referrals_late_lately_are_told_of(actors, person):
    due = answer_due_before()
    recent = send(actors, person, sent_on=due - datetime.timedelta(days=1))
    ancient = send(actors, PersonFactory(created_by_organisation=actors.sds), sent_on=days_ago(400))
    assert notify_overdue_referrals() == 1
    assert Notification.objects.filter(
        kind="referral_overdue", url__endswith=f"/{recent.pk}/"
    ).exists()
    assert not Notification.objects.filter(
        url__endswith=f"/{ancient.pk}/", kind="referral_overdue"
    ).exists()
    assert is_overdue(Referral.objects.get(pk=ancient.pk))  # still in both queues
