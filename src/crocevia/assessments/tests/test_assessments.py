import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crocevia.accounts.models import Profile
from crocevia.assessments.models import Assessment, Dimension
from crocevia.assessments.selectors import case_section_context, score_history
from crocevia.assessments.services import assessment_record
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import NeedClass, Stage
from crocevia.cases.services import team_member_add
from crocevia.testing import days_ago, make_case, make_physician

from .factories import form_data, scores

pytestmark = pytest.mark.django_db


def test_assessment_records_a_score_for_every_dimension_and_the_history_shows_change(actors):
    case = make_case(actors, stage=Stage.TEAM_FORMED)
    sw = actors.social_worker
    assessment_record(
        actor=sw, case=case, phase="entry", assessed_on=days_ago(30), scores=scores(2)
    )
    case.refresh_from_db()
    assessment_record(
        actor=sw,
        case=case,
        phase="in_itinere",
        assessed_on=days_ago(5),
        scores=scores(2, work=(4, "tirocinio avviato")),
    )
    history = score_history(case)
    assert set(history) == set(Dimension.values)
    assert history["work"] == [(days_ago(30), 2), (days_ago(5), 4)]
    assert history["housing"] == [(days_ago(30), 2), (days_ago(5), 2)]
    assert AuditEvent.objects.filter(action=AuditAction.ASSESSMENT_RECORD).count() == 2


def test_complex_entry_assessment_moves_the_case_to_assessed_on_its_date(actors):
    case = make_case(actors, stage=Stage.TEAM_FORMED)
    assessment_record(
        actor=actors.social_worker,
        case=case,
        phase="entry",
        assessed_on=days_ago(25),
        scores=scores(),
    )
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSED
    assert case.assessed_on == days_ago(25)
    assert AuditEvent.objects.filter(
        action=AuditAction.CASE_TRANSITION, changes__stage__1="assessed"
    ).exists()


def test_social_case_assessment_does_not_change_the_stage(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.SOCIAL)
    assessment_record(
        actor=actors.social_worker,
        case=case,
        phase="entry",
        assessed_on=days_ago(5),
        scores=scores(),
    )
    case.refresh_from_db()
    assert case.stage == Stage.PREASSESSED


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"scores": scores(work=(6, ""))}, "score_work"),
        ({"scores": {"work": (3, "")}}, "score_health"),
        ({"phase": "in_itinere"}, "phase"),
        ({"phase": "nonsense"}, "phase"),
        ({"assessed_on": days_ago(-1)}, "assessed_on"),
        ({"assessed_on": days_ago(45)}, "assessed_on"),  # before the team was formed
    ],
)
def test_bad_assessments_are_refused_beside_the_field_and_nothing_is_written(actors, kwargs, field):
    case = make_case(actors, stage=Stage.TEAM_FORMED)
    args = {"phase": "entry", "assessed_on": days_ago(5), "scores": scores()} | kwargs
    with pytest.raises(ValidationError) as info:
        assessment_record(actor=actors.social_worker, case=case, **args)
    assert field in info.value.message_dict
    assert not Assessment.objects.exists()
    case.refresh_from_db()
    assert case.stage == Stage.TEAM_FORMED


def test_complex_case_without_team_cannot_be_assessed(actors):
    case = make_case(actors, stage=Stage.PREASSESSED)
    with pytest.raises(ValidationError):
        assessment_record(
            actor=actors.social_worker,
            case=case,
            phase="entry",
            assessed_on=days_ago(5),
            scores=scores(),
        )


def _physician_on_team(actors, case):
    """A physician (of the zone's ASL service) on the team, reading health information."""
    physician, asl = make_physician(actors)
    team_member_add(
        actor=actors.social_worker,
        case=case,
        user=physician,
        organisation=asl,
        role=Profile.PHYSICIAN,
        on=days_ago(40),
    )
    return physician


