import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crocevia.accounts.models import Profile
from crocevia.assessments.models import Intake
from crocevia.assessments.preassessment import case_preassess
from crocevia.audit.models import AuditEvent
from crocevia.cases import services
from crocevia.cases.access import can_read_health
from crocevia.cases.models import Case, NeedClass, Origin, Outcome, Stage, TeamMember
from crocevia.cases.selectors import cases_visible_to
from crocevia.desk.models import Contact, Referral
from crocevia.desk.referrals import referral_answer, referral_send
from crocevia.desk.services import contact_record
from crocevia.testing import (
    days_ago,
    give_consent,
    make_case,
    make_member,
    make_person,
    make_physician,
)

pytestmark = pytest.mark.django_db


def test_a_contact_sent_to_level_2_opens_a_case_with_its_data(actors):
    person = make_person(actors)
    contact = contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=days_ago(2),
        services=["information"],
        outcome=Contact.Outcome.SECOND_LEVEL,
    )
    case = services.case_open_from_contact(actor=actors.desk_operator, contact=contact)
    assert (case.person, case.organisation, case.zone) == (person, actors.sds, actors.zone)
    assert case.referred_on == contact.date
    assert case.origin == Origin.DESK_CONTACT and case.source_contact == contact
    assert case.stage == Stage.REFERRED
    assert AuditEvent.objects.filter(object_id=str(case.pk), person=person).exists()
    with pytest.raises(ValidationError):
        services.case_open_from_contact(actor=actors.desk_operator, contact=contact)


def test_a_solved_contact_does_not_open_a_case(actors):
    person = make_person(actors)
    contact = contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=days_ago(2),
        services=["information"],
    )
    with pytest.raises(ValidationError):
        services.case_open_from_contact(actor=actors.desk_operator, contact=contact)
    assert not Case.objects.exists()


def test_outsider_cannot_open_a_case_from_our_contact(actors):
    person = make_person(actors)
    contact = contact_record(
        actor=actors.desk_operator,
        person=person,
        desk=actors.desk,
        date=days_ago(2),
        services=["information"],
        outcome=Contact.Outcome.SECOND_LEVEL,
    )
    with pytest.raises(PermissionDenied):
        services.case_open_from_contact(actor=actors.outsider, contact=contact)


def test_referral_accepted_by_a_social_worker_opens_a_case(actors):
    person = PersonFactory_for_cpi(actors)
    referral = referral_send(
        actor=actors.cpi_consultant,
        person=person,
        from_organisation=actors.cpi,
        to_organisation=actors.sds,
        sent_on=days_ago(5),
        reason="Bisogni sociali",
    )
    decided = referral_answer(
        actor=actors.social_worker, referral=referral, accept=True, on=days_ago(1)
    )
    assert decided.state == Referral.State.ACCEPTED
    assert decided.opened_case.origin == Origin.REFERRAL
    assert (
        decided.opened_case.organisation == actors.sds
        and decided.opened_case.referred_on == days_ago(5)
    )
    assert cases_visible_to(actors.social_worker).filter(pk=decided.opened_case.pk).exists()


def PersonFactory_for_cpi(actors, consent=True):
    return make_person(
        actors,
        consent=consent,
        created_by_organisation=actors.cpi,
        created_by=actors.cpi_consultant,
    )


def test_referral_without_network_consent_is_refused(actors):
    person = PersonFactory_for_cpi(actors, consent=False)
    with pytest.raises(ValidationError) as error:
        referral_send(
            actor=actors.cpi_consultant,
            person=person,
            from_organisation=actors.cpi,
            to_organisation=actors.sds,
            sent_on=days_ago(5),
        )
    assert "sharing_basis" in error.value.message_dict
    assert not Referral.objects.exists()


def test_preassessment_records_section_a_and_the_mini_team(actors):
    case = make_case(actors, stage=Stage.PREASSESSED, need_class=NeedClass.WORK)
    assert case.stage == Stage.PREASSESSED and case.need_class == NeedClass.WORK
    intake = Intake.objects.get(case=case)
    assert intake.health_declared == "Diabete di tipo 2"
    assert intake.social_worker == actors.social_worker
    team = {m.user: m for m in case.team.all()}
    assert set(team) == {actors.social_worker, actors.cpi_consultant}
    assert team[actors.cpi_consultant].organisation == actors.cpi
    assert team[actors.cpi_consultant].role == Profile.CPI_CONSULTANT


