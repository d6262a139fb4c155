"""Cases at a given stage, built with the ORM (the cases services are written in parallel).

Used by the assessments, plans and interventions tests.
"""

import datetime

from django.utils import timezone

from crocevia.accounts.models import Profile
from crocevia.assessments.models import Dimension
from crocevia.cases.models import Case, NeedClass, PlanKind, Stage, TeamMember
from crocevia.testing import PersonFactory, make_member

_ORDER = [
    Stage.REFERRED,
    Stage.PREASSESSED,
    Stage.TEAM_FORMED,
    Stage.ASSESSED,
    Stage.PLAN_SIGNED,
    Stage.IN_PROGRESS,
]


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def make_case(actors, *, stage=Stage.TEAM_FORMED, need_class=NeedClass.COMPLEX, person=None):
    """A case of the SdS (Zona Pisana) managed by the social worker, with the CPI consultant
    on its team (no health access); milestones 50, 40, 30, 20, 10 days ago up to `stage`."""
    reached = _ORDER[: _ORDER.index(stage) + 1] if stage != Stage.CLOSED else _ORDER
    person = person or PersonFactory(family_name="Diallo", given_names="Aminata")
    fields = {"referred_on": days_ago(60)}
    if Stage.PREASSESSED in reached:
        fields.update(preassessed_on=days_ago(50), need_class=need_class)
    complex_ = need_class == NeedClass.COMPLEX
    if complex_ and Stage.TEAM_FORMED in reached:
        fields["team_formed_on"] = days_ago(40)
    if complex_ and Stage.ASSESSED in reached:
        fields["assessed_on"] = days_ago(30)
    if Stage.PLAN_SIGNED in reached:
        fields["plan_signed_on"] = days_ago(20)
        fields["plan_kind"] = {
            NeedClass.COMPLEX: PlanKind.INCLUSION_PROJECT,
            NeedClass.SOCIAL: PlanKind.SOCIAL_PROJECT,
            NeedClass.WORK: PlanKind.SERVICE_PACT,
        }[need_class]
    if Stage.IN_PROGRESS in reached:
        fields["plan_started_on"] = days_ago(10)
    case = Case.objects.create(
        person=person,
        organisation=actors.sds,
        zone=actors.zone,
        origin="direct",
        stage=stage,
        case_manager=actors.social_worker,
        created_by=actors.social_worker,
        **fields,
    )
    for user, organisation, role in (
        (actors.social_worker, actors.sds, "social_worker"),
        (actors.cpi_consultant, actors.cpi, "cpi_consultant"),
    ):
        TeamMember.objects.create(
            case=case,
            user=user,
            organisation=organisation,
            role=role,
            added_on=days_ago(50),
            added_by=actors.social_worker,
        )
    return case


def add_physician(actors, case):
    """A physician of the SdS on the team, reading health information."""
    doctor = make_member("medico", actors.sds, Profile.PHYSICIAN)
    TeamMember.objects.create(
        case=case,
        user=doctor,
        organisation=actors.sds,
        role="physician",
        health_access=True,
        added_on=days_ago(40),
        added_by=actors.social_worker,
    )
    return doctor


def scores(value: int = 3, **overrides) -> dict:
    """A score for every dimension; overrides are (score, notes) tuples by dimension."""
    data = {d.value: (value, f"note {d.value}") for d in Dimension}
    data.update(overrides)
    return data


def form_data(phase="entry", assessed_on=None, value=3, **overrides) -> dict:
    data = {
        "phase": phase,
        "assessed_on": (assessed_on or days_ago(5)).isoformat(),
        "notes": "",
    }
    for d in Dimension:
        data[f"score_{d.value}"] = str(value)
        data[f"notes_{d.value}"] = ""
    data.update(overrides)
    return data
