"""The notifications' test world: a real SMTP server (aiosmtpd) on a free local port that
the mail goes to, and the database worker run in this process."""

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crocevia.accounts.models import User
from crocevia.testing import run_queued_jobs

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
def run_worker():
    """run_worker() -> how many jobs ran: the database backend's own worker, in batch mode
    (every job ready now, then it returns), in this process (crocevia.testing)."""
    return run_queued_jobs


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
