import decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.cases.models import Outcome, Stage
from crocevia.cases.services import case_close
from crocevia.interventions.models import Intervention, InterventionType
from crocevia.interventions.selectors import case_section_context
from crocevia.interventions.services import intervention_add, intervention_end, intervention_start
from crocevia.plans.services import plan_get_or_create
from crocevia.testing import days_ago, make_case

pytestmark = pytest.mark.django_db

EXPECTED_CODES = {
    "tirocinio",
    "work-experience",
    "voucher-formativo",
    "italiano-l2",
    "lab-orientamento",
    "lab-informatica",
    "socio-educativo-domiciliare",
    "educativa-territoriale",
    "mediazione-familiare",
    "mediazione-culturale",
    "assistenza-domiciliare",
    "seus",
    "prossimita",
    "prevenzione-dipendenze",
    "cantieri-sociali",
}


def test_the_catalogue_is_seeded_with_italian_names_and_provider_kinds():
    types = {t.code: t for t in InterventionType.objects.all()}
    assert set(types) >= EXPECTED_CODES
    assert types["italiano-l2"].name == "Corso di italiano L2"
    assert types["italiano-l2"].provider_kind == "cpia"
    assert types["seus"].name == "Servizio di pronto intervento sociale (SEUS)"
    assert types["cantieri-sociali"].provider_kind == "third_sector"
    assert {t.provider_kind for t in types.values()} <= {
        "third_sector",
        "cpi",
        "cpia",
        "sds",
        "comune",
        "asl_service",
    }


def _case(actors, stage=Stage.PLAN_SIGNED):
    case = make_case(actors, stage=stage)
    plan_get_or_create(actor=actors.social_worker, case=case)
    return case


def _add(actors, case, code="tirocinio", **kwargs):
    return intervention_add(
        actor=actors.social_worker,
        case=case,
        type=InterventionType.objects.get(code=code),
        provider=actors.cpi,
        hours=decimal.Decimal("120"),
        cost=decimal.Decimal("1500.00"),
        **kwargs,
    )


def test_first_start_on_a_signed_plan_sets_plan_started_on(actors):
    case = _case(actors)
    first = _add(actors, case)
    second = _add(actors, case, code="italiano-l2")
    assert first.status == Intervention.Status.PLANNED
    intervention_start(actor=actors.social_worker, intervention=first, on=days_ago(8))
    case.refresh_from_db()
    assert case.stage == Stage.IN_PROGRESS
    assert case.plan_started_on == days_ago(8)
    intervention_start(actor=actors.social_worker, intervention=second, on=days_ago(2))
    case.refresh_from_db()
    assert case.plan_started_on == days_ago(8)
    first.refresh_from_db()
    assert first.status == Intervention.Status.ACTIVE and first.starts_on == days_ago(8)
    assert AuditEvent.objects.filter(action=AuditAction.INTERVENTION_START).count() == 2


@pytest.mark.parametrize(
    "on, message",
    [(days_ago(-1), "future"), (days_ago(25), "signature")],
)
def test_bad_start_dates_are_refused(actors, on, message):
    case = _case(actors)
    intervention = _add(actors, case)
    with translation.override("en"), pytest.raises(ValidationError) as info:
        intervention_start(actor=actors.social_worker, intervention=intervention, on=on)
    assert message in " ".join(info.value.message_dict["on"])
    case.refresh_from_db()
    assert case.stage == Stage.PLAN_SIGNED


def test_an_intervention_does_not_start_before_the_plan_is_signed(actors):
    case = _case(actors, stage=Stage.ASSESSED)
    intervention = _add(actors, case)
    with pytest.raises(ValidationError):
        intervention_start(actor=actors.social_worker, intervention=intervention, on=days_ago(1))


def test_end_before_start_is_refused(actors):
    case = _case(actors)
    with pytest.raises(ValidationError) as info:
        _add(actors, case, starts_on=days_ago(1), ends_on=days_ago(3))
    assert "ends_on" in info.value.message_dict


