import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import NeedClass, Outcome, PlanKind, Stage
from crocevia.cases.services import case_close
from crocevia.network.sharing import ALL_PARTS
from crocevia.plans.models import PlanVersion
from crocevia.plans.pdf import plan_pdf
from crocevia.plans.selectors import case_section_context
from crocevia.plans.services import (
    ConflictError,
    action_mark_done,
    plan_draft_save,
    plan_get_or_create,
    plan_sign,
)
from crocevia.testing import days_ago, make_case, make_person, validate_plan

pytestmark = pytest.mark.django_db

OBJECTIVES = [
    {"dimension": "work", "text": "Trovare un tirocinio nel settore della ristorazione"},
    {"dimension": "italian", "text": "Raggiungere il livello A2 di italiano"},
    {"dimension": "housing", "text": "Cercare un alloggio in affitto a canone concordato"},
]


def _actions(actors):
    return [
        {
            "description": "Iscrizione al corso CPIA",
            "responsible_user": None,
            "responsible_organisation": actors.cpi,
            "due_on": days_ago(-30),
            "objective": 2,
        },
        {
            "description": "Colloquio di orientamento",
            "responsible_user": actors.cpi_consultant,
            "responsible_organisation": None,
            "due_on": None,
            "objective": None,
        },
    ]


def _save(
    actors, plan, revision, objectives=OBJECTIVES, user=None, person="Frequentare", actions=None
):
    return plan_draft_save(
        actor=user or actors.social_worker,
        plan=plan,
        expected_revision=revision,
        person_commitments=person,
        service_commitments="Attivare il tirocinio",
        objectives=objectives,
        actions=_actions(actors) if actions is None else actions,
    )


def _plan(actors, stage=Stage.ASSESSED, need_class=NeedClass.COMPLEX):
    person = make_person(actors, family_name="Diallo", given_names="Aminata")
    case = make_case(actors, stage=stage, need_class=need_class, person=person)
    plan = plan_get_or_create(actor=actors.social_worker, case=case)
    return case, plan


