"""The demo agreements: seeds 000 and 004, idempotent, and the home-page notice."""

import datetime
from decimal import Decimal

import pytest

from crocevia.demo import network as demo
from crocevia.network.models import Agreement, Organisation
from crocevia.network.selectors import expiring_agreements_for
from crocevia.testing import OrganisationFactory


@pytest.mark.django_db
def test_seed_demo_creates_the_teams_convention_the_livorno_protocol_and_two_of_pisa(actors):
    OrganisationFactory(code=demo.COOP, name="Cooperativa", kind="third_sector", zone=actors.zone)
    today = datetime.date(2026, 11, 22)
    created = demo.seed_demo(coordinator=actors.coordinator, today=today)
    assert len(created) == 4
    teams = Agreement.objects.get(title=demo.TEAMS_TITLE)
    amounts = {p.organisation.code: p.amount for p in teams.parties.select_related("organisation")}
    assert amounts == {
        "SDS-PI": None,
        "COM-LIVORNO": Decimal("30000.00"),
        "COESO-GR": Decimal("30000.00"),
        "SDS-LUNIG": Decimal("30000.00"),
    }
    assert Organisation.objects.get(code="COESO-GR").zone.code == "ZGR"
    assert Organisation.objects.get(code="SDS-LUNIG").zone.name == "Lunigiana"
    protocol = Agreement.objects.get(title=demo.LIVORNO_TITLE)
    assert protocol.kind == Agreement.Kind.PROTOCOL and protocol.renewable
    assert {p.organisation.code for p in protocol.parties.all()} == {"COM-LIVORNO", "CPI-LI"}
    assert (protocol.valid_until - protocol.valid_from).days in (365 * 3 - 1, 365 * 3)
    assert [a.title for a in expiring_agreements_for(actors.coordinator, today=today)] == [
        demo.EXPIRING_TITLE
    ]
    # In force: the CPI reads the SdS's cases' registry, section A, plan and interventions.
    pisa = Agreement.objects.get(title=demo.PISA_CPI_TITLE)
    assert pisa.valid_from <= today <= pisa.valid_until
    clause = {p.organisation.code: p.shared_parts for p in pisa.parties.all()}
    assert clause == {
        "SDS-PI": ["registry"],
        "CPI-PI": ["registry", "intake", "plan", "interventions"],
    }
    # Idempotent.
    assert demo.seed_demo(coordinator=actors.coordinator, today=today) == []
    assert Agreement.objects.count() == 4