def test_preassessment_without_consent_for_the_cpi_writes_nothing(actors):
    case = make_case(actors, stage=Stage.REFERRED, consent=False)
    with pytest.raises(ValidationError) as error:
        case_preassess(
            actor=actors.social_worker,
            case=case,
            on=days_ago(1),
            need_class=NeedClass.COMPLEX,
            area="other",
            social_worker=actors.social_worker,
            cpi_consultant=actors.cpi_consultant,
        )
    assert "consent" in " ".join(
        error.value.message_dict["cpi_consultant"]
    ).lower() or "consen" in (" ".join(error.value.message_dict["cpi_consultant"]))
    assert not Intake.objects.exists()
    assert not TeamMember.objects.exists()
    assert Case.objects.get(pk=case.pk).stage == Stage.REFERRED


def test_consent_gate_refuses_a_member_of_another_organisation_without_consent(actors):
    case = make_case(actors, stage=Stage.REFERRED, consent=False)
    tutor_org_user = make_member("tutor", actors.other_org, Profile.TUTOR)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.team_member_add(
            actor=actors.coordinator,
            case=case,
            user=tutor_org_user,
            organisation=actors.other_org,
            role=Profile.TUTOR,
            on=days_ago(1),
        )
    message = " ".join(error.value.message_dict["organisation"])
    assert "consented to sharing within the network" in message or "consenso" in message
    assert not TeamMember.objects.filter(case=case).exists()
    assert AuditEvent.objects.count() == events


def test_consent_gate_accepts_a_member_of_another_organisation_with_consent(actors):
    case = make_case(actors, stage=Stage.REFERRED, consent=False)
    give_consent(case.person, actors.social_worker)
    tutor = make_member("tutor", actors.other_org, Profile.TUTOR)
    member = services.team_member_add(
        actor=actors.coordinator,
        case=case,
        user=tutor,
        organisation=actors.other_org,
        role=Profile.TUTOR,
        on=days_ago(1),
    )
    assert member.organisation == actors.other_org and not member.health_access
    assert cases_visible_to(tutor).filter(pk=case.pk).exists()


def test_withdrawn_consent_does_not_count(actors):
    case = make_case(actors, stage=Stage.REFERRED, consent=False)
    consent = give_consent(case.person, actors.social_worker)
    consent.withdrawn_on = days_ago(1)
    consent.save()
    with pytest.raises(ValidationError):
        services.team_member_add(
            actor=actors.coordinator,
            case=case,
            user=actors.cpi_consultant,
            organisation=actors.cpi,
            role=Profile.CPI_CONSULTANT,
            on=days_ago(0),
        )


def test_a_member_of_the_same_organisation_needs_no_consent(actors):
    case = make_case(actors, stage=Stage.REFERRED, consent=False)
    educator = make_member("educatore", actors.sds, Profile.EDUCATOR)
    services.team_member_add(
        actor=actors.coordinator,
        case=case,
        user=educator,
        organisation=actors.sds,
        role=Profile.EDUCATOR,
        on=days_ago(0),
    )


def test_physician_member_reads_health_and_cpi_consultant_does_not(actors):
    case = make_case(actors, stage=Stage.PREASSESSED)
    physician, asl = make_physician(actors)
    member = services.team_member_add(
        actor=actors.coordinator,
        case=case,
        user=physician,
        organisation=asl,
        role=Profile.PHYSICIAN,
        on=days_ago(0),
    )
    assert member.health_access
    assert can_read_health(physician, case)
    assert not can_read_health(actors.cpi_consultant, case)


def test_only_a_zone_coordinator_names_the_case_manager(actors):
    case = make_case(actors, stage=Stage.PREASSESSED)
    with pytest.raises(PermissionDenied):
        services.case_set_manager(actor=actors.social_worker, case=case, user=actors.social_worker)
    case = services.case_set_manager(actor=actors.coordinator, case=case, user=actors.social_worker)
    assert case.case_manager == actors.social_worker
    assert can_read_health(actors.social_worker, case)


