"""The notifications' test world: a real SMTP server (aiosmtpd) on a free local port that
the mail goes to, and the database worker run in this process."""

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from crocevia.accounts.models import User

from .support import Mailbox, free_port


@pytest.fixture
def smtp_server(settings):
    """A local SMTP server that the application's mail goes to; yields its Mailbox."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_TIMEOUT = 10
    settings.CROCEVIA_BASE_URL = "https://crocevia.example.org"
    mailbox.port = port
    mailbox.controller = controller
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def run_worker(monkeypatch):
    """run_worker() -> how many jobs ran: the database backend's own worker, in batch mode
    (every job ready now, then it returns), in this process.

    The worker closes old connections between jobs, as a long-running process must; in a
    test that would close the test's transaction, so that call is left out here."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def _run() -> int:
        before = DBTaskResult.objects.exclude(status="READY").count()
        db_worker.Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()
        return DBTaskResult.objects.exclude(status="READY").count() - before

    return _run


@pytest.fixture
def due_now():
    """due_now(): bring the retries' time forward (every job waiting is due now)."""

    def _due() -> int:
        return DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())

    return _due


@pytest.fixture
def with_email(actors):
    """The cast with e-mail addresses (the factories give none)."""
    for user in User.objects.filter(pk__in=[u.pk for u in _cast(actors)]):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    for user in _cast(actors):
        user.email = f"{user.username}@example.org"
    return actors


def _cast(actors):
    return [
        actors.desk_operator,
        actors.social_worker,
        actors.cpi_consultant,
        actors.coordinator,
        actors.outsider,
        actors.monitoring_officer,
        actors.admin,
    ]
