"""The whole integrated pathway (PATHWAY.md), clicked through by the operators who do it.

Desk contact sent to level 2 → case opened by a social worker → pre-assessment by the
mini-team (need class complex) → the coordinator names the case manager and a team member
from a third-sector organisation, and records the team formed → entry assessment →
plan → print → submitted by the case manager, validated by the coordinator → signature →
intervention started → review → in itinere assessment (the change chart shows) → closure
with outcome "employed". Every user works in their own browser session; axe-core checks
every page visited.
"""

import datetime
import importlib
import io
from contextlib import contextmanager

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from pypdf import PdfReader

from crocevia.accounts.models import Membership, Profile
from crocevia.assessments.models import Assessment, Dimension
from crocevia.cases.models import Case, NeedClass, Outcome, Review, Stage, TeamMember
from crocevia.desk.models import Contact, DeskService
from crocevia.interventions.models import Intervention, InterventionType
from crocevia.people.models import Consent
from crocevia.plans.models import Plan, ValidationStatus
from crocevia.testing import PASSWORD, OrganisationFactory, PersonFactory, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _seed_catalogues():
    """The catalogues seeded by data migrations (a transactional test before may have
    flushed them)."""
    desk = importlib.import_module("crocevia.desk.migrations.0002_service_catalogue")
    desk.forwards(django_apps, None)
    interventions = importlib.import_module("crocevia.interventions.migrations.0003_seed_catalogue")
    interventions.seed(django_apps, None)


class Session:
    """One operator's browser session, with a check of every page it visits."""

    def __init__(self, page, axe_check):
        self.page = page
        self.axe_check = axe_check

    def goto(self, path):
        self.page.goto(path)
        self.axe_check(self.page)

    def click_label_of(self, selector):
        """Bootstrap Italia draws checkboxes and radios on their labels: click the label."""
        input_id = self.page.locator(selector).get_attribute("id")
        self.page.locator(f"label[for='{input_id}']").click()
        assert self.page.locator(selector).is_checked()

    def submit(self, action, *, expect_path=None, form=None):
        """Submit the form posting to `action` (or the one `form` selects); fail with the
        page's errors if it is refused."""
        form = form or f"form[action='{action}']"
        button = self.page.locator(f"main {form} button[type=submit]")
        with self.page.expect_navigation():
            button.click()
        errors = self.page.locator(".invalid-feedback, .alert-danger")
        assert errors.count() == 0, "\n".join(errors.all_inner_texts())
        if expect_path is not None:
            assert self.page.url.split("#")[0].endswith(expect_path), self.page.url
        self.axe_check(self.page)

    def follow(self, href):
        link = self.page.locator(f"main a[href='{href}']").first
        with self.page.expect_navigation():
            link.click()
        self.axe_check(self.page)


@pytest.fixture
def session_as(browser, live_server, axe_check):
    @contextmanager
    def _session(username):
        context = browser.new_context(base_url=live_server.url, locale="it-IT")
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            session = Session(page, axe_check)
            session.goto("/accesso/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Accedi").click()
            assert "/accesso/" not in page.url, f"{username} could not log in"
            axe_check(page)
            yield session
        finally:
            context.close()

    return _session


