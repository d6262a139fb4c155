"""The hand-offs that move the pathway (issue 18), clicked through by the operators who do
them, with the e-mails read from a local SMTP server the worker sends to:

the desk operator refers a person to the CPI (the person consents in the same step) → the
CPI's consultant finds it in the inbox and accepts it → the coordination group names the
case manager, who is told by e-mail → the case manager submits the plan, the coordinator
(told by e-mail) validates it → the CPI sends the person back: the case manager is told.
Steps that are not hand-offs (opening, pre-assessment, the draft, the signature) go
through the services, as the pathway test clicks them already.
"""

import datetime

import pytest
from django.urls import reverse

from crocevia.accounts.models import Membership
from crocevia.assessments.preassessment import case_preassess
from crocevia.cases.models import NeedClass, ServiceArea, Stage
from crocevia.cases.services import case_form_team, case_open_direct
from crocevia.cases.workflow import case_transition
from crocevia.desk.models import Referral
from crocevia.notifications.tests.conftest import run_worker, smtp_server  # noqa: F401
from crocevia.notifications.tests.support import Mailbox
from crocevia.plans.models import ValidationStatus
from crocevia.plans.services import plan_draft_save, plan_get_or_create, plan_sign
from crocevia.testing import PersonFactory

from .test_pathway import Session, _seed_catalogues, session_as  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _mails_to(mailbox, user) -> list:
    return mailbox.to(user.email)


def _with_emails(actors):
    for user in (
        actors.desk_operator,
        actors.social_worker,
        actors.cpi_consultant,
        actors.coordinator,
    ):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def _check_private(mailbox, person) -> None:
    """No mail carries the person's names."""
    for mail in mailbox.messages:
        text = mail["Subject"] + "\n" + Mailbox.body(mail)
        assert person.family_name not in text and person.given_names not in text, text


