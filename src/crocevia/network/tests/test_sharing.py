"""The agreements' rule (network.sharing, issue 19): what a member of one party sees of the
others' data, on which days, and at what cost."""

import datetime

import pytest
from django.utils import timezone

from crocevia.accounts.models import Profile, User
from crocevia.network.models import Agreement, CasePart
from crocevia.network.services import PartySpec, agreement_create
from crocevia.network.sharing import (
    agreement_grants,
    case_sharing_organisations,
    shared_by_agreement,
)
from crocevia.testing import OrganisationFactory, make_member

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def fresh(user) -> User:
    """The user as a new request loads it (memberships and grants not yet cached)."""
    return User.objects.get(pk=user.pk)


def agree(a, b, *, a_sees=(), b_sees=(), valid_from=None, valid_until=None, title="Protocollo"):
    """An agreement between `a` and `b`, each party's clause as given."""
    return agreement_create(
        actor=None,
        title=title,
        kind=Agreement.Kind.PROTOCOL,
        signed_on=valid_from or datetime.date(2025, 1, 1),
        valid_from=valid_from or datetime.date(2025, 1, 1),
        valid_until=valid_until,
        parties=[
            PartySpec(a, shared_parts=tuple(a_sees)),
            PartySpec(b, shared_parts=tuple(b_sees)),
        ],
    )


def test_a_party_sees_the_other_partys_parts_its_own_clause_covers(actors):
    agree(actors.sds, actors.cpi, b_sees=(CasePart.REGISTRY, CasePart.PLAN))
    cpi = fresh(actors.cpi_consultant)
    assert shared_by_agreement(cpi, CasePart.REGISTRY) == {actors.sds.pk}
    assert shared_by_agreement(cpi, CasePart.PLAN) == {actors.sds.pk}
    assert shared_by_agreement(cpi, CasePart.ASSESSMENT) == set()
    assert case_sharing_organisations(cpi) == {actors.sds.pk}


def test_the_sharing_is_directional(actors):
    """B's clause lets B see A's data; A sees B's only if A's own clause says so."""
    agree(actors.sds, actors.cpi, b_sees=(CasePart.REGISTRY,))
    assert shared_by_agreement(fresh(actors.desk_operator), CasePart.REGISTRY) == set()
    assert shared_by_agreement(fresh(actors.cpi_consultant), CasePart.REGISTRY) == {actors.sds.pk}
    agree(actors.sds, actors.cpi, a_sees=(CasePart.CONTACTS,), title="Secondo protocollo")
    assert shared_by_agreement(fresh(actors.desk_operator), CasePart.CONTACTS) == {actors.cpi.pk}
    assert shared_by_agreement(fresh(actors.desk_operator), CasePart.REGISTRY) == set()


def test_an_agreement_binds_from_its_first_day_to_its_last_and_closes_the_day_after(actors):
    first, last = TODAY() - 10 * DAY, TODAY() + 10 * DAY
    agree(actors.sds, actors.cpi, b_sees=(CasePart.REGISTRY,), valid_from=first, valid_until=last)
    cpi = fresh(actors.cpi_consultant)
    assert shared_by_agreement(cpi, CasePart.REGISTRY, on=first - DAY) == set()
    assert shared_by_agreement(cpi, CasePart.REGISTRY, on=first) == {actors.sds.pk}
    assert shared_by_agreement(cpi, CasePart.REGISTRY, on=last) == {actors.sds.pk}
    assert shared_by_agreement(cpi, CasePart.REGISTRY, on=last + DAY) == set()
    assert shared_by_agreement(cpi, CasePart.REGISTRY) == {actors.sds.pk}  # today


def test_an_agreement_ending_yesterday_shows_nothing_today_one_ending_today_does(actors):
    comune = OrganisationFactory(code="COM-X", kind="comune", zone=actors.zone)
    agree(actors.sds, actors.cpi, b_sees=(CasePart.REGISTRY,), valid_until=TODAY() - DAY)
    agree(comune, actors.cpi, b_sees=(CasePart.REGISTRY,), valid_until=TODAY(), title="Oggi")
    assert shared_by_agreement(fresh(actors.cpi_consultant), CasePart.REGISTRY) == {comune.pk}


def test_monitoring_officers_and_administrators_gain_nothing_from_an_agreement(actors):
    agree(actors.sds, actors.cpi, a_sees=tuple(CasePart.values), b_sees=tuple(CasePart.values))
    officer = make_member("monitoraggio-cpi", actors.cpi, Profile.MONITORING_OFFICER)
    assert agreement_grants(fresh(officer)) == ()
    assert agreement_grants(fresh(actors.admin)) == ()
    assert agreement_grants(fresh(actors.outsider)) == ()  # no party


def test_the_grants_cost_no_query_to_a_user_whose_organisations_are_party_to_none(
    actors, django_assert_num_queries
):
    # An agreement of others, and one of the outsider's organisation already expired.
    agree(actors.sds, actors.cpi, b_sees=(CasePart.REGISTRY,))
    agree(actors.other_org, actors.cpi, a_sees=(CasePart.REGISTRY,), valid_until=TODAY() - DAY)
    outsider = fresh(actors.outsider)
    with django_assert_num_queries(2):  # the memberships and their desks, as every request
        assert shared_by_agreement(outsider, CasePart.REGISTRY) == set()
    with django_assert_num_queries(0):
        assert shared_by_agreement(outsider, CasePart.PLAN) == set()
    cpi = fresh(actors.cpi_consultant)
    with django_assert_num_queries(3):  # the memberships and desks, then the agreements
        assert shared_by_agreement(cpi, CasePart.REGISTRY) == {actors.sds.pk}
    with django_assert_num_queries(0):  # memoised for the request
        assert shared_by_agreement(cpi, CasePart.PLAN) == set()
