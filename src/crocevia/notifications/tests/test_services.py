"""`notify`, the service other apps call: validated, bulk (O(1) queries whatever the
number of recipients), one e-mail job per call."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from crocevia.accounts.models import Profile
from crocevia.notifications.models import Notification, NotificationKind
from crocevia.notifications.services import notify
from crocevia.testing import make_member

pytestmark = pytest.mark.django_db


def _team(actors, n, prefix="op"):
    return [
        make_member(f"{prefix}{i}", actors.sds, Profile.SOCIAL_WORKER, email=f"{prefix}{i}@x.org")
        for i in range(n)
    ]


def _send(actors, recipients):
    return notify(
        recipients=recipients,
        kind=NotificationKind.PLAN_TO_VALIDATE,
        url="/piani/3/",
        reference="n. 3",
        actor=actors.social_worker,
    )


def test_notify_costs_the_same_queries_for_2_or_40_recipients(actors):
    few, many = _team(actors, 2, "few"), _team(actors, 40, "many")
    with CaptureQueriesContext(connection) as two:
        _send(actors, few)
    with CaptureQueriesContext(connection) as forty:
        _send(actors, many)
    assert len(two) == len(forty)
    assert Notification.objects.count() == 42
    # One job per call, naming every immediate notification of it.
    assert DBTaskResult.objects.count() == 2
    assert sorted(len(job.args_kwargs["args"][0]) for job in DBTaskResult.objects.all()) == [2, 40]


def test_inactive_operators_and_duplicates_are_left_out(actors):
    active, gone = _team(actors, 2)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    created = _send(actors, [active, active.pk, gone])
    assert [n.recipient_id for n in created] == [active.pk]


def test_nobody_to_tell_writes_nothing(actors):
    assert _send(actors, [actors.social_worker]) == []
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize(
    "url", ["https://evil.example/casi/1/", "//evil.example/", "casi/1/", "/\\evil.example"]
)
def test_a_link_outside_the_application_is_refused(actors, url):
    with pytest.raises(ValidationError):
        notify(
            recipients=[actors.cpi_consultant],
            kind=NotificationKind.TEAM_ADDED,
            url=url,
            reference="n. 1",
        )
    assert not Notification.objects.exists()


def test_an_unknown_kind_or_an_empty_reference_is_refused(actors):
    with pytest.raises(ValidationError):
        notify(recipients=[actors.cpi_consultant], kind="gossip", url="/", reference="n. 1")
    with pytest.raises(ValidationError):
        notify(recipients=[actors.cpi_consultant], kind="team_added", url="/", reference="")
