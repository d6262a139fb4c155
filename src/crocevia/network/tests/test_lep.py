"""LEP staffing and access figures on a small network computed by hand."""

import pytest
from django.urls import reverse

from crocevia.accounts.models import Membership, Profile
from crocevia.network.selectors import lep_by_zone, lep_figures, organisation_lep, zone_lep
from crocevia.testing import (
    ComuneFactory,
    DeskFactory,
    OrganisationFactory,
    ZoneFactory,
    make_member,
)


@pytest.fixture
def small_network(db):
    """Zone A: 12.500 + 10.001 = 22.501 inhabitants; 2 social workers; 3 access points.
    Zone B: 4.000 inhabitants, 1 access point, no social worker."""
    a = ZoneFactory(code="ZA", name="Zona A")
    b = ZoneFactory(code="ZB", name="Zona B")
    c1 = ComuneFactory(istat_code="900001", population=12500, zone=a)
    ComuneFactory(istat_code="900002", population=10001, zone=a)
    cb = ComuneFactory(istat_code="900003", population=4000, zone=b)
    sds = OrganisationFactory(code="A-SDS", zone=a)
    comune = OrganisationFactory(code="A-COM", kind="comune", zone=a)
    org_b = OrganisationFactory(code="B-SDS", zone=b)
    # Social workers of zone A: two persons, one of them in two organisations (counted once).
    both = make_member("as.both", sds, Profile.SOCIAL_WORKER)
    Membership.objects.create(user=both, organisation=comune, profile=Profile.SOCIAL_WORKER)
    make_member("as.one", comune, Profile.SOCIAL_WORKER)
    # Not counted: an inactive user, an inactive membership, another profile, another zone.
    gone = make_member("as.gone", sds, Profile.SOCIAL_WORKER)
    gone.is_active = False
    gone.save()
    lapsed = make_member("as.lapsed", sds, Profile.SOCIAL_WORKER)
    Membership.objects.filter(user=lapsed).update(active=False)
    make_member("sportello.a", sds, Profile.DESK_OPERATOR)
    make_member("coord.b", org_b, Profile.COORDINATOR)
    # Access points of zone A: three active level-1 desks (not the closed one, not the PUA).
    for code in ("A1", "A2", "A3"):
        DeskFactory(code=code, organisation=sds, comune=c1, level=1)
    DeskFactory(code="A-CLOSED", organisation=comune, comune=c1, level=1, active=False)
    DeskFactory(code="A-PUA", organisation=sds, comune=c1, level=2)
    DeskFactory(code="B1", organisation=org_b, comune=cb, level=1)
    return {"a": a, "b": b, "sds": sds, "org_b": org_b}


def test_lep_figures_of_a_zone_computed_by_hand(small_network, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        figures = zone_lep(small_network["a"])
    assert figures.population == 22501
    assert figures.social_workers == 2
    assert figures.access_points == 3
    # 22.501 / 2 = 11.250,5 → 11.251 (half up, not to even).
    assert figures.inhabitants_per_social_worker == 11251
    # 22.501 / 3 = 7.500,33 → 7.500.
    assert figures.inhabitants_per_access_point == 7500
    assert figures.social_worker.met is False
    assert figures.social_worker.needed == 5  # ceil(22.501 / 5.000)
    assert figures.social_worker.missing == 3
    assert figures.access_point.met is True
    assert figures.as_indicators() == {
        "network.population": 22501,
        "network.inhabitants_per_social_worker": 11251,
        "network.inhabitants_per_access_point": 7500,
    }


def test_a_zone_without_social_workers_has_no_figure(small_network):
    figures = zone_lep(small_network["b"])
    assert figures.population == 4000
    assert figures.social_workers == 0
    assert figures.inhabitants_per_social_worker is None
    assert figures.social_worker.met is False
    assert figures.inhabitants_per_access_point == 4000
    assert figures.as_indicators()["network.inhabitants_per_social_worker"] is None


def test_norm_met_exactly_at_the_limit():
    from crocevia.network.selectors import LepFigures

    at_limit = LepFigures(population=10000, social_workers=2, access_points=1)
    assert at_limit.inhabitants_per_social_worker == 5000
    assert at_limit.social_worker.met is True
    just_over = LepFigures(population=10001, social_workers=2, access_points=1)
    assert just_over.social_worker.met is False
    assert just_over.social_worker.missing == 1
    empty = LepFigures(population=0, social_workers=0, access_points=0)
    assert empty.social_worker.met is None and empty.inhabitants_per_access_point is None


def test_whole_network_and_grouped_figures_agree(small_network, django_assert_max_num_queries):
    everything = lep_figures()
    assert everything.population == 22501 + 4000
    assert everything.social_workers == 2
    assert everything.access_points == 4
    with django_assert_max_num_queries(4):
        grouped = lep_by_zone([small_network["a"].pk, small_network["b"].pk])
    assert grouped[small_network["a"].pk] == zone_lep(small_network["a"])
    assert grouped[small_network["b"].pk] == zone_lep(small_network["b"])
    assert organisation_lep(small_network["sds"]) == zone_lep(small_network["a"])
    region = OrganisationFactory(code="REG", kind="region", zone=None)
    assert organisation_lep(region) is None


def test_zone_page_shows_the_figures_with_the_norms_and_a_verdict(small_network, client):
    from django.utils.translation import ngettext

    coordinator = make_member("coord.a", small_network["sds"], Profile.COORDINATOR)
    client.force_login(coordinator)
    response = client.get(reverse("network:zone_detail", args=[small_network["a"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "11.251" in body and "7.500" in body
    assert "5.000" in body and "20.000" in body
    figures = zone_lep(small_network["a"])
    assert figures.social_worker_verdict() in body
    assert figures.access_point_verdict() in body
    assert (
        ngettext(
            "The norm is not met: one social worker every %(per)s inhabitants, above the "
            "norm of %(norm)s; %(missing)s more social worker is needed.",
            "The norm is not met: one social worker every %(per)s inhabitants, above the "
            "norm of %(norm)s; %(missing)s more social workers are needed.",
            3,
        )
        % {"per": "11.251", "norm": "5.000", "missing": "3"}
        in body
    )
    # Another zone's page: not theirs.
    other = client.get(reverse("network:zone_detail", args=[small_network["b"].pk]))
    assert other.status_code == 404