def test_the_hand_offs_of_the_pathway(session_as, actors, smtp_server, run_worker):  # noqa: F811
    _seed_catalogues()
    _with_emails(actors)
    iso = datetime.date.today().isoformat()
    person = PersonFactory(
        family_name="Kone",
        given_names="Awa",
        created_by=actors.desk_operator,
        created_by_organisation=actors.sds,
    )
    person_url = reverse("people:detail", args=[person.pk])

    # 1. The desk operator refers the person to the CPI; she consents in the same step.
    with session_as("sportello") as s:
        s.goto(person_url)
        send_url = reverse("desk:referral_create", args=[person.pk])
        s.follow(send_url)
        s.page.select_option("select[name=to_organisation]", str(actors.cpi.pk))
        s.page.fill("textarea[name=reason]", "Cerca lavoro: orientamento e patto di servizio")
        s.click_label_of("input[name=consent_now]")
        s.submit(None, form="form[method=post]", expect_path=person_url)
    referral = Referral.objects.get(person=person)
    assert (referral.to_organisation, referral.state, referral.sharing_basis) == (
        actors.cpi,
        "sent",
        "consent",
    )
    assert run_worker() >= 1
    [received] = _mails_to(smtp_server, actors.cpi_consultant)
    assert f"invio n. {referral.pk}" in received["Subject"]
    assert "/notifiche/" in Mailbox.body(received)  # a link to open it, after signing in

    # 2. The CPI's consultant finds it in the inbox and accepts it.
    detail_url = reverse("desk:referral_detail", args=[referral.pk])
    with session_as("consulente") as s:
        s.goto(reverse("desk:referral_inbox"))
        assert "Kone Awa" in s.page.locator("#referrals").inner_text()
        s.follow(detail_url)
        s.click_label_of("input[name=decision][value=accept]")
        s.page.fill("input[name=on]", iso)
        s.submit(reverse("desk:referral_answer", args=[referral.pk]), expect_path=detail_url)
    referral.refresh_from_db()
    assert referral.state == "accepted" and referral.answered_by == actors.cpi_consultant
    run_worker()
    assert _mails_to(smtp_server, actors.desk_operator)  # the sender learns the answer

    # The social worker opens the case (the consent is on record) and pre-assesses it
    # with the CPI's consultant: the services, as the pathway test clicks them.
    case = case_open_direct(
        actor=actors.social_worker,
        person=person,
        organisation=actors.sds,
        referred_on=datetime.date.today(),
    )
    case = case_preassess(
        actor=actors.social_worker,
        case=case,
        on=datetime.date.today(),
        need_class=NeedClass.COMPLEX,
        area=ServiceArea.ECONOMIC_HARDSHIP,
        social_worker=actors.social_worker,
        cpi_consultant=actors.cpi_consultant,
    )
    case_url = reverse("cases:detail", args=[case.pk])
    run_worker()
    before = len(_mails_to(smtp_server, actors.social_worker))

    # 3. The coordination group names the case manager, who is told by e-mail.
    with session_as("coordinatore") as s:
        s.goto(reverse("cases:coordination"))
        s.goto(case_url)
        manager = Membership.objects.get(user=actors.social_worker, organisation=actors.sds)
        s.page.select_option("select[name=manager]", str(manager.pk))
        s.submit(reverse("cases:set_manager", args=[case.pk]), expect_path=case_url)
    case.refresh_from_db()
    assert case.case_manager == actors.social_worker
    run_worker()
    appointed = _mails_to(smtp_server, actors.social_worker)[before:]
    assert len(appointed) == 1 and f"n. {case.pk}" in appointed[0]["Subject"]

    # 4. The case manager submits the plan; the coordinator, told by e-mail, validates it.
    today = datetime.date.today()
    case = case_form_team(actor=actors.coordinator, case=case, on=today)
    case = case_transition(case=case, actor=actors.social_worker, to_stage=Stage.ASSESSED, on=today)
    plan = plan_get_or_create(actor=actors.social_worker, case=case)
    plan_draft_save(
        actor=actors.social_worker,
        plan=plan,
        expected_revision=1,
        person_commitments="Frequentare i colloqui al CPI",
        service_commitments="Orientamento e tirocinio",
        objectives=[{"dimension": "work", "text": "Trovare un tirocinio"}],
        actions=[],
    )
    submit_url = reverse("plans:submit", args=[plan.pk])
    with session_as("assistente") as s:
        s.goto(case_url)
        s.follow(submit_url)
        s.page.fill("input[name=on]", iso)
        s.submit(submit_url, expect_path=case_url)
    run_worker()
    [to_validate] = [
        m for m in _mails_to(smtp_server, actors.coordinator) if f"n. {case.pk}" in m["Subject"]
    ]
    validate_url = reverse("plans:validate", args=[plan.pk])
    with session_as("coordinatore") as s:
        s.goto(validate_url)
        s.page.fill("input[name=on]", iso)
        with s.page.expect_navigation():
            s.page.locator("main button[name=decision][value=validate]").click()
        assert s.page.locator(".invalid-feedback, .alert-danger").count() == 0
    version = plan.versions.get()
    assert version.validation_status == ValidationStatus.VALIDATED
    plan_sign(
        actor=actors.social_worker,
        version=version,
        signed_on=datetime.date.today(),
        operators=[actors.social_worker],
    )
    before = len(_mails_to(smtp_server, actors.social_worker))

    # 5. The person does not keep the pact: the CPI sends her back; the case manager is told.
    with session_as("consulente") as s:
        s.goto(case_url)
        s.page.fill("input[name=back-on]", iso)
        s.page.fill("textarea[name=back-reason]", "Due colloqui saltati senza avvisare")
        s.submit(reverse("cases:send_back", args=[case.pk]), expect_path=case_url)
    back = Referral.objects.get(origin=Referral.Origin.SENT_BACK)
    assert (back.from_organisation, back.to_organisation, back.case) == (
        actors.cpi,
        actors.sds,
        case,
    )
    run_worker()
    sent_back = _mails_to(smtp_server, actors.social_worker)[before:]
    assert any(f"invio n. {back.pk}" in m["Subject"] for m in sent_back)
    _check_private(smtp_server, person)