def test_the_case_manager_joins_the_team(actors):
    case = make_case(actors, stage=Stage.REFERRED)
    educator = make_member("educatore", actors.sds, Profile.EDUCATOR)
    services.case_set_manager(actor=actors.coordinator, case=case, user=educator)
    assert case.team.filter(user=educator, removed_on__isnull=True).exists()


def test_removing_a_member_ends_their_access(actors):
    case = make_case(actors, stage=Stage.PREASSESSED)
    member = case.team.get(user=actors.cpi_consultant)
    services.team_member_remove(actor=actors.coordinator, member=member, on=days_ago(0))
    assert not cases_visible_to(actors.cpi_consultant).filter(pk=case.pk).exists()


def test_a_closed_case_refuses_changes(actors):
    case = make_case(actors, stage=Stage.CLOSED)
    assert case.outcome == Outcome.EMPLOYED
    educator = make_member("educatore", actors.sds, Profile.EDUCATOR)
    with pytest.raises(PermissionDenied):
        services.team_member_add(
            actor=actors.coordinator,
            case=case,
            user=educator,
            organisation=actors.sds,
            role=Profile.EDUCATOR,
            on=days_ago(0),
        )
    with pytest.raises(PermissionDenied):
        services.case_set_manager(actor=actors.coordinator, case=case, user=educator)


def test_a_new_case_after_closure_links_the_previous_one(actors):
    closed = make_case(actors, stage=Stage.CLOSED)
    again = services.case_open_direct(
        actor=actors.social_worker,
        person=closed.person,
        organisation=actors.sds,
        referred_on=days_ago(0),
    )
    assert again.previous_case == closed


def test_a_second_open_case_for_the_same_person_is_refused(actors):
    case = make_case(actors, stage=Stage.REFERRED)
    with pytest.raises(ValidationError):
        services.case_open_direct(
            actor=actors.social_worker,
            person=case.person,
            organisation=actors.sds,
            referred_on=days_ago(0),
        )


def test_only_a_social_worker_opens_a_case_directly(actors):
    person = make_person(actors)
    with pytest.raises(PermissionDenied):
        services.case_open_direct(
            actor=actors.desk_operator,
            person=person,
            organisation=actors.sds,
            referred_on=days_ago(0),
        )


def test_household_case_with_a_plan_is_offered_instead_of_a_duplicate(actors):
    from crocevia.people.models import Household
    from crocevia.plans.models import Plan

    household = Household.objects.create()
    first = make_case(
        actors,
        person=make_person(actors, household=household),
        stage=Stage.PREASSESSED,
        need_class=NeedClass.SOCIAL,
    )
    Plan.objects.create(case=first, kind="social_project")
    second = make_case(actors, person=make_person(actors, household=household))
    assert services.open_case_with_plan_for_household(second) == first
    assert services.open_case_with_plan_for_household(first) is None


def test_a_case_opened_on_a_legal_basis_preassesses_with_the_cpi_without_consent(actors):
    """The opening asked for the basis: the pre-assessment, which brings in the CPI, never
    fails for a consent the opening did not ask for (issue 18)."""
    person = make_person(actors, consent=False)
    with pytest.raises(ValidationError) as error:
        services.case_open_direct(
            actor=actors.social_worker,
            person=person,
            organisation=actors.sds,
            referred_on=days_ago(5),
        )
    assert set(error.value.message_dict) == {"sharing_basis"}
    assert not Case.objects.exists()
    case = services.case_open_direct(
        actor=actors.social_worker,
        person=person,
        organisation=actors.sds,
        referred_on=days_ago(5),
        sharing={
            "sharing_basis": "legal_obligation",
            "sharing_note": "Decreto del Tribunale per i minorenni di Firenze",
        },
    )
    assert (case.sharing_basis, case.sharing_note) == (
        "legal_obligation",
        "Decreto del Tribunale per i minorenni di Firenze",
    )
    case = case_preassess(
        actor=actors.social_worker,
        case=case,
        on=days_ago(1),
        need_class=NeedClass.COMPLEX,
        area="other",
        social_worker=actors.social_worker,
        cpi_consultant=actors.cpi_consultant,
    )
    assert case.stage == Stage.PREASSESSED
    assert TeamMember.objects.filter(case=case, user=actors.cpi_consultant).exists()
    assert not person.consents.exists()
