"""An agreement's clause lets a member of another party read the parts of a case it covers
(issue 19): the case page's header and those sections, each section's own pages, nothing
else, nothing changed; with the person's consent, while the agreement is in force."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from crocevia.accounts.models import Profile, User
from crocevia.assessments.models import Dimension
from crocevia.assessments.services import assessment_record
from crocevia.audit.models import AuditEvent
from crocevia.cases.access import (
    HEADER,
    case_parts_for,
    find_case_for,
    get_case_for,
)
from crocevia.cases.models import Case, NeedClass, ServiceArea, Stage
from crocevia.cases.selectors import cases_visible_to, person_cases, preassessments_to_do
from crocevia.interventions.models import InterventionType
from crocevia.interventions.services import intervention_add
from crocevia.network.models import Agreement, CasePart
from crocevia.network.services import PartySpec, agreement_create
from crocevia.people.services import consent_withdraw
from crocevia.people.sharing import network_sharing_consent
from crocevia.plans.services import plan_draft_save, plan_get_or_create
from crocevia.testing import days_ago, make_case, make_member

pytestmark = pytest.mark.django_db

TITLE = "Protocollo SdS – CPI per l’inclusione attiva"
# The CPI's clause: the registry, section A, the plan and the health part (which opens no
# health information to anyone who is not the case manager or a health member of the team).
CLAUSE = (CasePart.REGISTRY, CasePart.INTAKE, CasePart.PLAN, CasePart.HEALTH)


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def share(actors, cpi_sees=CLAUSE, *, sds_sees=(), until=None):
    return agreement_create(
        actor=None,
        title=TITLE,
        kind=Agreement.Kind.PROTOCOL,
        signed_on=datetime.date(2025, 1, 1),
        valid_from=datetime.date(2025, 1, 1),
        valid_until=until,
        parties=[
            PartySpec(actors.sds, shared_parts=tuple(sds_sees)),
            PartySpec(actors.cpi, shared_parts=tuple(cpi_sees)),
        ],
    )


@pytest.fixture
def world(actors):
    """A case of the SdS with section A (health declared), B, a plan and an intervention;
    a labour-policy expert of the CPI, on no team of it: the reader."""
    case = make_case(actors, stage=Stage.TEAM_FORMED, need_class=NeedClass.COMPLEX)
    assessment_record(
        actor=actors.social_worker,
        case=case,
        phase="entry",
        assessed_on=days_ago(30),
        scores={d.value: (3, "Nota di valutazione") for d in Dimension},
    )
    plan = plan_get_or_create(actor=actors.social_worker, case=case)
    plan_draft_save(
        actor=actors.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="Frequentare il corso di italiano",
        service_commitments="Attivare il tirocinio",
        objectives=[{"dimension": "work", "text": "Trovare un tirocinio"}],
        actions=[],
    )
    intervention = intervention_add(
        actor=actors.social_worker,
        case=case,
        type=InterventionType.objects.filter(active=True).order_by("position").first(),
        provider=actors.cpi,
    )
    case.refresh_from_db()
    reader = make_member("esperto", actors.cpi, Profile.LABOUR_POLICY_EXPERT)
    return case, plan, intervention, reader


def test_the_case_page_shows_the_header_and_the_sections_the_clause_covers(actors, world, login):
    case, plan, _intervention, reader = world
    url = reverse("cases:detail", args=[case.pk])
    assert login(reader).get(url).status_code == 404
    share(actors)
    page = login(reader).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert case.person.family_name in html and 'id="case-shared-under"' in html
    assert TITLE in html
    assert 'id="section-a"' in html and 'id="plan-section"' in html  # intake, plan
    assert "Trovare un tirocinio" in html
    # Not covered: section B, the interventions; never to an agreement: the team, the
    # follow-up (reviews and meetings), health information, any button that changes.
    for absent in ('id="assessments-section"', 'id="interventions-section"', 'id="team-section"'):
        assert absent not in html, absent
    assert 'id="case-followup"' not in html
    assert "Diabete di tipo 2" not in html and "Nota di valutazione" not in html
    assert reverse("plans:edit", args=[plan.pk]) not in html
    # Whoever sees the case on their own grounds sees every section, as before.
    own = login(actors.social_worker).get(url).content.decode()
    for present in ('id="assessments-section"', 'id="team-section"', 'id="case-followup"'):
        assert present in own, present
    assert 'id="case-shared-under"' not in own


def test_each_parts_own_pages_follow_the_clause(actors, world, login):
    case, plan, intervention, reader = world
    share(actors)
    client = login(reader)
    version = plan.versions.get()
    answers = {
        "plans:case": client.get(reverse("plans:case", args=[case.pk])).status_code,
        "plans:version": client.get(
            reverse("plans:version", args=[plan.pk, version.number])
        ).status_code,
        "assessments:case": client.get(reverse("assessments:case", args=[case.pk])).status_code,
        "interventions:case": client.get(reverse("interventions:case", args=[case.pk])).status_code,
        "interventions:start": client.get(
            reverse("interventions:start", args=[intervention.pk])
        ).status_code,
        # Changes: never on the strength of an agreement.
        "plans:edit": client.get(reverse("plans:edit", args=[plan.pk])).status_code,
        "assessments:create": client.get(reverse("assessments:create", args=[case.pk])).status_code,
        "cases:close": client.get(reverse("cases:close", args=[case.pk])).status_code,
        "cases:team_add": client.post(reverse("cases:team_add", args=[case.pk])).status_code,
    }
    assert answers == {
        "plans:case": 200,
        "plans:version": 200,
        "assessments:case": 404,
        "interventions:case": 404,
        "interventions:start": 404,
        "plans:edit": 403,
        "assessments:create": 404,
        "cases:close": 404,
        "cases:team_add": 404,
    }
    plan_page = client.get(reverse("plans:case", args=[case.pk])).content.decode()
    assert "Trovare un tirocinio" in plan_page
    assert reverse("plans:edit", args=[plan.pk]) not in plan_page


def test_case_parts_for_gives_all_parts_on_own_grounds_and_the_clauses_otherwise(actors, world):
    case, _plan, _intervention, reader = world
    assert case_parts_for(fresh(reader), case) == frozenset()
    share(actors)
    assert case_parts_for(fresh(reader), case) == frozenset(CLAUSE)
    assert case_parts_for(fresh(actors.social_worker), case) == frozenset(CasePart.values)
    assert case_parts_for(fresh(actors.cpi_consultant), case) == frozenset(CasePart.values)
    assert case_parts_for(fresh(actors.outsider), case) == frozenset()
    # The benefits part, for the income-support pages to ask.
    assert CasePart.BENEFITS not in case_parts_for(fresh(reader), case)


def test_an_agreement_never_opens_a_case_for_writing(actors, world):
    case, _plan, _intervention, reader = world
    share(actors)
    assert get_case_for(fresh(reader), case.pk, part=HEADER) == case
    with pytest.raises(Http404):
        get_case_for(fresh(reader), case.pk)  # the whole case: not an agreement's
    with pytest.raises(Http404):
        get_case_for(fresh(reader), case.pk, write=True)
    with pytest.raises(PermissionDenied):
        find_case_for(fresh(reader), case.pk, write=True, part=CasePart.PLAN)
    with pytest.raises(Http404):
        get_case_for(fresh(reader), case.pk, part=CasePart.ASSESSMENT)


def test_consent_withdrawn_or_agreement_expired_closes_the_case(actors, world, login):
    case, _plan, _intervention, reader = world
    today = timezone.localdate()
    agreement = share(actors, until=today)  # its last day
    url = reverse("cases:detail", args=[case.pk])
    assert login(reader).get(url).status_code == 200
    Agreement.objects.filter(pk=agreement.pk).update(valid_until=today - datetime.timedelta(1))
    assert login(reader).get(url).status_code == 404  # the day after
    Agreement.objects.filter(pk=agreement.pk).update(valid_until=None)
    assert login(reader).get(url).status_code == 200
    consent_withdraw(
        actor=actors.social_worker,
        consent=network_sharing_consent(case.person),
        withdrawn_on=today,
    )
    assert login(reader).get(url).status_code == 404
    assert case_parts_for(fresh(reader), case) == frozenset()


def test_a_party_whose_clause_covers_no_part_of_a_case_sees_no_case(actors, world, login):
    """The SdS's clause covers the plans (of the CPI's cases): the CPI's covers only the
    contacts, so its members see nothing of the SdS's cases."""
    case, _plan, _intervention, reader = world
    share(actors, cpi_sees=(CasePart.CONTACTS,), sds_sees=(CasePart.PLAN,))
    assert login(reader).get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert login(reader).get(reverse("plans:case", args=[case.pk])).status_code == 404