def test_the_whole_pathway(session_as, actors):
    _seed_catalogues()
    today = datetime.date.today()
    iso = today.isoformat()
    third_sector = OrganisationFactory(
        code="COOP-PI", name="Cooperativa Il Ponte", kind="third_sector", zone=actors.zone
    )
    tutor = make_member("tutor", third_sector, Profile.TUTOR, first_name="Marco", last_name="Neri")
    person = PersonFactory(
        family_name="Diallo",
        given_names="Fatou",
        created_by=actors.desk_operator,
        created_by_organisation=actors.sds,
    )
    person_url = reverse("people:detail", args=[person.pk])

    # 1. The desk operator records the consent to sharing and a contact sent to level 2.
    with session_as("sportello") as s:
        s.goto(person_url)
        s.page.select_option("select[name=scope]", Consent.Scope.NETWORK_SHARING)
        s.page.fill("input[name=given_on]", iso)
        s.submit(reverse("people:consent_add", args=[person.pk]))
        assert person.consents.filter(scope=Consent.Scope.NETWORK_SHARING).exists()

        s.follow(reverse("desk:contact_create", args=[person.pk]))
        s.page.select_option("select[name=desk]", str(actors.desk.pk))
        s.page.fill("input[name=date]", iso)
        service = DeskService.objects.get(code="legal_advice")
        s.click_label_of(f"input[name=services][value='{service.pk}']")
        s.click_label_of(f"input[name=outcome][value='{Contact.Outcome.SECOND_LEVEL}']")
        s.submit(None, form="form[method=post]", expect_path=person_url)
        contact = Contact.objects.get(person=person)
        assert contact.outcome == Contact.Outcome.SECOND_LEVEL

    # 2. A social worker of the organisation opens the case from that contact, and the
    #    mini-team (the social worker with a CPI consultant) records the pre-assessment.
    with session_as("assistente") as s:
        s.goto(person_url)
        open_url = reverse("cases:open_from_contact", args=[contact.pk])
        s.follow(open_url)
        s.submit(open_url)
        case = Case.objects.get(source_contact=contact)
        case_url = reverse("cases:detail", args=[case.pk])
        assert s.page.url.endswith(case_url)
        assert case.stage == Stage.REFERRED

        s.follow(reverse("cases:preassess", args=[case.pk]))
        s.page.select_option("select[name=social_worker]", str(actors.social_worker.pk))
        s.page.select_option("select[name=cpi_consultant]", str(actors.cpi_consultant.pk))
        s.page.fill("input[name=preassessed_on]", iso)
        s.page.fill("textarea[name=household_composition]", "Vive sola, una figlia in Senegal.")
        s.page.fill("textarea[name=work_history]", "Addetta alle pulizie, tre anni.")
        s.page.fill("textarea[name=health_declared]", "Nulla da segnalare.")
        s.click_label_of(f"input[name=need_class][value='{NeedClass.COMPLEX}']")
        s.page.select_option("select[name=area]", "economic_hardship")
        s.submit(reverse("cases:preassess", args=[case.pk]), expect_path=case_url)
        case.refresh_from_db()
        assert (case.stage, case.need_class) == (Stage.PREASSESSED, NeedClass.COMPLEX)
        assert set(
            TeamMember.objects.filter(case=case).values_list("user__username", flat=True)
        ) == {"assistente", "consulente"}

    # 3. The zone coordinator finds the case waiting, names the case manager, adds the
    #    third-sector tutor to the team and records the team formed.
    with session_as("coordinatore") as s:
        s.goto(reverse("cases:coordination"))
        s.follow(case_url + "#team")
        manager = Membership.objects.get(user=actors.social_worker, organisation=actors.sds)
        s.page.select_option("select[name=manager]", str(manager.pk))
        s.submit(reverse("cases:set_manager", args=[case.pk]), expect_path=case_url)
        tutor_membership = Membership.objects.get(user=tutor)
        s.page.select_option("select[name=membership]", str(tutor_membership.pk))
        s.page.fill("input[name=on]", iso)
        s.submit(reverse("cases:team_add", args=[case.pk]), expect_path=case_url)
        assert "Neri" in s.page.locator("#team-section table").inner_text()
        s.page.fill("input[name='team-on']", iso)
        s.submit(reverse("cases:form_team", args=[case.pk]), expect_path=case_url)
        case.refresh_from_db()
        assert case.stage == Stage.TEAM_FORMED
        assert case.case_manager == actors.social_worker

    # 4-10. The case manager: entry assessment, plan, print, submission (the coordinator
    #       validates it), signature, intervention, review, in itinere assessment, closure.
    with session_as("assistente") as s:
        s.goto(case_url)
        assessment_url = reverse("assessments:create", args=[case.pk])
        s.follow(assessment_url)
        assert s.page.input_value("select[name=phase]") == Assessment.Phase.ENTRY
        s.page.fill("input[name=assessed_on]", iso)
        for dimension in Dimension:
            s.page.select_option(f"select[name=score_{dimension.value}]", "2")
        s.page.fill("textarea[name=notes_work]", "Nessun contratto da un anno.")
        s.submit(assessment_url, expect_path=case_url)
        case.refresh_from_db()
        assert case.stage == Stage.ASSESSED

        # The plan: two objectives, one action each.
        with s.page.expect_navigation():
            s.page.locator(
                f"form[action='{reverse('plans:create', args=[case.pk])}'] button"
            ).click()
        s.axe_check(s.page)
        plan = Plan.objects.get(case=case)
        edit_url = reverse("plans:edit", args=[plan.pk])
        assert s.page.url.endswith(edit_url)
        objectives = [
            (Dimension.WORK, "Trovare un lavoro stabile nel settore delle pulizie."),
            (Dimension.ITALIAN, "Raggiungere il livello A2 di italiano."),
        ]
        for n, (dimension, text) in enumerate(objectives):
            s.page.select_option(f"select[name=obj-{n}-dimension]", dimension.value)
            s.page.fill(f"textarea[name=obj-{n}-text]", text)
        s.page.fill("textarea[name=act-0-description]", "Iscrizione al tirocinio del CPI.")
        s.page.select_option("select[name=act-0-objective]", "1")
        s.page.select_option("select[name=act-0-responsible_user]", str(actors.cpi_consultant.pk))
        s.page.fill("input[name=act-0-due_on]", (today + datetime.timedelta(days=60)).isoformat())
        s.page.fill("textarea[name=act-1-description]", "Iscrizione al corso L2.")
        s.page.select_option("select[name=act-1-objective]", "2")
        s.page.select_option("select[name=act-1-responsible_organisation]", str(third_sector.pk))
        s.page.fill("textarea[name=person_commitments]", "Frequentare il corso.")
        s.submit(edit_url, expect_path=case_url)
        version = plan.versions.get()
        assert version.objectives.count() == 2 and version.actions.count() == 2

        # Print: the PDF is a PDF and carries the person's name and the objectives.
        pdf_url = reverse("plans:pdf", args=[plan.pk, version.number])
        assert s.page.locator(f"main a[href='{pdf_url}']").count() >= 1
        response = s.page.request.get(pdf_url)
        assert response.ok
        assert response.headers["content-type"] == "application/pdf"
        text = " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.body())).pages
        )
        text = " ".join(text.split())
        assert "Diallo" in text and "Fatou" in text
        for _dimension, objective in objectives:
            assert objective in text

        # The case manager submits the plan; the coordination group validates it (seed 004).
        submit_url = reverse("plans:submit", args=[plan.pk])
        s.goto(case_url)
        s.follow(submit_url)
        s.page.fill("input[name=on]", iso)
        s.submit(submit_url, expect_path=case_url)
        version.refresh_from_db()
        assert version.validation_status == ValidationStatus.SUBMITTED
        with session_as("coordinatore") as c:
            c.goto(reverse("cases:coordination"))
            validate_url = reverse("plans:validate", args=[plan.pk])
            c.follow(validate_url)
            c.page.fill("input[name=on]", iso)
            with c.page.expect_navigation():
                c.page.locator("main button[name=decision][value=validate]").click()
            assert c.page.locator(".invalid-feedback, .alert-danger").count() == 0
        version.refresh_from_db()
        assert version.validation_status == ValidationStatus.VALIDATED
        s.goto(case_url)

        # The signature.
        sign_url = reverse("plans:sign", args=[plan.pk, version.number])
        s.follow(sign_url)
        s.page.fill("input[name=signed_on]", iso)
        s.click_label_of(f"input[name=operators][value='{actors.social_worker.pk}']")
        s.click_label_of(f"input[name=operators][value='{actors.cpi_consultant.pk}']")
        s.submit(sign_url, expect_path=case_url)
        case.refresh_from_db()
        assert case.stage == Stage.PLAN_SIGNED

        # An intervention, then its start.
        create_url = reverse("interventions:create", args=[case.pk])
        s.follow(create_url)
        traineeship = InterventionType.objects.get(code="tirocinio")
        s.page.select_option("select[name=type]", str(traineeship.pk))
        s.page.select_option("select[name=provider]", str(actors.cpi.pk))
        s.page.fill("input[name=hours]", "120")
        # No programme pays for it here: ordinary funds, the select's first choice.
        assert s.page.input_value("select[name=funding_action]") == ""
        s.submit(create_url, expect_path=case_url)
        intervention = Intervention.objects.get(case=case)
        start_url = reverse("interventions:start", args=[intervention.pk])
        s.follow(start_url)
        s.page.fill("input[name=on]", iso)
        s.submit(start_url, expect_path=case_url)
        case.refresh_from_db()
        assert case.stage == Stage.IN_PROGRESS

        # A review, scheduled and then recorded from the case page.
        s.page.fill("input[name='schedule-scheduled_on']", iso)
        s.page.select_option("select[name='schedule-kind']", Review.Kind.IN_ITINERE)
        s.submit(reverse("cases:followup_review_schedule", args=[case.pk]), expect_path=case_url)
        review = Review.objects.get(case=case)
        s.page.select_option("select[name='record-review']", str(review.pk))
        s.page.fill("input[name='record-held_on']", iso)
        s.page.fill("textarea[name='record-notes']", "Il tirocinio procede bene.")
        s.submit(reverse("cases:followup_review_record", args=[case.pk]), expect_path=case_url)
        review.refresh_from_db()
        assert review.held_on == today

        # The in itinere assessment: the change chart shows both assessments.
        s.follow(assessment_url)
        assert s.page.input_value("select[name=phase]") == Assessment.Phase.IN_ITINERE
        s.page.fill("input[name=assessed_on]", iso)
        for dimension in Dimension:
            s.page.select_option(f"select[name=score_{dimension.value}]", "4")
        s.submit(assessment_url, expect_path=case_url)
        section = s.page.locator("#assessments-section")
        assert section.locator("svg[role=img]").count() == 1
        assert section.locator("svg polyline").count() == len(Dimension)
        dates = section.locator("table thead th").all_inner_texts()
        assert sum(today.strftime("%d/%m/%Y") in d for d in dates) == 2

        # Closure with outcome "employed".
        close_url = reverse("cases:close", args=[case.pk])
        s.follow(close_url)
        # The traineeship is still in progress and no final review was held: listed, each
        # with its link, and closing over them takes a reason.
        open_items = s.page.locator("#open-items li a")
        assert open_items.count() >= 2
        assert reverse("interventions:end", args=[intervention.pk]) in [
            open_items.nth(i).get_attribute("href") for i in range(open_items.count())
        ]
        s.page.fill("input[name=closed_on]", iso)
        s.page.select_option("select[name=outcome]", Outcome.EMPLOYED)
        s.page.fill(
            "textarea[name=open_items_reason]", "Assunto dall'azienda del tirocinio: si chiude."
        )
        s.submit(close_url, expect_path=case_url)
        # The pathway on the case page: every step done and dated, the current one marked
        # by more than colour (its own border, app.css).
        steps = s.page.locator("#pathway + ol li")
        assert steps.count() == 7
        current = s.page.locator("#pathway + ol li[aria-current=step]")
        assert current.get_attribute("class") == "case-step case-step-current"
        assert current.evaluate("e => getComputedStyle(e).borderTopWidth") == "3px"
        assert s.page.locator("#pathway + ol li.case-step-done").count() == 6
        assert s.page.locator("#pathway + ol li time").count() == 7

    case.refresh_from_db()
    assert case.stage == Stage.CLOSED
    assert case.outcome == Outcome.EMPLOYED
    assert case.need_class == NeedClass.COMPLEX
    assert case.case_manager == actors.social_worker
    for milestone in (
        "referred_on",
        "preassessed_on",
        "team_formed_on",
        "assessed_on",
        "plan_signed_on",
        "plan_started_on",
        "closed_on",
    ):
        assert getattr(case, milestone) == today, milestone
    assert case.benefit_outcome_on is None
    assert TeamMember.objects.filter(
        case=case, user=tutor, organisation=third_sector, removed_on__isnull=True
    ).exists()
    assert list(case.assessments.order_by("pk").values_list("phase", flat=True)) == [
        Assessment.Phase.ENTRY,
        Assessment.Phase.IN_ITINERE,
    ]
