"""What a reader of a plan sees of the rest of the case: a reader under an agreement only
the plan (not the registry, the interventions or the team, unless the clause covers them),
and nobody who does not read the case's health information its health objectives."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from crocevia.accounts.models import Profile
from crocevia.assessments.models import Dimension
from crocevia.cases.access import can_read_health, find_case_for
from crocevia.cases.models import NeedClass, Stage
from crocevia.cases.tests.test_agreement_sharing import share
from crocevia.interventions.models import InterventionType
from crocevia.interventions.services import intervention_add
from crocevia.network.models import CasePart
from crocevia.plans.selectors import case_section_context, hidden_dimensions
from crocevia.plans.services import plan_draft_save, plan_get_or_create
from crocevia.testing import make_case, make_member

pytestmark = pytest.mark.django_db

HEALTH_OBJECTIVE = "Seguire la terapia per il diabete"
WORK_OBJECTIVE = "Trovare un tirocinio"
HEALTH_ACTION = "Visita di controllo"


@pytest.fixture
def world(actors):
    """A complex case of the SdS (its social worker its manager, the CPI consultant on its
    team without health access) with a draft plan holding a work and a health objective
    and an intervention; a labour-policy expert of the CPI, on no team: the reader."""
    case = make_case(actors, stage=Stage.TEAM_FORMED, need_class=NeedClass.COMPLEX)
    plan = plan_get_or_create(actor=actors.social_worker, case=case)
    plan_draft_save(
        actor=actors.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="Frequentare il corso",
        service_commitments="Attivare il tirocinio",
        objectives=[
            {"dimension": Dimension.WORK, "text": WORK_OBJECTIVE},
            {"dimension": Dimension.HEALTH, "text": HEALTH_OBJECTIVE},
        ],
        actions=[
            {
                "description": HEALTH_ACTION,
                "responsible_user": None,
                "responsible_organisation": actors.sds,
                "due_on": None,
                "objective": 2,  # the health objective (counted from 1)
            }
        ],
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


def _pdf_text(client, plan) -> str:
    response = client.get(reverse("plans:pdf", args=[plan.pk, 1]))
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def test_the_pdf_shows_an_agreement_reader_the_plan_only(actors, world, login):
    case, plan, intervention, reader = world
    share(actors, cpi_sees=(CasePart.PLAN,))
    text = _pdf_text(login(reader), plan)
    assert WORK_OBJECTIVE in text and case.person.family_name in text
    # Registry (citizenship, codice fiscale, residence), interventions, team: not covered.
    assert "Senegal" not in text and "Codice fiscale" not in text
    assert intervention.type.name not in text and intervention.provider.name not in text
    # (The case manager is in the case's header, which every reader sees.)
    assert str(actors.cpi_consultant) not in text
    # Nor the health objective (nor its name beside its action).
    assert HEALTH_OBJECTIVE not in text
    assert HEALTH_ACTION in text and "Obiettivo:" not in text


def test_the_pdf_shows_what_the_clause_covers(actors, world, login):
    case, plan, intervention, reader = world
    share(actors, cpi_sees=(CasePart.PLAN, CasePart.REGISTRY, CasePart.INTERVENTIONS))
    text = _pdf_text(login(reader), plan)
    assert "Senegal" in text and "Codice fiscale" in text
    assert intervention.type.name in text
    # The team and health never come with an agreement.
    assert str(actors.cpi_consultant) not in text
    assert HEALTH_OBJECTIVE not in text


def test_the_pdf_shows_the_team_everything_and_health_to_its_readers(actors, world, login):
    case, plan, intervention, _reader = world
    # The case manager reads the case's health information.
    text = _pdf_text(login(actors.social_worker), plan)
    assert "Senegal" in text and intervention.type.name in text
    assert str(actors.cpi_consultant) in text  # a signature line for the draft
    assert HEALTH_OBJECTIVE in text and WORK_OBJECTIVE in text
    assert f"Obiettivo: {HEALTH_OBJECTIVE}" in text
    # A team member without health access reads the rest, not the health objective.
    assert not can_read_health(actors.cpi_consultant, case)
    text = _pdf_text(login(actors.cpi_consultant), plan)
    assert "Senegal" in text and WORK_OBJECTIVE in text
    assert HEALTH_OBJECTIVE not in text


def test_the_plan_pages_hide_the_health_objectives_from_who_does_not_read_health(
    actors, world, login
):
    case, plan, _intervention, reader = world
    share(actors, cpi_sees=(CasePart.PLAN, CasePart.HEALTH))  # health opens nothing
    pages = [
        reverse("plans:version", args=[plan.pk, 1]),
        reverse("plans:case", args=[case.pk]),
        reverse("cases:detail", args=[case.pk]),
    ]
    for user in (reader, actors.cpi_consultant):
        client = login(user)
        for url in pages:
            html = client.get(url).content.decode()
            assert WORK_OBJECTIVE in html, (user, url)
            assert HEALTH_OBJECTIVE not in html, (user, url)
    client = login(actors.social_worker)
    for url in pages:
        assert HEALTH_OBJECTIVE in client.get(url).content.decode(), url


def test_hidden_dimensions_follow_can_read_health(actors, world):
    case, _plan, _intervention, reader = world
    share(actors, cpi_sees=(CasePart.PLAN, CasePart.HEALTH))
    assert hidden_dimensions(actors.social_worker, case) == frozenset()
    assert hidden_dimensions(actors.cpi_consultant, case) == {Dimension.HEALTH}
    shared = find_case_for(reader, case.pk, part=CasePart.PLAN)
    assert hidden_dimensions(reader, shared) == {Dimension.HEALTH}
    groups = case_section_context(reader, shared)["plan_objective_groups"]
    assert [label for label, _objectives in groups] == [Dimension.WORK.label]
