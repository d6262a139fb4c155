"""An agreement's clause shares a person's registry data and desk contacts with the other
parties (issue 19): in force, with the person's consent, to read only."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crocevia.accounts.models import Profile, User
from crocevia.audit.models import AuditEvent
from crocevia.desk.models import DeskService
from crocevia.desk.selectors import contacts_visible_to
from crocevia.desk.services import contact_record
from crocevia.network.models import Agreement, CasePart
from crocevia.network.services import PartySpec, agreement_create
from crocevia.people import access_report
from crocevia.people.selectors import persons_editable_by, persons_visible_to, search_persons
from crocevia.people.services import consent_withdraw
from crocevia.people.sharing import network_sharing_consent
from crocevia.testing import (
    DeskFactory,
    OrganisationFactory,
    make_case,
    make_member,
    make_person,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TITLE = "Protocollo Comune di Cascina – CPI"


def fresh(user) -> User:
    """The user as a new request loads it (memberships and grants not yet cached)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def comune(actors):
    """A Comune of the zone with a desk and a social worker: none of the cast's."""
    organisation = OrganisationFactory(
        code="COM-CASCINA", name="Comune di Cascina", kind="comune", zone=actors.zone
    )
    organisation.desk = DeskFactory(code="COM-CASCINA-DESK", organisation=organisation)
    organisation.social_worker = make_member(
        "assistente-cascina", organisation, Profile.SOCIAL_WORKER
    )
    organisation.desk_operator = make_member(
        "sportello-cascina", organisation, Profile.DESK_OPERATOR, desks=[organisation.desk]
    )
    return organisation


def share(comune, cpi, parts, *, until=None, comune_sees=(), title=TITLE):
    """An agreement between the Comune and the CPI, the CPI's clause covering `parts`."""
    return agreement_create(
        actor=None,
        title=title,
        kind=Agreement.Kind.PROTOCOL,
        signed_on=datetime.date(2025, 1, 1),
        valid_from=datetime.date(2025, 1, 1),
        valid_until=until,
        parties=[
            PartySpec(comune, shared_parts=tuple(comune_sees)),
            PartySpec(cpi, shared_parts=tuple(parts)),
        ],
    )


def person_of(actors, comune, **fields):
    """A person the Comune registered, with consent to sharing within the network."""
    return make_person(
        actors, created_by_organisation=comune, created_by=comune.social_worker, **fields
    )


def test_the_registry_clause_shows_the_other_partys_persons_to_read(actors, comune, login):
    person = person_of(actors, comune, family_name="Sowande")
    assert person not in persons_visible_to(fresh(actors.cpi_consultant))
    share(comune, actors.cpi, [CasePart.REGISTRY])
    cpi = fresh(actors.cpi_consultant)
    assert person in persons_visible_to(cpi)
    assert person not in persons_editable_by(cpi)  # read only
    assert person not in persons_visible_to(fresh(actors.desk_operator))  # not a party
    client = login(actors.cpi_consultant)
    page = client.get(reverse("people:detail", args=[person.pk]))
    assert page.status_code == 200 and "Sowande" in page.content.decode()
    assert 'id="shared-under"' in page.content.decode()
    assert reverse("people:edit", args=[person.pk]) not in page.content.decode()
    assert client.get(reverse("people:edit", args=[person.pk])).status_code == 403
    assert client.get(reverse("people:household", args=[person.pk])).status_code == 403
    answer = client.post(reverse("people:consent_add", args=[person.pk]), {})
    assert answer.status_code == 403


@pytest.mark.parametrize("ground", ["registered", "contact", "case"])
def test_a_person_is_the_organisations_by_registration_contact_or_case(actors, comune, ground):
    """'Of A': registered by A, met at A's desks, or with a case of A."""
    person = make_person(actors)  # registered by the SdS
    if ground == "registered":
        person.created_by_organisation = comune
        person.save(update_fields=["created_by_organisation"])
    elif ground == "contact":
        contact_record(
            actor=actors.admin,
            person=person,
            desk=comune.desk,
            date=timezone.localdate(),
            services=[DeskService.objects.filter(active=True).first()],
        )
    else:
        make_case(actors, person=person, organisation=comune, opened_by=actors.admin)
    share(comune, actors.cpi, [CasePart.REGISTRY])
    assert person in persons_visible_to(fresh(actors.cpi_consultant))


def test_without_the_persons_consent_the_agreement_shows_nothing(actors, comune):
    person = person_of(actors, comune)
    without = person_of(actors, comune, consent=False)
    share(comune, actors.cpi, [CasePart.REGISTRY, CasePart.CONTACTS])
    assert person in persons_visible_to(fresh(actors.cpi_consultant))
    assert without not in persons_visible_to(fresh(actors.cpi_consultant))
    consent_withdraw(
        actor=comune.social_worker,
        consent=network_sharing_consent(person),
        withdrawn_on=timezone.localdate(),
    )
    assert person not in persons_visible_to(fresh(actors.cpi_consultant))


def test_the_view_closes_the_day_after_the_agreement_expires(actors, comune, login):
    today = timezone.localdate()
    person = person_of(actors, comune)
    agreement = share(comune, actors.cpi, [CasePart.REGISTRY], until=today)
    url = reverse("people:detail", args=[person.pk])
    assert login(actors.cpi_consultant).get(url).status_code == 200  # its last day
    Agreement.objects.filter(pk=agreement.pk).update(valid_until=today - DAY)
    assert login(actors.cpi_consultant).get(url).status_code == 404  # the day after


