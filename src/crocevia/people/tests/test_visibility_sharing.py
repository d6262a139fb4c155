"""A referral or a case team shares the person with another organisation (with consent)."""

import datetime

import pytest
from django.urls import reverse

from crocevia.cases.models import Stage
from crocevia.cases.services import team_member_remove
from crocevia.desk.referrals import referral_answer, referral_send
from crocevia.people.selectors import persons_visible_to
from crocevia.testing import PersonFactory, give_consent, make_case

pytestmark = pytest.mark.django_db


def test_receiving_organisation_sees_a_referred_person_until_it_refuses(actors, login):
    person = PersonFactory(created_by_organisation=actors.sds, created_by=actors.desk_operator)
    give_consent(person, actors.desk_operator)
    assert person not in persons_visible_to(actors.cpi_consultant)
    referral = referral_send(
        actor=actors.desk_operator,
        person=person,
        from_organisation=actors.sds,
        to_organisation=actors.cpi,
        sent_on=datetime.date.today(),
        reason="Ricerca lavoro",
    )
    assert person in persons_visible_to(actors.cpi_consultant)
    url = reverse("people:detail", args=[person.pk])
    assert login(actors.cpi_consultant).get(url).status_code == 200
    referral_answer(
        actor=actors.cpi_consultant,
        referral=referral,
        accept=False,
        on=datetime.date.today(),
        note="Non di nostra competenza",
    )
    assert person not in persons_visible_to(actors.cpi_consultant)
    assert person not in persons_visible_to(actors.outsider)


def test_team_member_of_another_organisation_sees_the_person_while_on_the_team(actors):
    case = make_case(actors, stage=Stage.PREASSESSED)
    # The CPI consultant of the mini-team belongs to another organisation (the CPI).
    member = case.team.get(user=actors.cpi_consultant, removed_on__isnull=True)
    assert case.person in persons_visible_to(actors.cpi_consultant)
    assert case.person not in persons_visible_to(actors.outsider)
    team_member_remove(actor=actors.social_worker, member=member, on=datetime.date.today())
    assert case.person not in persons_visible_to(actors.cpi_consultant)
