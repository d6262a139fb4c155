"""The report counts referrals by the receiver's kind of organisation and state (issue
18): on the page and in its files, never in the contract's JSON."""

import datetime

import pytest
from django.urls import reverse

from crocevia.desk.models import Referral
from crocevia.desk.referrals import referral_answer, referral_send
from crocevia.reporting.indicators import NOT_NAMED, Scope, build_report, referral_counts
from crocevia.testing import days_ago, make_person

pytestmark = pytest.mark.django_db


def _send(actors, person, to, day):
    return referral_send(
        actor=actors.desk_operator,
        person=person,
        from_organisation=actors.sds,
        to_organisation=to,
        sent_on=day,
    )


def test_counts_by_receiver_kind_and_state(actors, login):
    person = make_person(actors)
    accepted = _send(actors, person, actors.cpi, days_ago(3))
    referral_answer(actor=actors.cpi_consultant, referral=accepted, accept=True, on=days_ago(2))
    _send(actors, person, actors.cpi, days_ago(2))
    _send(actors, person, actors.other_org, days_ago(1))
    Referral.objects.create(
        person=person,
        from_organisation=actors.sds,
        to_organisation=None,
        origin="import",
        sent_on=days_ago(1),
        sharing_basis="register",
    )
    _send(actors, person, actors.cpi, datetime.date(2020, 1, 1))  # outside the period
    start, end = days_ago(30), days_ago(0)
    counts = referral_counts(start, end, Scope(zone=actors.zone))
    assert counts["cpi"] == {
        "sent": 1,
        "accepted": 1,
        "declined": 0,
        "completed": 0,
        "withdrawn": 0,
    }
    assert counts[NOT_NAMED]["sent"] == 1
    assert counts[actors.other_org.kind]["sent"] >= 1
    # Not in the contract's JSON object; on the page, as a table.
    assert "referrals" not in build_report(start, end, Scope(zone=actors.zone))
    page = login(actors.admin).get(
        reverse("reporting:report"),
        {"from": start.isoformat(), "to": end.isoformat(), "zone": actors.zone.code},
    )
    assert 'id="t-referrals-by-receiver-kind-and-state"' in page.content.decode()