def test_plan_kind_follows_the_need_class_and_starts_with_an_empty_draft(actors):
    case, plan = _plan(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    assert plan.kind == PlanKind.SERVICE_PACT
    assert plan_get_or_create(actor=actors.social_worker, case=case) == plan
    assert list(plan.versions.values_list("number", "signed_on")) == [(1, None)]


def test_draft_save_writes_objectives_actions_and_commitments(actors):
    _case, plan = _plan(actors)
    version = _save(actors, plan, 1)
    assert version.number == 1 and version.revision == 2
    assert [o.text for o in version.objectives.all()] == [o["text"] for o in OBJECTIVES]
    first = version.actions.get(position=0)
    assert first.objective.text == OBJECTIVES[1]["text"]
    assert first.responsible_organisation == actors.cpi
    assert AuditEvent.objects.filter(action=AuditAction.PLAN_VERSION_SAVE).exists()


def test_action_without_responsible_is_refused(actors):
    _case, plan = _plan(actors)
    with pytest.raises(ValidationError) as info:
        plan_draft_save(
            actor=actors.social_worker,
            plan=plan,
            expected_revision=1,
            person_commitments="",
            service_commitments="",
            objectives=OBJECTIVES,
            actions=[
                {
                    "description": "x",
                    "responsible_user": None,
                    "responsible_organisation": None,
                    "due_on": None,
                    "objective": None,
                }
            ],
        )
    assert "actions" in info.value.message_dict


def test_concurrent_edit_is_refused_for_the_second_writer(actors):
    _case, plan = _plan(actors)
    # Both operators open the draft at revision 1.
    _save(actors, plan, 1, user=actors.social_worker, person="Versione di Anna")
    with pytest.raises(ConflictError) as info:
        _save(actors, plan, 1, user=actors.cpi_consultant, person="Versione del CPI")
    assert info.value.current.person_commitments == "Versione di Anna"
    assert PlanVersion.objects.get(plan=plan).person_commitments == "Versione di Anna"


def _post_data(version, objectives, person="", revision=None):
    data = {
        "person_commitments": person,
        "service_commitments": "",
        "expected_revision": str(revision if revision is not None else version.revision),
        "obj-TOTAL_FORMS": str(len(objectives) + 1),
        "obj-INITIAL_FORMS": "0",
        "act-TOTAL_FORMS": "1",
        "act-INITIAL_FORMS": "0",
    }
    for i, objective in enumerate(objectives):
        data[f"obj-{i}-dimension"] = objective["dimension"]
        data[f"obj-{i}-text"] = objective["text"]
    return data


def test_concurrent_edit_over_http_shows_the_other_change_and_keeps_the_input(actors, login):
    _case, plan = _plan(actors)
    url = reverse("plans:edit", args=[plan.pk])
    first = login(actors.social_worker)
    assert first.get(url).status_code == 200
    response = first.post(url, _post_data(plan.versions.get(), OBJECTIVES[:1], "Di Anna", 1))
    assert response.status_code == 302

    second = login(actors.cpi_consultant)
    mine = [{"dimension": "income", "text": "Richiedere l'assegno di inclusione"}]
    response = second.post(url, _post_data(None, mine, "Del CPI", revision=1))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Richiedere l&#x27;assegno di inclusione" in html  # my input, kept
    assert OBJECTIVES[0]["text"] in html  # the other's change, shown
    assert 'id="conflict"' in html
    version = plan.versions.get()
    assert version.person_commitments == "Di Anna"
    assert f'name="expected_revision" value="{version.revision}"' in html


def test_signing_freezes_the_version_and_a_later_edit_creates_version_2(actors, login):
    case, plan = _plan(actors)
    v1 = _save(actors, plan, 1)
    validate_plan(actors, plan)
    plan_sign(
        actor=actors.social_worker,
        version=v1,
        signed_on=days_ago(15),
        operators=[actors.social_worker, actors.cpi_consultant],
    )
    case.refresh_from_db()
    assert case.stage == Stage.PLAN_SIGNED
    assert case.plan_signed_on == days_ago(15)
    assert case.plan_kind == PlanKind.INCLUSION_PROJECT
    v1.refresh_from_db()
    assert v1.is_frozen and v1.revision == 3

    v2 = _save(
        actors,
        plan,
        3,
        objectives=OBJECTIVES[:1]
        + [{"dimension": "family", "text": "Iscrivere i figli al centro estivo"}],
    )
    assert v2.number == 2 and not v2.is_frozen
    assert [o.text for o in v1.objectives.all()] == [o["text"] for o in OBJECTIVES]
    with pytest.raises(ValidationError):
        plan_sign(
            actor=actors.social_worker,
            version=v1,
            signed_on=days_ago(1),
            operators=[actors.social_worker],
        )

    client = login(actors.cpi_consultant)
    page = client.get(reverse("plans:version", args=[plan.pk, 1])).content.decode()
    assert OBJECTIVES[2]["text"] in page and "centro estivo" not in page
    page = client.get(reverse("plans:version", args=[plan.pk, 2])).content.decode()
    assert "centro estivo" in page

    # A second signature does not move the case again.
    validate_plan(actors, plan)
    plan_sign(
        actor=actors.social_worker,
        version=v2,
        signed_on=days_ago(1),
        operators=[actors.social_worker],
    )
    case.refresh_from_db()
    assert case.plan_signed_on == days_ago(15)


def test_a_save_started_before_the_signature_is_refused(actors):
    _case, plan = _plan(actors)
    v1 = _save(actors, plan, 1)
    validate_plan(actors, plan)
    plan_sign(
        actor=actors.social_worker,
        version=v1,
        signed_on=days_ago(2),
        operators=[actors.social_worker],
    )
    with pytest.raises(ConflictError):
        _save(actors, plan, 2)


def test_complex_case_plan_cannot_be_signed_before_the_assessment(actors):
    _case, plan = _plan(actors, stage=Stage.TEAM_FORMED)
    v1 = _save(actors, plan, 1)
    validate_plan(actors, plan)
    with pytest.raises(ValidationError):
        plan_sign(
            actor=actors.social_worker,
            version=v1,
            signed_on=days_ago(2),
            operators=[actors.social_worker],
        )
    v1.refresh_from_db()
    assert not v1.is_frozen


def test_the_plan_pdf_contains_the_person_and_every_objective(actors, login):
    _case, plan = _plan(actors)
    v1 = _save(actors, plan, 1)
    text = "".join(
        page.extract_text()
        for page in PdfReader(
            io.BytesIO(plan_pdf(v1, user=actors.admin, parts=ALL_PARTS, hidden=frozenset()))
        ).pages
    )
    flat = " ".join(text.split())
    assert "Diallo" in flat and "Aminata" in flat
    for objective in OBJECTIVES:
        assert objective["text"] in flat

    response = login(actors.cpi_consultant).get(reverse("plans:pdf", args=[plan.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_sign_view_records_the_signature(actors, login):
    case, plan = _plan(actors)
    _save(actors, plan, 1)
    validate_plan(actors, plan)
    url = reverse("plans:sign", args=[plan.pk, 1])
    client = login(actors.social_worker)
    assert client.get(url).status_code == 200
    response = client.post(url, {"signed_on": days_ago(3).isoformat()})
    assert "operators-error" in response.content.decode()
    response = client.post(
        url, {"signed_on": days_ago(3).isoformat(), "operators": [actors.social_worker.pk]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.PLAN_SIGNED


def test_case_section_context_runs_a_constant_number_of_queries(
    actors, django_assert_max_num_queries
):
    _c1, small = _plan(actors)
    _save(actors, small, 1)
    c2, large = _plan(actors)
    revision = 1
    for n in range(4):
        version = _save(actors, large, revision, objectives=OBJECTIVES * 3)
        validate_plan(actors, large)
        plan_sign(
            actor=actors.social_worker,
            version=version,
            signed_on=days_ago(10 - n),
            operators=[actors.social_worker, actors.cpi_consultant],
        )
        revision = version.revision + 1
    for plan in (small, large):
        case = plan.case
        with django_assert_max_num_queries(8):
            context = case_section_context(actors.coordinator, case)
            for v in context["plan_versions"]:
                [a.responsible_user for a in v.actions.all()]
                [a.responsible_organisation for a in v.actions.all()]
                list(v.objectives.all())
                list(v.signed_by_operators.all())


def test_the_edit_page_reads_its_choices_once_however_many_actions(actors, login):
    """The operator and organisation selects of every action row come from one read each:
    a plan of eight actions costs the page no more queries than a plan of two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def edit_page_queries(plan) -> int:
        client = login(actors.social_worker)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("plans:edit", args=[plan.pk]))
        assert response.status_code == 200
        assert response.content.decode().count(f'value="{actors.cpi.pk}"') >= 2
        return len(queries)

    _c1, small = _plan(actors)
    _save(actors, small, 1)
    _c2, large = _plan(actors)
    _save(actors, large, 1, actions=_actions(actors) * 4)
    assert edit_page_queries(large) == edit_page_queries(small)


def test_plan_pages_render(actors, login):
    case, plan = _plan(actors)
    _save(actors, plan, 1)
    client = login(actors.social_worker)
    assert client.get(reverse("plans:case", args=[case.pk])).status_code == 200
    assert client.get(reverse("plans:edit", args=[plan.pk])).status_code == 200


def test_closed_case_plan_is_read_only(actors, login):
    case, plan = _plan(actors)
    _save(actors, plan, 1)
    case_close(
        actor=actors.social_worker,
        case=case,
        on=days_ago(0),
        outcome=Outcome.EMPLOYED,
        # Assessed as complex, no intervention started: its LEP obligation is open.
        open_items_reason="Assunta prima dell'avvio degli interventi.",
    )
    client = login(actors.social_worker)
    assert client.get(reverse("plans:edit", args=[plan.pk])).status_code == 403
    assert client.get(reverse("plans:version", args=[plan.pk, 1])).status_code == 200


def test_outsider_gets_404_on_every_plan_url(actors, login):
    case, plan = _plan(actors)
    _save(actors, plan, 1)
    client = login(actors.outsider)
    gets = [
        reverse("plans:case", args=[case.pk]),
        reverse("plans:edit", args=[plan.pk]),
        reverse("plans:version", args=[plan.pk, 1]),
        reverse("plans:pdf", args=[plan.pk, 1]),
        reverse("plans:sign", args=[plan.pk, 1]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("plans:create", args=[case.pk]),
        reverse("plans:edit", args=[plan.pk]),
        reverse("plans:sign", args=[plan.pk, 1]),
        reverse("plans:validate", args=[plan.pk]),
    ]
    for url in posts:
        assert client.post(url, {"on": days_ago(1).isoformat()}).status_code == 404, url


def _resubmit(response) -> dict:
    """The data a browser sends back for the edit page as rendered (nothing changed)."""
    data = {}
    forms = [response.context["form"]]
    for formset in (response.context["objective_formset"], response.context["action_formset"]):
        mf = formset.management_form
        for name in mf.fields:
            data[mf.add_prefix(name)] = mf[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value in (None, False):
                continue
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            data[form.add_prefix(name)] = value
    return data


def test_saving_the_edit_page_unchanged_keeps_objectives_and_actions(actors, login):
    _case, plan = _plan(actors)
    _save(actors, plan, 1)
    client = login(actors.social_worker)
    url = reverse("plans:edit", args=[plan.pk])
    data = _resubmit(client.get(url))
    data["obj-1-DELETE"] = "on"  # remove the Italian objective; its action loses the link
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    version = plan.versions.get()
    assert [o.text for o in version.objectives.all()] == [
        OBJECTIVES[0]["text"],
        OBJECTIVES[2]["text"],
    ]
    assert [a.description for a in version.actions.all()] == [
        "Iscrizione al corso CPIA",
        "Colloquio di orientamento",
    ]
    assert version.actions.get(position=0).objective is None
    assert version.actions.get(position=0).responsible_organisation == actors.cpi


def test_an_action_of_the_signed_plan_is_marked_done_without_a_new_version(actors, login):
    case, plan = _plan(actors)
    v1 = _save(actors, plan, 1)
    validate_plan(actors, plan)
    plan_sign(
        actor=actors.social_worker,
        version=v1,
        signed_on=days_ago(15),
        operators=[actors.social_worker],
    )
    action = v1.actions.get(description="Colloquio di orientamento")
    url = reverse("plans:action_done", args=[plan.pk, action.pk])
    assert login(actors.outsider).post(url, {"on": days_ago(1).isoformat()}).status_code == 404
    response = login(actors.social_worker).post(url, {"on": days_ago(1).isoformat()})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_on == days_ago(1)
    assert plan.versions.count() == 1
    assert AuditEvent.objects.filter(
        action=AuditAction.PLAN_ACTION_MARK_DONE, object_id=str(action.pk)
    ).exists()
    # A second time, or a future date, is refused and changes nothing.
    with pytest.raises(ValidationError):
        action_mark_done(actor=actors.social_worker, action=action, on=days_ago(0))
    other = v1.actions.get(description="Iscrizione al corso CPIA")
    with pytest.raises(ValidationError):
        action_mark_done(actor=actors.social_worker, action=other, on=days_ago(-2))
    other.refresh_from_db()
    assert other.done_on is None


def test_editing_a_signed_plan_keeps_the_done_dates_of_its_actions(actors, login):
    _case, plan = _plan(actors)
    v1 = _save(actors, plan, 1)
    validate_plan(actors, plan)
    plan_sign(
        actor=actors.social_worker,
        version=v1,
        signed_on=days_ago(15),
        operators=[actors.social_worker],
    )
    done = v1.actions.get(description="Colloquio di orientamento")
    action_mark_done(actor=actors.social_worker, action=done, on=days_ago(3))
    client = login(actors.social_worker)
    url = reverse("plans:edit", args=[plan.pk])
    data = _resubmit(client.get(url))
    data["person_commitments"] = "Frequentare il corso e il tirocinio"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    v2 = plan.versions.get(number=2)
    assert v2.actions.get(description="Colloquio di orientamento").done_on == days_ago(3)
    assert v2.actions.get(description="Iscrizione al corso CPIA").done_on is None