def test_a_clause_that_does_not_cover_the_registry_shows_no_person(actors, comune, login):
    person = person_of(actors, comune)
    share(comune, actors.cpi, [CasePart.CONTACTS, CasePart.PLAN])
    assert person not in persons_visible_to(fresh(actors.cpi_consultant))
    url = reverse("people:detail", args=[person.pk])
    assert login(actors.cpi_consultant).get(url).status_code == 404


def test_the_sharing_is_directional(actors, comune):
    """The CPI's clause lets the CPI see the Comune's persons, not the Comune the CPI's."""
    of_comune = person_of(actors, comune)
    of_cpi = make_person(
        actors, created_by_organisation=actors.cpi, created_by=actors.cpi_consultant
    )
    share(comune, actors.cpi, [CasePart.REGISTRY])
    assert of_comune in persons_visible_to(fresh(actors.cpi_consultant))
    assert of_cpi not in persons_visible_to(fresh(comune.social_worker))
    share(comune, actors.cpi, [], comune_sees=[CasePart.REGISTRY], title="Reciproco")
    assert of_cpi in persons_visible_to(fresh(comune.social_worker))


def test_person_search_finds_a_person_shared_by_an_agreement(actors, comune):
    person = person_of(actors, comune, family_name="Sowande")
    assert search_persons(fresh(actors.cpi_consultant), "Sowande") == []
    share(comune, actors.cpi, [CasePart.REGISTRY])
    assert search_persons(fresh(actors.cpi_consultant), "Sowande") == [person]
    assert search_persons(fresh(actors.outsider), "Sowande") == []


def _queries(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


def test_a_user_without_agreements_searches_with_the_same_queries_as_before(actors, comune):
    """Person search is benchmarked at a million persons: a user whose organisations are
    party to no agreement in force runs the queries it ran before any agreement existed,
    and the persons' query holds no condition on consents; a party's user, one query more
    (the agreements) and the condition."""
    person_of(actors, comune, family_name="Sowande")

    def counted(user):
        user = fresh(user)
        listed = _queries(lambda: list(persons_visible_to(user)))
        # A name no one has: the same tiers run whoever asks.
        return listed, _queries(lambda: search_persons(user, "Zzyzx"))

    before = {user: counted(user) for user in (actors.desk_operator, actors.cpi_consultant)}
    share(comune, actors.cpi, [CasePart.REGISTRY])
    listed, searched = counted(actors.desk_operator)
    assert listed == before[actors.desk_operator][0]  # the same SQL, query for query
    assert len(searched) == len(before[actors.desk_operator][1])
    assert "people_consent" not in listed[-1] and "agreement" not in listed[-1]
    listed, searched = counted(actors.cpi_consultant)
    assert len(listed) == len(before[actors.cpi_consultant][0]) + 1
    assert "people_consent" in listed[-1]
    assert len(searched) == len(before[actors.cpi_consultant][1])  # grants memoised


def test_the_access_report_names_the_agreement_the_person_was_read_under(actors, comune, login):
    person = person_of(actors, comune)
    share(comune, actors.cpi, [CasePart.REGISTRY])
    assert (
        login(actors.cpi_consultant).get(reverse("people:detail", args=[person.pk])).status_code
        == 200
    )
    event = AuditEvent.objects.get(
        kind=AuditEvent.Kind.ACCESS, actor=actors.cpi_consultant, object_type="people.person"
    )
    assert event.note == f"agreement: {TITLE}"
    [row] = access_report.rows([event], person=person)
    assert TITLE in row.what and row.note == ""
    # Read on one's own grounds: no agreement named.
    assert (
        login(comune.social_worker).get(reverse("people:detail", args=[person.pk])).status_code
        == 200
    )
    own = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCESS, actor=comune.social_worker)
    assert own.note == ""


def test_the_contacts_clause_shows_the_other_partys_desk_contacts(actors, comune, login):
    person = make_person(actors)  # the SdS's, seen by the CPI on its own grounds below
    contact = contact_record(
        actor=actors.admin,
        person=person,
        desk=comune.desk,
        date=timezone.localdate(),
        services=[DeskService.objects.filter(active=True).first()],
    )
    make_case(actors, person=person, stage="preassessed")  # the CPI consultant on its team
    assert contact not in contacts_visible_to(fresh(actors.cpi_consultant))
    share(comune, actors.cpi, [CasePart.CONTACTS])
    assert contact in contacts_visible_to(fresh(actors.cpi_consultant))
    client = login(actors.cpi_consultant)
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert comune.desk.name in page and 'class="badge bg-secondary contact-shared"' in page
    assert reverse("desk:contact_edit", args=[contact.pk]) not in page
    assert client.get(reverse("desk:contact_edit", args=[contact.pk])).status_code == 403
    consent_withdraw(
        actor=actors.social_worker,
        consent=network_sharing_consent(person),
        withdrawn_on=timezone.localdate(),
    )
    assert contact not in contacts_visible_to(fresh(actors.cpi_consultant))


def test_an_agreement_reader_may_not_act_for_the_person(actors, comune, login):
    """Reading under an agreement is not a ground to record a contact, send a referral or
    open a case: each would turn the reading into the reader's own ground, lasting after
    the agreement ends."""
    share(comune, actors.cpi, [CasePart.REGISTRY])
    person = person_of(actors, comune)
    client = login(actors.cpi_consultant)
    page = client.get(reverse("people:detail", args=[person.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("desk:contact_create", "desk:referral_create", "people:edit"):
        assert reverse(name, args=[person.pk]) not in html
        assert client.get(reverse(name, args=[person.pk])).status_code == 403
    assert client.get(reverse("cases:open_direct", args=[person.pk])).status_code in (403, 404)
    assert not persons_editable_by(fresh(actors.cpi_consultant)).filter(pk=person.pk).exists()
