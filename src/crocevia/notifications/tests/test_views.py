"""The operator's pages: the inbox (own notifications only, O(1) queries per page), opening
one marks it read, mark read and mark all read (POST), the e-mail preferences, and the
unread count in every page's header (one query)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crocevia.notifications.models import EmailMode, Notification, NotificationKind
from crocevia.notifications.selectors import email_modes_for
from crocevia.notifications.services import notify

pytestmark = pytest.mark.django_db


def _notify(actors, recipient, n=1, kind=NotificationKind.TEAM_ADDED, title="", url="/casi/42/"):
    for i in range(n):
        notify(
            recipients=[recipient],
            kind=kind,
            url=url,
            reference=f"n. {100 + i}",
            title=title,
            actor=actors.coordinator,
        )


def _notification_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "notifications_notification" in q["sql"]]


def test_the_inbox_lists_my_notifications_and_nobody_elses(actors, login):
    _notify(actors, actors.social_worker, title="Per la signora del 42")
    _notify(actors, actors.outsider, title="Segreto di Livorno")
    page = login(actors.social_worker).get(reverse("notifications:inbox"))
    assert page.status_code == 200
    assert "Per la signora del 42" in page.text
    assert "Segreto di Livorno" not in page.text


def test_the_outsider_cannot_open_nor_mark_anothers_notification(actors, login):
    _notify(actors, actors.social_worker)
    notification = Notification.objects.get(recipient=actors.social_worker)
    client = login(actors.outsider)
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    client.post(reverse("notifications:read_all"))
    notification.refresh_from_db()
    assert notification.read_at is None


def test_not_even_an_administrator_reads_anothers_notification(actors, login):
    _notify(actors, actors.social_worker)
    notification = Notification.objects.get(recipient=actors.social_worker)
    client = login(actors.admin)
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404


def test_opening_a_notification_marks_it_read_and_goes_to_the_object(actors, login):
    _notify(actors, actors.social_worker, url="/casi/42/")
    notification = Notification.objects.get()
    response = login(actors.social_worker).get(
        reverse("notifications:open", args=[notification.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == "/casi/42/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_one_read_is_a_post_and_keeps_the_filters(actors, login):
    _notify(actors, actors.social_worker, n=2)
    first, second = Notification.objects.order_by("pk")
    client = login(actors.social_worker)
    url = reverse("notifications:read", args=[first.pk])
    assert client.get(url).status_code == 405
    back = reverse("notifications:inbox") + "?unread=1"
    response = client.post(url, {"next": back})
    assert response["Location"] == back
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    # The unread filter no longer lists it.
    page = client.get(back)
    assert "n. 100" not in page.text
    assert "n. 101" in page.text


def test_mark_read_never_sends_elsewhere(actors, login):
    _notify(actors, actors.social_worker)
    notification = Notification.objects.get()
    response = login(actors.social_worker).post(
        reverse("notifications:read", args=[notification.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:inbox")


def test_mark_all_read(actors, login):
    _notify(actors, actors.social_worker, n=3)
    _notify(actors, actors.cpi_consultant)
    client = login(actors.social_worker)
    assert client.get(reverse("notifications:read_all")).status_code == 405
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(
        recipient=actors.social_worker, read_at__isnull=True
    ).exists()
    assert Notification.objects.get(recipient=actors.cpi_consultant).read_at is None


def test_mark_all_read_needs_the_csrf_token(actors, client):
    from django.test import Client

    _notify(actors, actors.social_worker)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(actors.social_worker)
    assert strict.post(reverse("notifications:read_all")).status_code == 403
    assert Notification.objects.get().read_at is None


def test_the_inbox_filters_by_kind(actors, login):
    _notify(actors, actors.social_worker, kind=NotificationKind.TEAM_ADDED, title="equipe")
    _notify(actors, actors.social_worker, kind=NotificationKind.PLAN_RETURNED, title="piano")
    page = login(actors.social_worker).get(reverse("notifications:inbox") + "?kind=plan_returned")
    assert "piano" in page.text
    assert "equipe" not in page.text


def test_the_inbox_is_paginated_newest_first(actors, login):
    _notify(actors, actors.social_worker, n=30)
    client = login(actors.social_worker)
    first = client.get(reverse("notifications:inbox"))
    assert "n. 129" in first.text
    assert "n. 100<" not in first.text and "n. 100 " not in first.text
    second = client.get(reverse("notifications:inbox") + "?page=2")
    assert "n. 100" in second.text


def test_the_inbox_costs_the_same_queries_for_3_or_60_notifications(actors, login):
    client = login(actors.social_worker)
    _notify(actors, actors.social_worker, n=3)
    client.get(reverse("notifications:inbox"))  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:inbox"))
    _notify(actors, actors.social_worker, n=57)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("notifications:inbox") + "?page=2")
    assert len(many) == len(few)
    assert len(few) <= 12
    # The header's count, the page's count and its rows (with their actor).
    assert len(_notification_queries(few.captured_queries)) == 3


def test_the_header_shows_the_unread_count_in_one_query(actors, login):
    _notify(actors, actors.social_worker, n=4)
    client = login(actors.social_worker)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("accounts:account"))
    assert '<span class="badge bg-white text-primary" id="unread-count">4</span>' in page.text
    assert len(_notification_queries(queries.captured_queries)) == 1


def test_the_header_says_99_plus_past_99(actors, login):
    Notification.objects.bulk_create(
        Notification(recipient=actors.social_worker, kind="team_added", url="/", reference="n. 1")
        for _ in range(120)
    )
    page = login(actors.social_worker).get(reverse("accounts:account"))
    assert 'id="unread-count">99+</span>' in page.text


def test_no_unread_count_when_all_is_read(actors, login):
    page = login(actors.social_worker).get(reverse("accounts:account"))
    assert 'id="unread-count"' not in page.text
    assert 'id="header-notifications"' in page.text


def test_the_preferences_page_saves_a_choice_per_kind(actors, login):
    client = login(actors.cpi_consultant)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    values = {kind: EmailMode.IMMEDIATE for kind in NotificationKind.values}
    values[NotificationKind.REFERRAL_RECEIVED] = EmailMode.DIGEST
    values[NotificationKind.REVIEW_OVERDUE] = EmailMode.NONE
    response = client.post(reverse("notifications:preferences"), values)
    assert response.status_code == 302
    modes = email_modes_for(actors.cpi_consultant)
    assert modes[NotificationKind.REFERRAL_RECEIVED] == EmailMode.DIGEST
    assert modes[NotificationKind.REVIEW_OVERDUE] == EmailMode.NONE
    assert modes[NotificationKind.TEAM_ADDED] == EmailMode.IMMEDIATE
    # Someone else's preferences are untouched.
    assert email_modes_for(actors.social_worker)[NotificationKind.REFERRAL_RECEIVED] == (
        EmailMode.IMMEDIATE
    )


def test_a_bad_preference_is_refused_with_the_form_shown_again(actors, login):
    client = login(actors.cpi_consultant)
    values = {kind: EmailMode.IMMEDIATE for kind in NotificationKind.values}
    values[NotificationKind.TEAM_ADDED] = "weekly"
    response = client.post(reverse("notifications:preferences"), values)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert email_modes_for(actors.cpi_consultant)[NotificationKind.TEAM_ADDED] == (
        EmailMode.IMMEDIATE
    )


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
