"""E-mail of notifications: sent by the worker after the commit, to a real SMTP server,
retried when it fails, gathered in a daily digest, never carrying names or case data."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crocevia.cases.services import team_member_add
from crocevia.notifications.models import EmailMode, EmailState, Notification, NotificationKind
from crocevia.notifications.services import notification_preferences_set, notify
from crocevia.notifications.tasks import send_emails
from crocevia.testing import days_ago, make_case, make_person

from .support import free_port

pytestmark = pytest.mark.django_db


def _notify(actors, *recipients, kind=NotificationKind.REFERRAL_RECEIVED, **extra):
    return notify(
        recipients=recipients or [actors.cpi_consultant],
        kind=kind,
        url="/casi/42/",
        reference="n. 42",
        actor=actors.desk_operator,
        **extra,
    )


def test_the_mail_is_sent_by_the_worker_not_by_the_request(with_email, smtp_server, run_worker):
    [notification] = _notify(with_email)
    assert smtp_server.messages == []
    assert notification.email_state == EmailState.PENDING
    assert run_worker() == 1
    [message] = smtp_server.messages
    assert message["To"] == "consulente@example.org"
    notification.refresh_from_db()
    assert notification.email_state == EmailState.SENT
    assert notification.emailed_at is not None
    assert notification.email_attempts == 1


def test_the_worker_sends_nothing_twice(with_email, smtp_server, run_worker):
    [notification] = _notify(with_email)
    run_worker()
    # The same job again (a worker that died after sending and before recording it).
    send_emails.enqueue([notification.pk])
    run_worker()
    assert len(smtp_server.messages) == 1


def test_the_mail_carries_the_link_and_the_reference_never_names_or_case_data(
    with_email, smtp_server, run_worker
):
    actors = with_email
    person = make_person(actors, family_name="Diallo", given_names="Fatoumata")
    case = make_case(actors, person=person, stage="preassessed")
    member = team_member_add(
        actor=actors.social_worker,
        case=case,
        user=actors.coordinator,
        organisation=actors.sds,
        role="coordinator",
        on=days_ago(1),
    )
    assert member.pk
    # A caller that puts a name in the title: shown in the application, never mailed.
    _notify(actors, actors.coordinator, title="Fatoumata Diallo, diabete di tipo 2")
    run_worker()
    mails = smtp_server.to("coordinatore@example.org")
    assert len(mails) == 2
    notification = Notification.objects.get(
        recipient=actors.coordinator, kind=NotificationKind.TEAM_ADDED
    )
    link = "https://crocevia.example.org" + reverse("notifications:open", args=[notification.pk])
    team_mail = next(m for m in mails if f"n. {case.pk}" in m["Subject"])
    body = smtp_server.body(team_mail)
    assert link in body
    assert f"n. {case.pk}" in body
    for mail in mails:
        text = (mail["Subject"] + "\n" + smtp_server.body(mail)).lower()
        for secret in ("fatoumata", "diallo", "diabete", "bracciante", "anna", "operatrice"):
            assert secret not in text
        # Every link in the mail points to the application, nowhere else.
        for url in re.findall(r"https?://\S+", text):
            assert url.startswith("https://crocevia.example.org/notifiche/")


def test_the_subject_names_the_kind_and_the_reference(with_email, smtp_server, run_worker):
    _notify(with_email)
    run_worker()
    [message] = smtp_server.messages
    assert str(NotificationKind.REFERRAL_RECEIVED.label) in message["Subject"]
    assert "n. 42" in message["Subject"]


def test_a_refused_mail_is_retried_later_and_then_sent(
    with_email, smtp_server, run_worker, due_now
):
    [notification] = _notify(with_email)
    smtp_server.refuse = True
    run_worker()
    notification.refresh_from_db()
    assert notification.email_state == EmailState.PENDING
    assert notification.email_attempts == 1
    assert "451" in notification.email_error
    # The retry waits (backoff): a worker running now does not take it.
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > retry.enqueued_at
    assert run_worker() == 0
    smtp_server.refuse = False
    due_now()
    assert run_worker() == 1
    notification.refresh_from_db()
    assert notification.email_state == EmailState.SENT
    assert notification.email_attempts == 2
    assert len(smtp_server.messages) == 1


def test_a_server_that_is_down_is_retried_too(with_email, smtp_server, run_worker, settings):
    [notification] = _notify(with_email)
    settings.EMAIL_PORT = free_port()  # nothing listens there
    run_worker()
    notification.refresh_from_db()
    assert notification.email_state == EmailState.PENDING
    assert "Connection" in notification.email_error or "refused" in notification.email_error


def test_the_last_failure_is_recorded_and_shown_to_the_administrator(
    with_email, smtp_server, run_worker, due_now, settings, login
):
    settings.CROCEVIA_NOTIFY_MAX_ATTEMPTS = 2
    [notification] = _notify(with_email)
    smtp_server.refuse = True
    run_worker()
    due_now()
    run_worker()
    notification.refresh_from_db()
    assert notification.email_state == EmailState.FAILED
    assert notification.email_attempts == 2
    # No third attempt is scheduled.
    assert not DBTaskResult.objects.filter(status="READY").exists()
    failed_job = DBTaskResult.objects.get(status="FAILED")
    assert "DeliveryFailed" in failed_job.exception_class_path
    assert f"notification {notification.pk}" in failed_job.traceback
    client = login(with_email.admin)
    page = client.get(
        reverse("admin:notifications_notification_changelist") + "?email_state__exact=failed"
    )
    assert page.status_code == 200
    assert "n. 42" in page.text
    detail = client.get(reverse("admin:notifications_notification_change", args=[notification.pk]))
    assert "451" in detail.text
    jobs = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert jobs.status_code == 200
    assert "send_emails" in jobs.text
    job = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed_job.pk])
    )
    assert "DeliveryFailed" in job.text


def test_the_actor_is_never_told_of_their_own_action(with_email, smtp_server, run_worker):
    created = _notify(with_email, with_email.desk_operator, with_email.cpi_consultant)
    assert [n.recipient_id for n in created] == [with_email.cpi_consultant.pk]


def test_an_operator_without_an_address_is_told_in_the_application_only(actors, run_worker):
    [notification] = _notify(actors)  # the factories give no e-mail address
    assert notification.email_state == EmailState.NONE
    assert not DBTaskResult.objects.exists()


def test_digest_mode_waits_for_the_daily_digest_which_sends_once(
    with_email, smtp_server, run_worker
):
    actors = with_email
    notification_preferences_set(
        actor=actors.cpi_consultant,
        modes={
            NotificationKind.REFERRAL_RECEIVED: EmailMode.DIGEST,
            NotificationKind.PLAN_TO_VALIDATE: EmailMode.DIGEST,
        },
    )
    _notify(actors)
    _notify(actors, kind=NotificationKind.PLAN_TO_VALIDATE)
    _notify(actors, actors.social_worker)  # immediate by default
    run_worker()
    assert [m["To"] for m in smtp_server.messages] == ["assistente@example.org"]
    call_command("notifications_digest", stdout=io.StringIO())
    digests = smtp_server.to("consulente@example.org")
    assert len(digests) == 1
    body = smtp_server.body(digests[0])
    assert "2 nuove notifiche" in body or "2 new notifications" in body
    assert body.count("n. 42") == 2
    assert set(
        Notification.objects.filter(recipient=actors.cpi_consultant).values_list(
            "email_state", flat=True
        )
    ) == {EmailState.SENT}
    # Idempotent: a second run (twice a day by mistake, or a retried job) sends nothing.
    call_command("notifications_digest", stdout=io.StringIO())
    assert len(smtp_server.messages) == 2


def test_a_failed_digest_stays_pending_and_goes_with_the_next_run(with_email, smtp_server):
    actors = with_email
    notification_preferences_set(
        actor=actors.cpi_consultant, modes={NotificationKind.REFERRAL_RECEIVED: EmailMode.DIGEST}
    )
    [notification] = _notify(actors)
    smtp_server.refuse = True
    call_command("notifications_digest", stdout=io.StringIO())
    notification.refresh_from_db()
    assert notification.email_state == EmailState.PENDING
    smtp_server.refuse = False
    call_command("notifications_digest", stdout=io.StringIO())
    notification.refresh_from_db()
    assert notification.email_state == EmailState.SENT
    assert len(smtp_server.messages) == 1


def test_the_digest_as_a_job(with_email, smtp_server, run_worker):
    actors = with_email
    notification_preferences_set(
        actor=actors.cpi_consultant, modes={NotificationKind.REFERRAL_RECEIVED: EmailMode.DIGEST}
    )
    _notify(actors)
    call_command("notifications_digest", "--enqueue", stdout=io.StringIO())
    assert smtp_server.messages == []
    run_worker()
    assert len(smtp_server.messages) == 1


def test_no_email_mode_never_mails(with_email, smtp_server, run_worker):
    actors = with_email
    notification_preferences_set(
        actor=actors.cpi_consultant, modes={NotificationKind.REFERRAL_RECEIVED: EmailMode.NONE}
    )
    [notification] = _notify(actors)
    run_worker()
    call_command("notifications_digest", stdout=io.StringIO())
    assert smtp_server.messages == []
    assert notification.email_state == EmailState.NONE


def test_a_mail_left_half_sent_by_a_dead_worker_is_sent_again(with_email, smtp_server, run_worker):
    [notification] = _notify(with_email)
    # A worker claimed it an hour ago and died before sending.
    Notification.objects.filter(pk=notification.pk).update(
        email_state=EmailState.SENDING,
        email_attempts=1,
        email_claimed_at=timezone.now() - datetime.timedelta(hours=1),
    )
    DBTaskResult.objects.all().delete()
    call_command("notifications_digest", stdout=io.StringIO())
    run_worker()
    notification.refresh_from_db()
    assert notification.email_state == EmailState.SENT
    assert len(smtp_server.messages) == 1
