"""Every page an operator reaches outside the pathway test, checked with axe-core."""

import datetime

import pytest
from django.urls import reverse

from crocevia.benefits.tests.factories import make_application, make_applications
from crocevia.cases.models import Stage
from crocevia.desk.referrals import referral_send
from crocevia.meetings.models import Meeting
from crocevia.meetings.services import meeting_record
from crocevia.people.models import DuplicatePair
from crocevia.people.services import person_create
from crocevia.testing import PASSWORD, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, username):
    page.goto("/accesso/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()
    assert "/accesso/" not in page.url


def test_lists_meetings_referrals_and_registry_pages_are_accessible(page, axe_check, actors):
    case = make_case(actors, stage=Stage.IN_PROGRESS)
    person = case.person
    referral = referral_send(
        actor=actors.social_worker,
        person=person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        sent_on=datetime.date.today(),
        reason="Orientamento al lavoro",
    )
    meeting = meeting_record(
        actor=actors.coordinator,
        zone=actors.zone,
        kind=Meeting.Kind.COORDINATION,
        held_on=datetime.date.today(),
        attendees=[actors.coordinator, actors.social_worker],
        cases=[case],
        notes="Verbale della riunione",
        items={case.pk: {"minutes": "Discusso il progetto", "decisions": "Attivare un tirocinio"}},
    )

    # One man registered twice (a pair of the duplicates queue), his records differing.
    twins = [
        person_create(
            actor=actors.desk_operator,
            data={
                "family_name": "Ahmed",
                "given_names": given,
                "sex": "M",
                "birth_date": datetime.date(1988, 3, 14),
                "citizenship": "MA",
                "birth_country": "MA",
                "codice_fiscale": "",
                "comune": None,
                "phone": phone,
                "email": "",
                "languages": ["ar"],
                "needs_mediator": False,
                "permit_type": "",
                "permit_expires_on": None,
            },
            confirmed_distinct=True,
        )
        for given, phone in (("Mohamed", "333 1234567"), ("Mohammed", ""))
    ]
    pair = DuplicatePair.objects.get(person_a=twins[0], person_b=twins[1])

    # Income-support applications: one accepted (its case can be opened), one rejected
    # (to follow up), in the list and the follow-up queue.
    accepted = make_application(actors)
    [rejected] = make_applications(actors, 1, status="rejected")

    _login(page, "coordinatore")
    for url in [
        reverse("people:duplicates"),
        reverse("people:duplicate", args=[pair.pk]),
        reverse("home"),
        reverse("cases:followup_my_cases"),
        reverse("cases:followup_zone_cases"),
        reverse("cases:coordination"),
        reverse("cases:followup_meetings"),
        reverse("cases:followup_meeting_create"),
        reverse("cases:followup_meeting_detail", args=[meeting.pk]),
        reverse("cases:followup_meeting_edit", args=[meeting.pk]),
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:person_cases", args=[person.pk]),
        reverse("people:detail", args=[person.pk]),
        reverse("people:edit", args=[person.pk]),
        reverse("people:household", args=[person.pk]),
        reverse("people:search") + "?q=" + person.family_name,
        reverse("people:create"),
        reverse("desk:referral_create", args=[person.pk]),
        reverse("desk:referral_sent"),
        reverse("desk:register"),
        # A work queue with rows (the case waiting for its pre-assessment) and one empty.
        reverse("queues:preassessments"),
        reverse("queues:plans"),
        # The case (complex, no intervention started): its open LEP obligation listed.
        reverse("queues:lep"),
        reverse("benefits:list"),
        reverse("benefits:detail", args=[accepted.pk]),
        reverse("benefits:detail", args=[rejected.pk]),
        reverse("queues:benefit_follow_ups"),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        axe_check(page)

    page.context.clear_cookies()
    _login(page, "consulente")
    for url in [
        reverse("desk:referral_inbox"),
        reverse("desk:referral_detail", args=[referral.pk]),
        # Her notifications (she joined the case's team at the pre-assessment).
        reverse("notifications:inbox"),
        reverse("notifications:preferences"),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        axe_check(page)