def test_shared_cases_are_listed_on_the_persons_cases_only(actors, world, login):
    case, _plan, _intervention, reader = world
    waiting = make_case(actors, stage=Stage.REFERRED)
    share(actors)
    reader = fresh(reader)
    assert list(person_cases(reader, case.person)) == [case]
    assert case not in cases_visible_to(reader)  # no queue, list or count holds it
    assert waiting not in preassessments_to_do(reader)
    page = login(reader).get(reverse("cases:person_cases", args=[case.person.pk]))
    assert page.status_code == 200
    assert reverse("cases:detail", args=[case.pk]) in page.content.decode()
    assert list(person_cases(fresh(actors.outsider), case.person)) == []


def test_the_access_events_name_the_agreement_the_case_was_read_under(actors, world, login):
    case, plan, _intervention, reader = world
    share(actors)
    client = login(reader)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("plans:case", args=[case.pk])).status_code == 200
    version = plan.versions.get()
    assert client.get(reverse("plans:pdf", args=[plan.pk, version.number])).status_code == 200
    notes = set(
        AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, actor=reader).values_list(
            "object_type", "note"
        )
    )
    assert ("cases.case", f"agreement: {TITLE}") in notes
    assert ("plans.planversion", f"pdf · agreement: {TITLE}") in notes
    login(actors.social_worker).get(reverse("cases:detail", args=[case.pk]))
    own = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, actor=actors.social_worker)
    assert set(own.values_list("note", flat=True)) == {""}


def test_the_case_header_keeps_the_owners_notes_and_area_from_an_agreement_reader(
    actors, world, login
):
    """The area (which may reveal a health condition: disability), the priority's reason,
    the legal basis's reference are the owners' notes: not in any clause's part."""
    case, _plan, _intervention, reader = world
    Case.objects.filter(pk=case.pk).update(
        area="disability", priority_note="Motivo riservato della priorità"
    )
    share(actors, cpi_sees=(CasePart.PLAN,))
    html = login(reader).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="case-shared-under"' in html
    assert "Motivo riservato della priorità" not in html
    with translation.override("it"):
        area = str(ServiceArea.DISABILITY.label)
    assert area not in html and str(ServiceArea.DISABILITY.label) not in html
    assert 'id="case-sharing"' not in html
    # Without the registry part, the person's name is not a link to a page they cannot see.
    assert reverse("people:detail", args=[case.person.pk]) not in html
    own = login(actors.social_worker).get(reverse("cases:detail", args=[case.pk]))
    assert "Motivo riservato della priorità" in own.content.decode()
    assert area in own.content.decode()
