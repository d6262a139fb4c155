"""Cases for tests, built through the services and the workflow (others may import these).

make_case(actors, stage="assessed") walks a case along the pathway to `stage`, with
milestone dates a few days apart ending today, so any later milestone may be today.
"""

import datetime

from django.utils import timezone

from crocevia.accounts.models import Profile
from crocevia.cases import services
from crocevia.cases.models import Case, NeedClass, Outcome, Stage
from crocevia.cases.workflow import PLAN_KIND_FOR_NEED, case_transition
from crocevia.people.models import Consent
from crocevia.testing import PersonFactory, make_member

# Days before today of each milestone a factory case gets.
DAYS_AGO = {
    "referred_on": 60,
    "preassessed_on": 50,
    "team_formed_on": 40,
    "assessed_on": 30,
    "plan_signed_on": 20,
    "plan_started_on": 10,
}

PATH = {
    NeedClass.COMPLEX: [
        Stage.PREASSESSED,
        Stage.TEAM_FORMED,
        Stage.ASSESSED,
        Stage.PLAN_SIGNED,
        Stage.IN_PROGRESS,
    ],
    NeedClass.WORK: [Stage.PREASSESSED, Stage.PLAN_SIGNED, Stage.IN_PROGRESS],
    NeedClass.SOCIAL: [Stage.PREASSESSED, Stage.PLAN_SIGNED, Stage.IN_PROGRESS],
}
MILESTONE_OF = {
    Stage.PREASSESSED: "preassessed_on",
    Stage.TEAM_FORMED: "team_formed_on",
    Stage.ASSESSED: "assessed_on",
    Stage.PLAN_SIGNED: "plan_signed_on",
    Stage.IN_PROGRESS: "plan_started_on",
}


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def give_consent(person, actor) -> Consent:
    return Consent.objects.create(
        person=person,
        scope=Consent.Scope.NETWORK_SHARING,
        given_on=days_ago(90),
        collected_by=actor,
    )


def make_person(actors, *, consent: bool = True, **fields):
    """A person registered by the SdS (the social worker's organisation)."""
    fields.setdefault("created_by_organisation", actors.sds)
    fields.setdefault("created_by", actors.social_worker)
    person = PersonFactory(**fields)
    if consent:
        give_consent(person, actors.social_worker)
    return person


def make_physician(actors, username="medico"):
    """A physician of an ASL service of the zone (reads health information on a team)."""
    from crocevia.testing import OrganisationFactory

    asl = OrganisationFactory(
        code="ASL-PI", name="UFSMA Pisa", kind="asl_service", zone=actors.zone
    )
    return make_member(username, asl, Profile.PHYSICIAN), asl


def make_case(
    actors,
    *,
    stage: str = Stage.REFERRED,
    need_class: str = NeedClass.COMPLEX,
    person=None,
    consent: bool = True,
    preassess: bool = True,
    area: str = "",
) -> Case:
    """A case of the SdS at `stage`, walked there through the services and case_transition.

    Pre-assessment goes through case_preassess (the social worker and the CPI consultant
    join the team) unless `preassess=False`; a complex case gets the social worker as
    case manager (named by the coordinator) before its team is formed.
    """
    if person is None:
        person = make_person(actors, consent=consent)
    case = services.case_open_direct(
        actor=actors.social_worker,
        person=person,
        organisation=actors.sds,
        referred_on=days_ago(DAYS_AGO["referred_on"]),
    )
    if stage == Stage.REFERRED:
        return case
    target_path = PATH[need_class]
    closing = stage == Stage.CLOSED
    if not closing and stage not in target_path:
        raise ValueError(f"a {need_class} case never reaches {stage}")
    for step in target_path:
        day = days_ago(DAYS_AGO[MILESTONE_OF[step]])
        if step == Stage.PREASSESSED:
            if preassess:
                case = services.case_preassess(
                    actor=actors.social_worker,
                    case=case,
                    on=day,
                    need_class=need_class,
                    area=area,
                    social_worker=actors.social_worker,
                    cpi_consultant=actors.cpi_consultant,
                    health_declared="Diabete di tipo 2",
                    work_history="Bracciante agricolo",
                )
            else:
                case = case_transition(
                    case=case,
                    actor=actors.social_worker,
                    to_stage=step,
                    on=day,
                    need_class=need_class,
                )
        elif step == Stage.TEAM_FORMED:
            case = services.case_set_manager(
                actor=actors.coordinator, case=case, user=actors.social_worker
            )
            case = services.case_form_team(actor=actors.coordinator, case=case, on=day)
        elif step == Stage.PLAN_SIGNED:
            case = case_transition(
                case=case,
                actor=actors.social_worker,
                to_stage=step,
                on=day,
                plan_kind=PLAN_KIND_FOR_NEED[need_class],
            )
        else:
            case = case_transition(case=case, actor=actors.social_worker, to_stage=step, on=day)
        if step == stage:
            return case
    # Closing: from the end of the path.
    return services.case_close(
        actor=actors.social_worker,
        case=case,
        on=timezone.localdate(),
        outcome=Outcome.EMPLOYED,
        closing_note="Assunto a tempo determinato",
    )
