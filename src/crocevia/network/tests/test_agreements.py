"""Agreements: validation of each bad input, audit, conflicts, validity and expiry."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.network.access import agreement_editable_by, get_agreement_for
from crocevia.network.models import Agreement, AgreementParty, CasePart
from crocevia.network.selectors import agreements_expiring, expiring_agreements_for
from crocevia.network.services import (
    ConflictError,
    PartySpec,
    agreement_create,
    agreement_update,
)
from crocevia.testing import OrganisationFactory, make_member

from .helpers import THIRTY_THOUSAND, make_agreement

TODAY = datetime.date(2026, 11, 22)


def _create(actors, **overrides):
    data = {
        "actor": actors.coordinator,
        "title": "Convenzione TEAMS",
        "kind": Agreement.Kind.CONVENTION,
        "signed_on": datetime.date(2026, 1, 10),
        "valid_from": datetime.date(2026, 1, 1),
        "valid_until": datetime.date(2027, 12, 31),
        "parties": [
            PartySpec(actors.sds, role="Capofila"),
            PartySpec(actors.other_org, amount=THIRTY_THOUSAND),
        ],
        "today": TODAY,
    }
    data.update(overrides)
    return agreement_create(**data)


def _errors(info) -> dict:
    return info.value.message_dict


@pytest.mark.django_db
def test_agreement_is_recorded_with_parties_money_and_sharing_clause_and_audited(actors):
    agreement = _create(
        actors,
        parties=[
            PartySpec(actors.sds, role="Capofila", shared_parts=("plan", "registry")),
            PartySpec(actors.cpi, amount="30000", shared_parts=("health",)),
        ],
    )
    parties = list(agreement.parties.all())
    assert [p.organisation for p in parties] == [actors.sds, actors.cpi]
    assert parties[1].amount == Decimal("30000.00")
    assert parties[0].amount is None
    # Kept in the code list's order, whatever order they came in.
    assert parties[0].shared_parts == ["registry", "plan"]
    assert parties[1].may_see(CasePart.HEALTH) and not parties[1].may_see(CasePart.PLAN)
    event = AuditEvent.objects.get(action=AuditAction.AGREEMENT_CREATE, object_id=str(agreement.pk))
    assert event.actor == actors.coordinator
    assert event.changes["title"] == [None, "Convenzione TEAMS"]
    assert event.changes["parties"][1][1]["amount"] == "30000.00"


@pytest.mark.django_db
def test_fewer_than_two_parties_is_refused(actors):
    with translation.override("it"), pytest.raises(ValidationError) as info:
        _create(actors, parties=[PartySpec(actors.sds)])
    with translation.override("it"):
        assert _("An agreement needs at least two parties.") in _errors(info)["parties"]
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_the_same_party_twice_is_refused(actors):
    with pytest.raises(ValidationError) as info:
        _create(actors, parties=[PartySpec(actors.sds), PartySpec(actors.sds)])
    messages = _errors(info)["parties"]
    assert (
        _("%(organisation)s is listed twice: each organisation is a party only once.")
        % {"organisation": actors.sds.name}
        in messages
    )
    # Twice the same organisation is one party: fewer than two as well.
    assert _("An agreement needs at least two parties.") in messages


@pytest.mark.django_db
def test_validity_ending_before_it_starts_is_refused(actors):
    with pytest.raises(ValidationError) as info:
        _create(actors, valid_until=datetime.date(2025, 12, 31))
    assert _errors(info)["valid_until"] == [_("The end of validity cannot be before its start.")]


@pytest.mark.django_db
def test_signature_after_the_start_is_fine_but_not_in_the_future(actors):
    signed_late = _create(actors, signed_on=datetime.date(2026, 3, 1))
    assert signed_late.signed_on > signed_late.valid_from
    with pytest.raises(ValidationError) as info:
        _create(actors, signed_on=TODAY + datetime.timedelta(days=1))
    assert _errors(info)["signed_on"] == [_("The signature date cannot be in the future.")]
    # Signed today is not in the future.
    assert _create(actors, title="Oggi", signed_on=TODAY).signed_on == TODAY


@pytest.mark.django_db
def test_negative_money_is_refused(actors):
    with pytest.raises(ValidationError) as info:
        _create(
            actors,
            parties=[PartySpec(actors.sds), PartySpec(actors.other_org, amount=Decimal("-1"))],
        )
    assert _errors(info)["parties"] == [
        f"{actors.other_org.name}: {_('The money transferred cannot be negative.')}"
    ]


@pytest.mark.django_db
def test_money_is_never_rounded_silently_nor_a_float(actors):
    for bad, message in [
        (Decimal("100.005"), _("Enter the amount in euro with at most two decimals.")),
        (100.5, _("Enter the amount as an exact number of euro and cents.")),
        ("trenta", _("Enter the amount as a number.")),
    ]:
        with pytest.raises(ValidationError) as info:
            _create(
                actors, parties=[PartySpec(actors.sds), PartySpec(actors.other_org, amount=bad)]
            )
        assert _errors(info)["parties"] == [f"{actors.other_org.name}: {message}"]
    exact = _create(
        actors,
        parties=[PartySpec(actors.sds), PartySpec(actors.other_org, amount="91774.80")],
    )
    assert exact.parties.get(organisation=actors.other_org).amount == Decimal("91774.80")


@pytest.mark.django_db
def test_unknown_case_part_and_missing_fields_are_refused(actors):
    with pytest.raises(ValidationError) as info:
        _create(
            actors,
            title=" ",
            kind="treaty",
            valid_from=None,
            parties=[PartySpec(actors.sds, shared_parts=("diary",)), PartySpec(actors.cpi)],
        )
    errors = _errors(info)
    assert errors["title"] == [_("Enter the title of the agreement.")]
    assert errors["kind"] == [_("Choose the kind of agreement.")]
    assert errors["valid_from"] == [_("Enter the date.")]
    assert "diary" in errors["parties"][0]


@pytest.mark.django_db
def test_a_coordinator_records_only_agreements_with_a_party_of_their_zone(actors):
    third = OrganisationFactory(code="GR-X", name="Ente di Grosseto", zone=actors.other_zone)
    with pytest.raises(ValidationError) as info:
        _create(actors, parties=[PartySpec(actors.other_org), PartySpec(third)])
    assert _errors(info)["parties"] == [
        _("At least one party must be an organisation of a zone you coordinate.")
    ]
    # An administrator may.
    assert _create(
        actors, actor=actors.admin, parties=[PartySpec(actors.other_org), PartySpec(third)]
    )


@pytest.mark.django_db
def test_update_replaces_parties_raises_the_version_and_audits_the_difference(actors):
    agreement = _create(actors)
    updated = agreement_update(
        actor=actors.coordinator,
        agreement=agreement,
        expected_version=1,
        title="Convenzione TEAMS",
        kind=Agreement.Kind.CONVENTION,
        signed_on=agreement.signed_on,
        valid_from=agreement.valid_from,
        valid_until=datetime.date(2028, 6, 30),
        renewable=True,
        parties=[
            PartySpec(actors.sds),
            PartySpec(actors.cpi, amount="1500.50", shared_parts=("plan",)),
        ],
        today=TODAY,
    )
    assert updated.version == 2
    assert [p.organisation for p in updated.parties.all()] == [actors.sds, actors.cpi]
    assert AgreementParty.objects.filter(organisation=actors.other_org).count() == 0
    event = AuditEvent.objects.get(action=AuditAction.AGREEMENT_UPDATE)
    assert event.changes["valid_until"] == ["2027-12-31", "2028-06-30"]
    assert event.changes["renewable"] == [False, True]
    assert "parties" in event.changes
    assert "title" not in event.changes


@pytest.mark.django_db
def test_another_zones_coordinator_cannot_rewrite_an_agreement_to_join_it(actors):
    from django.core.exceptions import PermissionDenied

    from crocevia.accounts.models import Profile
    from crocevia.testing import make_member

    agreement = _create(actors, parties=[PartySpec(actors.sds), PartySpec(actors.cpi)])
    livorno = make_member("coord.livorno", actors.other_org, Profile.COORDINATOR)
    with pytest.raises(PermissionDenied):
        agreement_update(
            actor=livorno,
            agreement=agreement,
            title="Convenzione riscritta",
            kind=Agreement.Kind.CONVENTION,
            signed_on=agreement.signed_on,
            valid_from=agreement.valid_from,
            parties=[PartySpec(actors.sds), PartySpec(actors.other_org)],
            today=TODAY,
        )
    agreement.refresh_from_db()
    assert agreement.title != "Convenzione riscritta"
    assert [p.organisation for p in agreement.parties.all()] == [actors.sds, actors.cpi]


@pytest.mark.django_db
def test_an_edit_based_on_an_old_version_is_refused(actors):
    agreement = _create(actors)
    common = {
        "actor": actors.coordinator,
        "agreement": agreement,
        "title": "Nuovo titolo",
        "kind": Agreement.Kind.PROTOCOL,
        "signed_on": agreement.signed_on,
        "valid_from": agreement.valid_from,
        "parties": [PartySpec(actors.sds), PartySpec(actors.other_org)],
        "today": TODAY,
    }
    agreement_update(expected_version=1, **common)
    with pytest.raises(ConflictError):
        agreement_update(expected_version=1, **{**common, "title": "Altro titolo"})
    agreement.refresh_from_db()
    assert agreement.title == "Nuovo titolo"


# --- validity and expiry ---------------------------------------------------------------------


@pytest.mark.django_db
def test_expiry_alert_boundaries(actors):
    def ending(title, days):
        return make_agreement(
            [actors.sds, actors.other_org],
            title=title,
            valid_from=TODAY - datetime.timedelta(days=400),
            valid_until=None if days is None else TODAY + datetime.timedelta(days=days),
            today=TODAY,
        )

    exactly_60 = ending("60 giorni", 60)
    ending("61 giorni", 61)
    today = ending("scade oggi", 0)
    ending("scaduta ieri", -1)
    ending("a tempo indeterminato", None)
    expiring = list(agreements_expiring(zone_ids=[actors.zone.pk], today=TODAY))
    assert expiring == [today, exactly_60]
    assert exactly_60.expires_within(60, TODAY) and exactly_60.days_left(TODAY) == 60
    yesterday = Agreement.objects.get(title="scaduta ieri")
    assert yesterday.is_expired(TODAY) and not yesterday.expires_within(60, TODAY)
    open_ended = Agreement.objects.get(title="a tempo indeterminato")
    assert open_ended.days_left(TODAY) is None and not open_ended.is_expired(TODAY)


@pytest.mark.django_db
def test_expiry_alert_is_for_the_coordinators_zone_only(actors):
    from crocevia.testing import make_member

    theirs = make_agreement(
        [actors.sds, actors.other_org],
        title="ZPI-ZLI",
        valid_until=TODAY + datetime.timedelta(days=10),
        today=TODAY,
    )
    other = OrganisationFactory(code="LI-2", name="Altro ente livornese", zone=actors.other_zone)
    make_agreement(
        [actors.other_org, other],
        title="solo ZLI",
        valid_until=TODAY + datetime.timedelta(days=10),
        today=TODAY,
    )
    assert expiring_agreements_for(actors.coordinator, today=TODAY) == [theirs]
    assert expiring_agreements_for(actors.social_worker, today=TODAY) == []
    livorno_coordinator = make_member("coord.li", actors.other_org, "coordinator")
    assert {a.title for a in expiring_agreements_for(livorno_coordinator, today=TODAY)} == {
        "ZPI-ZLI",
        "solo ZLI",
    }


# --- a coordinator grants only their zones' data (network.access.clauses_beyond) -------------

BEYOND = (
    "%(organisation)s: its data-sharing clause would open the data of %(others)s, outside "
    "the zones you coordinate. Leave its clause empty: only an administrator records a "
    "clause that opens the data of another zone's organisation."
)


@pytest.mark.django_db
def test_a_coordinator_cannot_open_another_zones_data_to_their_own_organisation(actors):
    livorno = make_member("coord.livorno", actors.other_org, Profile.COORDINATOR)
    with pytest.raises(ValidationError) as info:
        _create(
            actors,
            actor=livorno,
            parties=[
                PartySpec(actors.other_org, shared_parts=(CasePart.REGISTRY, CasePart.PLAN)),
                PartySpec(actors.sds),
            ],
        )
    assert _errors(info)["parties"] == [
        _(BEYOND) % {"organisation": actors.other_org.name, "others": actors.sds.name}
    ]
    assert not Agreement.objects.exists()
    # The same from the other side: the Pisa coordinator cannot open Livorno's data.
    with pytest.raises(ValidationError) as info:
        _create(
            actors,
            parties=[
                PartySpec(actors.sds, shared_parts=(CasePart.PLAN,)),
                PartySpec(actors.other_org),
            ],
        )
    assert _errors(info)["parties"] == [
        _(BEYOND) % {"organisation": actors.sds.name, "others": actors.other_org.name}
    ]
    # Nor that of a body above the zones (the Region, in no zone).
    region = OrganisationFactory(code="RT", name="Regione Toscana", zone=None)
    with pytest.raises(ValidationError):
        _create(
            actors,
            parties=[PartySpec(actors.sds, shared_parts=(CasePart.PLAN,)), PartySpec(region)],
        )
    # An administrator may record either.
    assert _create(
        actors,
        actor=actors.admin,
        parties=[
            PartySpec(actors.sds, shared_parts=(CasePart.PLAN,)),
            PartySpec(actors.other_org, shared_parts=(CasePart.PLAN,)),
        ],
    )


@pytest.mark.django_db
def test_a_coordinator_may_open_their_own_zones_data_to_another_zones_party(actors):
    agreement = _create(
        actors,
        parties=[
            PartySpec(actors.sds),
            PartySpec(actors.cpi),
            PartySpec(actors.other_org, shared_parts=(CasePart.REGISTRY, CasePart.PLAN)),
        ],
    )
    clause = {p.organisation_id: p.shared_parts for p in agreement.parties.all()}
    assert clause[actors.other_org.pk] == ["registry", "plan"]
    # The CPI's clause would open Livorno's data too: refused.
    with pytest.raises(ValidationError):
        _create(
            actors,
            title="Altra",
            parties=[
                PartySpec(actors.cpi, shared_parts=(CasePart.REGISTRY,)),
                PartySpec(actors.other_org),
            ],
        )


@pytest.mark.django_db
def test_an_agreement_whose_clause_opens_another_zones_data_is_the_administrators_to_change(
    actors,
):
    agreement = _create(
        actors,
        actor=actors.admin,
        parties=[
            PartySpec(actors.sds, shared_parts=(CasePart.PLAN,)),
            PartySpec(actors.other_org),
        ],
    )
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert not agreement_editable_by(actors.coordinator, agreement)
    assert agreement_editable_by(actors.admin, agreement)
    # Extending it in time (the view refuses the page: PermissionDenied).
    with pytest.raises(ValidationError) as info:
        agreement_update(
            actor=actors.coordinator,
            agreement=agreement,
            title=agreement.title,
            kind=agreement.kind,
            signed_on=agreement.signed_on,
            valid_from=agreement.valid_from,
            valid_until=datetime.date(2040, 12, 31),
            parties=[
                PartySpec(actors.sds, shared_parts=(CasePart.PLAN,)),
                PartySpec(actors.other_org),
            ],
            today=TODAY,
        )
    assert _errors(info)["parties"] == [
        _(BEYOND) % {"organisation": actors.sds.name, "others": actors.other_org.name}
    ]
    with pytest.raises(PermissionDenied):
        get_agreement_for(actors.coordinator, agreement.pk, write=True)
    agreement.refresh_from_db()
    assert agreement.valid_until == datetime.date(2027, 12, 31)
    # An agreement whose clauses open only the coordinator's zone's data stays theirs.
    own = _create(
        actors,
        title="Altra",
        parties=[PartySpec(actors.sds), PartySpec(actors.other_org, shared_parts=("plan",))],
    )
    assert agreement_editable_by(actors.coordinator, own)