def _assessed_case(actors):
    case = make_case(actors, stage=Stage.TEAM_FORMED)
    assessment_record(
        actor=actors.social_worker,
        case=case,
        phase="entry",
        assessed_on=days_ago(25),
        scores=scores(3, health=(2, "Diabete in cura al SERD")),
    )
    case.refresh_from_db()
    return case


def test_health_notes_are_hidden_from_the_cpi_consultant_on_the_team(actors, login):
    case = _assessed_case(actors)
    context = case_section_context(actors.cpi_consultant, case)
    health = next(r for r in context["assessment_rows"] if r["dimension"] == "health")
    assert health["restricted"] is True
    assert health["cells"][0].score == 2
    assert health["cells"][0].notes is None

    page = login(actors.cpi_consultant).get(reverse("assessments:case", args=[case.pk]))
    assert page.status_code == 200
    assert "Diabete" not in page.content.decode()
    assert "note work" in page.content.decode()  # other notes stay visible


@pytest.mark.parametrize("who", ["social_worker", "physician"])
def test_health_notes_are_shown_to_the_case_manager_and_health_members(actors, login, who):
    case = _assessed_case(actors)
    user = _physician_on_team(actors, case) if who == "physician" else actors.social_worker
    page = login(user).get(reverse("assessments:case", args=[case.pk]))
    assert "Diabete in cura al SERD" in page.content.decode()


def test_case_section_shows_table_and_an_accessible_svg_chart(actors, login):
    case = _assessed_case(actors)
    assessment_record(
        actor=actors.social_worker,
        case=case,
        phase="in_itinere",
        assessed_on=days_ago(3),
        scores=scores(4),
    )
    html = login(actors.social_worker).get(reverse("assessments:case", args=[case.pk]))
    html = html.content.decode()
    assert '<svg role="img"' in html
    assert "<title" in html and "<table" in html
    assert "<polyline" in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_case_section_context_runs_a_constant_number_of_queries(
    actors, django_assert_max_num_queries
):
    small = make_case(actors, stage=Stage.TEAM_FORMED)
    assessment_record(
        actor=actors.social_worker,
        case=small,
        phase="entry",
        assessed_on=days_ago(25),
        scores=scores(),
    )
    large = make_case(actors, stage=Stage.TEAM_FORMED)
    assessment_record(
        actor=actors.social_worker,
        case=large,
        phase="entry",
        assessed_on=days_ago(25),
        scores=scores(),
    )
    for n in range(6):
        large.refresh_from_db()
        assessment_record(
            actor=actors.social_worker,
            case=large,
            phase="in_itinere",
            assessed_on=days_ago(20 - n),
            scores=scores(n % 5 + 1),
        )
    for case in (small, large):
        case.refresh_from_db()
        with django_assert_max_num_queries(3):
            context = case_section_context(actors.cpi_consultant, case)
            [cell.score for row in context["assessment_rows"] for cell in row["cells"]]


def test_assessment_form_records_and_moves_the_case(actors, login):
    case = make_case(actors, stage=Stage.TEAM_FORMED)
    client = login(actors.cpi_consultant)
    url = reverse("assessments:create", args=[case.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(score_work="9"))
    assert response.status_code == 200
    assert "score_work-error" in response.content.decode()
    response = client.post(url, form_data(value=2, notes_health="riservato"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSED


def test_closed_case_assessment_form_is_forbidden(actors, login):
    case = make_case(actors, stage=Stage.CLOSED)
    response = login(actors.social_worker).get(reverse("assessments:create", args=[case.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["assessments:case", "assessments:create"])
def test_outsider_gets_404_on_every_assessment_page(actors, login, name):
    case = make_case(actors, stage=Stage.TEAM_FORMED)
    client = login(actors.outsider)
    assert client.get(reverse(name, args=[case.pk])).status_code == 404
    assert client.post(reverse(name, args=[case.pk]), form_data()).status_code in (404, 405)