def test_add_and_start_over_http(actors, login):
    case = _case(actors)
    client = login(actors.cpi_consultant)
    url = reverse("interventions:create", args=[case.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "type": InterventionType.objects.get(code="voucher-formativo").pk,
            "provider": actors.cpi.pk,
            "hours": "40",
            "cost": "800",
        },
    )
    assert response.status_code == 302
    intervention = Intervention.objects.get(case=case)
    start_url = reverse("interventions:start", args=[intervention.pk])
    assert client.get(start_url).status_code == 200
    response = client.post(start_url, {"on": days_ago(-2).isoformat()})
    assert "on-error" in response.content.decode()
    assert client.post(start_url, {"on": days_ago(4).isoformat()}).status_code == 302
    case.refresh_from_db()
    assert case.plan_started_on == days_ago(4)
    page = client.get(reverse("interventions:case", args=[case.pk])).content.decode()
    assert "Voucher formativo" in page


def test_case_section_context_runs_a_constant_number_of_queries(
    actors, django_assert_max_num_queries
):
    small = _case(actors)
    _add(actors, small)
    large = _case(actors)
    for code in ["tirocinio", "italiano-l2", "seus", "prossimita", "cantieri-sociali"] * 3:
        _add(actors, large, code=code)
    for case in (small, large):
        with django_assert_max_num_queries(1):
            context = case_section_context(actors.social_worker, case)
            [(i.type.name, i.provider.name) for i in context["interventions"]]


def test_outsider_gets_404_on_every_intervention_url(actors, login):
    case = _case(actors)
    intervention = _add(actors, case)
    client = login(actors.outsider)
    for url in [
        reverse("interventions:case", args=[case.pk]),
        reverse("interventions:create", args=[case.pk]),
        reverse("interventions:start", args=[intervention.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("interventions:create", args=[case.pk]),
        reverse("interventions:start", args=[intervention.pk]),
    ]:
        assert client.post(url, {"on": days_ago(1).isoformat()}).status_code == 404, url


def test_closed_case_interventions_are_read_only(actors, login):
    case = _case(actors)
    intervention = _add(actors, case)
    case_close(
        actor=actors.social_worker,
        case=case,
        on=days_ago(0),
        outcome=Outcome.EMPLOYED,
        open_items_reason="Assunta: il piano si chiude qui.",
    )
    client = login(actors.social_worker)
    assert client.get(reverse("interventions:create", args=[case.pk])).status_code == 403
    assert client.get(reverse("interventions:start", args=[intervention.pk])).status_code == 403
    assert client.get(reverse("interventions:case", args=[case.pk])).status_code == 200


def test_a_started_intervention_ends_completed_or_interrupted_and_is_audited(actors, login):
    case = _case(actors)
    intervention = _add(actors, case)
    intervention_start(actor=actors.social_worker, intervention=intervention, on=days_ago(10))
    client = login(actors.social_worker)
    url = reverse("interventions:end", args=[intervention.pk])
    # An end before the start is refused beside the date, nothing changes.
    response = client.post(url, {"on": days_ago(12).isoformat(), "status": "completed"})
    assert response.status_code == 200
    assert response.context["form"].errors["on"]
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
    response = client.post(url, {"on": days_ago(2).isoformat(), "status": "interrupted"})
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.INTERRUPTED
    assert intervention.ends_on == days_ago(2)
    event = AuditEvent.objects.get(
        action=AuditAction.INTERVENTION_END, object_id=str(intervention.pk)
    )
    assert event.changes["status"] == ["active", "interrupted"]
    assert login(actors.outsider).get(url).status_code == 404


def test_an_intervention_that_has_not_started_cannot_end(actors):
    case = _case(actors)
    intervention = _add(actors, case)
    with pytest.raises(ValidationError):
        intervention_end(
            actor=actors.social_worker,
            intervention=intervention,
            on=days_ago(1),
            status=Intervention.Status.COMPLETED,
        )
