"""The income-support pages through HTTP: who sees the list and an application, the list's
filters, counts, pages and exports, the application's page (household, cases, history,
access event), the outcome and follow-up forms with their errors, opening the case, an
application recorded by hand from the person's page, the menu."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.recording import NOTE_BENEFITS, NOTE_BENEFITS_EXPORT, NOTE_HOUSEHOLD
from crocevia.benefits.access import can_record_benefit_applications
from crocevia.benefits.models import BenefitApplication, FollowUp, Status
from crocevia.benefits.opening import case_open_from_benefit
from crocevia.benefits.services import (
    benefit_application_follow_up,
    benefit_application_import,
    benefit_application_record_outcome,
)
from crocevia.cases.models import Case, Origin
from crocevia.network.models import Agreement, CasePart
from crocevia.network.services import PartySpec, agreement_create
from crocevia.people.models import Person, Relationship, SharingBasis
from crocevia.people.services import household_add_member
from crocevia.people.sharing import CHOSEN_BASES, LEGAL_BASES, network_sharing_consent
from crocevia.testing import (
    FORMULA_PAYLOADS,
    OrganisationFactory,
    PersonFactory,
    days_ago,
    give_consent,
    make_member,
    make_person,
    make_physician,
    other_zone_cast,
    unsafe_csv_cells,
    workbook_texts,
)

from .factories import make_application, make_applications, make_household

pytestmark = pytest.mark.django_db

LIST = reverse("benefits:list")


def it(text: str) -> str:
    with translation.override("it"):
        return translation.gettext(text)


def it_n(singular: str, plural: str, n: int) -> str:
    with translation.override("it"):
        return translation.ngettext(singular, plural, n)


def it_p(context: str, text: str) -> str:
    with translation.override("it"):
        return translation.pgettext(context, text)


def detail(application) -> str:
    return reverse("benefits:detail", args=[application.pk])


def counted(client, path, params=None):
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    return response, len(queries.captured_queries)


def rejected(actors, application, **fields):
    kwargs = {
        "actor": actors.social_worker,
        "application": application,
        "status": Status.REJECTED,
        "outcome_on": days_ago(60),
        "reason": "dsu",
    }
    kwargs.update(fields)
    return benefit_application_record_outcome(**kwargs)


# --- who sees what ---------------------------------------------------------------------------


def test_the_social_services_and_the_coordinator_of_the_zone_see_the_list(actors, login):
    application = make_application(actors)
    administrative = make_member("amministrativa", actors.sds, "administrative")
    for user in (actors.social_worker, actors.coordinator, administrative, actors.admin):
        response = login(user).get(LIST)
        assert response.status_code == 200, user
        assert list(response.context["applications"]) == [application]


def test_who_records_no_application_gets_no_page(actors, login):
    application = make_application(actors)
    physician, _asl = make_physician(actors)
    for user in (
        actors.monitoring_officer,
        actors.desk_operator,
        actors.cpi_consultant,
        physician,
        actors.outsider,
    ):
        client = login(user)
        assert client.get(LIST).status_code == 404, user
        assert client.get(LIST, {"formato": "csv"}).status_code == 404, user
        assert client.get(detail(application)).status_code == 404, user
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).exists()


def test_only_the_social_services_of_the_zone_see_and_record_applications(actors, login):
    """The zone's SdS and Comuni handle the applications; the other organisations of the
    zone (a cooperative, an ASL service, the CPI, the CPIA) see none, whatever the
    profile of their member."""
    application = make_application(actors)
    _household, person = make_household(actors, person_id="P2", household_id="H2")
    coop = OrganisationFactory(
        code="COOP", name="Coop Arcobaleno", kind="third_sector", zone=actors.zone
    )
    asl = OrganisationFactory(
        code="ASL-SERD", name="SerD Pisa", kind="asl_service", zone=actors.zone
    )
    cpia = OrganisationFactory(code="CPIA-PI", name="CPIA Pisa", kind="cpia", zone=actors.zone)
    comune = OrganisationFactory(
        code="COM-CASCINA", name="Comune di Cascina", kind="comune", zone=actors.zone
    )
    refused = [
        make_member("coop-social", coop, "social_worker"),
        make_member("coop-admin", coop, "administrative"),
        make_member("asl-social", asl, "social_worker"),
        make_member("cpi-admin", actors.cpi, "administrative"),
        make_member("cpi-social", actors.cpi, "social_worker"),
        make_member("cpia-admin", cpia, "administrative"),
    ]
    for user in refused:
        client = login(user)
        assert client.get(LIST).status_code == 404, user
        assert client.get(LIST, {"formato": "csv"}).status_code == 404, user
        assert client.get(detail(application)).status_code == 404, user
        assert client.get(reverse("benefits:create", args=[person.pk])).status_code == 404, user
        assert not can_record_benefit_applications(user, actors.pisa), user
        with pytest.raises(PermissionDenied):
            benefit_application_import(
                actor=user,
                row={
                    "external_id": "INPS-COOP",
                    "household": application.household,
                    "applicant": application.applicant,
                    "comune": actors.pisa,
                    "measure": "ADI",
                    "submitted_on": days_ago(10),
                    "status": "processing",
                    "outcome_on": None,
                },
            )
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).exists()
    assert BenefitApplication.objects.count() == 1
    # A Comune's social services, and a coordinator of the zone whatever their organisation.
    for user in (
        make_member("comune-social", comune, "social_worker"),
        make_member("comune-admin", comune, "administrative"),
        make_member("cpi-coord", actors.cpi, "coordinator"),
    ):
        client = login(user)
        assert client.get(detail(application)).status_code == 200, user
        assert can_record_benefit_applications(user, actors.pisa), user


def test_the_social_services_of_another_zone_see_only_theirs(actors, login):
    mine = make_application(actors)
    other = other_zone_cast(actors)
    household, person = make_household(other, person_id="PL", household_id="HL")
    theirs = make_application(
        other, household=household, applicant=person, external_id="INPS-LI", comune=actors.livorno
    )
    client = login(other.social_worker)
    assert list(client.get(LIST).context["applications"]) == [theirs]
    assert client.get(detail(mine)).status_code == 404
    assert client.get(detail(theirs)).status_code == 200
    assert list(login(actors.admin).get(LIST).context["applications"]) == [theirs, mine]


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_menu_has_the_entry_for_who_sees_the_list(actors, login):
    label = escape(it_p("navigation", "Income support"))
    html = login(actors.social_worker).get(reverse("home")).content.decode()
    assert f'href="{LIST}"' in html and label in html
    html = login(actors.monitoring_officer).get(reverse("home")).content.decode()
    assert f'href="{LIST}"' not in html
    html = login(actors.desk_operator).get(reverse("home")).content.decode()
    assert f'href="{LIST}"' not in html


# --- the list: filters, counts, pages, exports ----------------------------------------------


@pytest.fixture
def variety(actors):
    """Five applications: accepted (Pisa, ADI), rejected (Cascina, RdC) and followed up,
    suspended (Pisa, ADI), lapsed (Pisa, REI, old), being processed (Pisa, ADI)."""
    from crocevia.testing import ComuneFactory

    cascina = ComuneFactory(istat_code="050008", name="Cascina", zone=actors.zone)
    accepted, to_reject, suspended, lapsed, processing = make_applications(actors, 5)
    rejected(actors, to_reject)
    BenefitApplication.objects.filter(pk=to_reject.pk).update(comune=cascina, measure="RDC")
    benefit_application_follow_up(
        actor=actors.social_worker, application=to_reject, on=days_ago(30), note="Colloquio"
    )
    rejected(actors, suspended, status=Status.SUSPENDED, reason="activation")
    BenefitApplication.objects.filter(pk=lapsed.pk).update(
        submitted_on=days_ago(400), outcome_on=days_ago(380), status="lapsed", measure="REI"
    )
    rejected(actors, processing, status=Status.PROCESSING, outcome_on=None, reason="")
    return {
        "accepted": accepted,
        "rejected": to_reject,
        "suspended": suspended,
        "lapsed": lapsed,
        "processing": processing,
        "cascina": cascina,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["processing", "suspended", "rejected", "accepted", "lapsed"]),
        ({"stato": "suspended"}, ["suspended"]),
        ({"misura": "RDC"}, ["rejected"]),
        ({"comune": "cascina"}, ["rejected"]),
        ({"dal": days_ago(200).isoformat()}, ["processing", "suspended", "rejected", "accepted"]),
        ({"al": days_ago(200).isoformat()}, ["lapsed"]),
        ({"da_affiancare": "on"}, ["suspended", "lapsed"]),
        ({"da_affiancare": "on", "misura": "ADI"}, ["suspended"]),
    ],
    ids=["all", "status", "measure", "comune", "from", "to", "to-follow-up", "combined"],
)
def test_the_list_filters_newest_first(actors, login, variety, params, expected):
    # The same day for all but the old lapsed one: newest first by day, then by number.
    if params.get("comune") == "cascina":
        params = {"comune": variety["cascina"].pk}
    response = login(actors.social_worker).get(LIST, params)
    assert response.status_code == 200
    names = {application.pk: name for name, application in variety.items() if name != "cascina"}
    assert [names[a.pk] for a in response.context["applications"]] == expected


def test_the_counts_are_per_status_within_the_other_filters(actors, login, variety):
    response = login(actors.social_worker).get(LIST, {"misura": "ADI", "stato": "accepted"})
    counts = response.context["counts"]
    assert {k: counts[k] for k in ("accepted", "suspended", "rejected", "processing")} == {
        "accepted": 1,
        "suspended": 1,
        "rejected": 0,
        "processing": 1,
    }
    assert (counts["total"], counts["to_follow_up"]) == (3, 1)
    html = response.content.decode()
    assert "misura=ADI&amp;stato=suspended" in html
    assert escape(it_p("benefit application", "Lapsed or revoked")) in html


def test_an_inverted_period_is_shown_as_an_error_and_lists_everything(actors, login, variety):
    response = login(actors.social_worker).get(
        LIST, {"dal": days_ago(1).isoformat(), "al": days_ago(30).isoformat()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["al"] == [
        it("The end of the period comes before its start.")
    ]
    assert response.context["page"].paginator.count == 5


def test_an_invalid_filter_exports_nothing_and_hides_the_export(actors, login, variety):
    """An inverted period lists everything with its error: the export answers 400 rather
    than give the whole zone's file."""
    client = login(actors.social_worker)
    params = {"dal": days_ago(1).isoformat(), "al": days_ago(30).isoformat()}
    html = client.get(LIST, params).content.decode()
    assert "formato=csv" not in html and "formato=xlsx" not in html
    for fmt in ("csv", "xlsx"):
        response = client.get(LIST, {**params, "formato": fmt})
        assert response.status_code == 400
        assert response.content.decode() == it(
            "The filters are not valid: correct them on the list, then export again."
        )
    assert not AuditEvent.objects.filter(note=NOTE_BENEFITS_EXPORT).exists()
    assert "formato=csv" in client.get(LIST, {"dal": days_ago(200).isoformat()}).content.decode()


def test_the_list_pages_in_a_constant_number_of_queries(actors, login):
    client = login(actors.coordinator)
    make_applications(actors, 1)
    client.get(LIST)  # the session and caches warm
    response, one = counted(client, LIST)
    assert len(response.context["applications"]) == 1
    applications = make_applications(actors, 60, start=1)
    rejected(actors, applications[0])
    response, many = counted(client, LIST)
    assert len(response.context["applications"]) == 50
    assert many == one
    page_two = client.get(LIST, {"page": 2})
    assert len(page_two.context["applications"]) == 11
    assert page_two.context["page"].paginator.count == 61
    response, export = counted(client, LIST, {"formato": "csv"})
    assert len(list(csv.reader(io.StringIO(response.content.decode())))) == 62
    assert export <= one


def test_the_list_records_only_the_applicants_it_shows(actors, login):
    applications = make_applications(actors, 52)
    login(actors.social_worker).get(LIST)
    shown = AuditEvent.objects.filter(note=NOTE_BENEFITS, actor=actors.social_worker)
    assert shown.count() == 50
    newest = {a.applicant_id for a in applications[2:]}
    assert set(shown.values_list("person_id", flat=True)) == newest


def test_csv_export_holds_the_filtered_list_formula_safe(actors, login, variety):
    # The renamed applicant applies once: the payload makes one row of the file.
    assert BenefitApplication.objects.filter(applicant=variety["suspended"].applicant).count() == 1
    variety["suspended"].applicant.family_name = FORMULA_PAYLOADS[0]
    variety["suspended"].applicant.save()
    client = login(actors.social_worker)
    response = client.get(LIST, {"formato": "csv", "da_affiancare": "on"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="domande-sostegno-reddito-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == [
        it("Application id"),
        it("Applicant"),
        it("Comune"),
        it("Measure"),
        it("Status"),
    ]
    assert [row[0] for row in rows[1:]] == [
        variety["suspended"].external_id,
        variety["lapsed"].external_id,
    ]
    suspended = rows[1]
    assert suspended[4] == it_p("benefit application", "Suspended")
    assert suspended[5] == it(
        "Activation duties not met (pact not signed, appointments missed, no SIISL registration)"
    )
    assert suspended[-1] == it("Yes")
    assert unsafe_csv_cells(rows) == []
    exported = AuditEvent.objects.filter(note=NOTE_BENEFITS_EXPORT, actor=actors.social_worker)
    assert set(exported.values_list("person_id", flat=True)) == {
        variety["suspended"].applicant_id,
        variety["lapsed"].applicant_id,
    }


def test_xlsx_export_holds_every_row_as_safe_text(actors, login, variety):
    applicant = variety["accepted"].applicant
    applicant.family_name = FORMULA_PAYLOADS[1]
    applicant.save()
    client = login(actors.coordinator)
    response = client.get(LIST, {"formato": "xlsx"})
    assert response.status_code == 200
    texts, unsafe = workbook_texts(response.content)
    assert unsafe == []
    assert it("Outcome date") in texts
    assert sum(FORMULA_PAYLOADS[1] in text for text in texts) == 1
    assert client.get(LIST, {"formato": "pdf"}).status_code == 400


# --- the application's page -----------------------------------------------------------------


@pytest.fixture
def family(actors):
    """A household of three: the applicant, a child, and a partner registered by another
    zone (whom our operators may not see)."""
    household, applicant = make_household(actors)
    child = PersonFactory(
        given_names="Omar", created_by=actors.social_worker, created_by_organisation=actors.sds
    )
    household_add_member(
        actor=actors.social_worker,
        household=household,
        person=child,
        relationship=Relationship.CHILD,
    )
    partner = PersonFactory(given_names="Ibrahima", created_by_organisation=actors.other_org)
    household_add_member(
        actor=actors.admin,
        household=household,
        person=partner,
        relationship=Relationship.PARTNER,
    )
    return household, applicant, child, partner


def test_the_page_shows_the_household_and_records_the_access(actors, login, family):
    household, applicant, child, partner = family
    application = make_application(actors, household=household, applicant=applicant)
    client = login(actors.social_worker)
    response = client.get(detail(application))
    assert response.status_code == 200
    html = response.content.decode()
    assert [m.pk for m in response.context["members"]] == sorted(
        [applicant.pk, child.pk], key=lambda pk: (Person.objects.get(pk=pk).birth_date, pk)
    )
    for person in (applicant, child):
        assert escape(person.full_name) in html
    assert reverse("people:detail", args=[child.pk]) in html
    assert reverse("people:detail", args=[applicant.pk]) in html
    # The partner, registered by another zone, is counted, never named (as the registry).
    assert response.context["hidden_members"] == 1
    assert escape(partner.full_name) not in html
    assert partner.given_names not in html
    assert reverse("people:detail", args=[partner.pk]) not in html
    assert (
        escape(
            it_n(
                "One more member is registered by an organisation whose records you cannot see.",
                "%(counter)s more members are registered by organisations whose records you "
                "cannot see.",
                1,
            )
        )
        in html
    )
    viewed = AuditEvent.objects.get(action=AuditAction.BENEFIT_APPLICATION_VIEW)
    assert (viewed.object_id, viewed.person_id, viewed.actor) == (
        str(application.pk),
        applicant.pk,
        actors.social_worker,
    )
    members = AuditEvent.objects.filter(note=NOTE_HOUSEHOLD, actor=actors.social_worker)
    assert set(members.values_list("person_id", flat=True)) == {child.pk}
    # Who sees every member (the administrator) sees them all named.
    page = login(actors.admin).get(detail(application))
    assert page.context["hidden_members"] == 0
    assert escape(partner.full_name) in page.content.decode()


def test_the_page_shows_the_outcome_the_reason_and_the_history(actors, login):
    application = make_application(actors, status=Status.PROCESSING, outcome_on=None)
    rejected(actors, application, reason="other", note="Residenza non ancora registrata")
    response = login(actors.coordinator).get(detail(application))
    html = response.content.decode()
    assert escape(it("Other reason (described in the note)")) in html
    assert "Residenza non ancora registrata" in html
    history = response.context["history"]
    assert [line.action for line in history] == [
        it("INPS outcome of a benefit application recorded"),
        it("Benefit application recorded"),
    ]
    labels = {label: (old, new) for label, old, new in history[0].changes}
    assert labels[it("status")] == (
        it_p("benefit application", "Being processed"),
        it_p("benefit application", "Rejected"),
    )
    assert labels[it("note on the outcome")] == (None, None)  # changed: its text never shown
    assert escape(it("to follow up")) in html


def test_the_page_costs_the_same_queries_whatever_its_history(actors, login, family):
    household, applicant, _child, _partner = family
    application = make_application(actors, household=household, applicant=applicant)
    client = login(actors.social_worker)
    rejected(actors, application)
    client.get(detail(application))
    _response, few = counted(client, detail(application))
    for day in range(10):
        rejected(actors, application, outcome_on=days_ago(50 + day))
        benefit_application_follow_up(
            actor=actors.social_worker, application=application, on=days_ago(1), note="Sentiti"
        )
    _response, many = counted(client, detail(application))
    assert many == few


# --- the outcome form -----------------------------------------------------------------------


def _post_outcome(client, application, **fields):
    data = {
        "status": "rejected",
        "outcome_on": days_ago(20).isoformat(),
        "outcome_reason": "income_above_threshold",
        "outcome_note": "",
        "version": application.version,
    }
    data.update(fields)
    return client.post(reverse("benefits:outcome", args=[application.pk]), data)


def test_the_outcome_is_recorded_from_the_page(actors, login):
    application = make_application(actors, status=Status.PROCESSING, outcome_on=None)
    response = _post_outcome(login(actors.social_worker), application)
    assert response.status_code == 302 and response.url == detail(application)
    application.refresh_from_db()
    assert (application.status, application.outcome_reason) == (
        "rejected",
        "income_above_threshold",
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"outcome_reason": ""},
            "outcome_reason",
            "Choose the reason INPS gave for this outcome.",
        ),
        (
            {"outcome_reason": "other"},
            "outcome_note",
            "Describe the reason in the note: you chose “Other reason”.",
        ),
        (
            {"status": "processing"},
            "outcome_on",
            "An application still being processed has no outcome date: leave the date empty, "
            "or choose the outcome INPS gave.",
        ),
        (
            {"status": "accepted", "outcome_on": ""},
            "outcome_on",
            "Enter the INPS outcome date of an accepted application.",
        ),
    ],
    ids=["no-reason", "other-without-note", "processing-with-date", "accepted-without-date"],
)
def test_a_wrong_outcome_shows_its_error_in_italian_beside_the_field(
    actors, login, fields, field, message
):
    application = make_application(actors, status=Status.PROCESSING, outcome_on=None)
    response = _post_outcome(login(actors.social_worker), application, **fields)
    assert response.status_code == 200
    form = response.context["outcome_form"]
    assert form.errors[field] == [it(message)]
    assert escape(it(message)) in response.content.decode()
    assert escape(it("Nothing was recorded: please correct the fields marked below.")) in (
        response.content.decode()
    )
    application.refresh_from_db()
    assert application.status == "processing"


def test_an_outcome_from_a_stale_page_is_refused_and_what_was_typed_kept(actors, login):
    application = make_application(actors, status=Status.PROCESSING, outcome_on=None)
    rejected(actors, application)  # someone else, meanwhile
    response = _post_outcome(
        login(actors.coordinator),
        application,
        version=1,
        status="suspended",
        outcome_reason="dsu",
    )
    assert response.status_code == 200
    form = response.context["outcome_form"]
    assert form["status"].value() == "suspended"
    assert form["version"].value() == 2
    assert form.non_field_errors()
    application.refresh_from_db()
    assert application.status == "rejected"


# --- the follow-up --------------------------------------------------------------------------


def test_the_follow_up_is_recorded_from_the_page(actors, login):
    application = rejected(actors, make_application(actors))
    client = login(actors.social_worker)
    page = client.get(detail(application))
    assert page.context["follow_up_form"] is not None
    response = client.post(
        reverse("benefits:follow_up", args=[application.pk]),
        {"on": days_ago(2).isoformat(), "note": "Colloquio con la famiglia", "version": 2},
    )
    assert response.status_code == 302
    follow_up = FollowUp.objects.get()
    assert (follow_up.application, follow_up.recorded_by) == (application, actors.social_worker)
    html = client.get(detail(application)).content.decode()
    assert "Colloquio con la famiglia" in html
    assert escape(it("followed up")) in html


def test_a_follow_up_without_its_note_is_shown_again_with_the_error(actors, login):
    application = rejected(actors, make_application(actors))
    response = login(actors.coordinator).post(
        reverse("benefits:follow_up", args=[application.pk]),
        {"on": days_ago(2).isoformat(), "note": "", "version": 2},
    )
    assert response.status_code == 200
    assert "note" in response.context["follow_up_form"].errors
    assert not FollowUp.objects.exists()


def test_the_follow_up_form_is_not_offered_for_an_accepted_application(actors, login):
    application = make_application(actors)
    page = login(actors.social_worker).get(detail(application))
    assert "follow_up_form" not in page.context
    response = login(actors.social_worker).post(
        reverse("benefits:follow_up", args=[application.pk]),
        {"on": days_ago(2).isoformat(), "note": "x", "version": 1},
    )
    assert response.status_code == 302 and response.url == detail(application)
    assert not FollowUp.objects.exists()


def test_who_may_not_follow_up_is_refused_before_anything_else(actors, login):
    """The administrative staff see the application but do not follow households up: 403,
    whatever the application's status or the version they send."""
    application = rejected(actors, make_application(actors))
    accepted = make_applications(actors, 1)[0]
    administrative = make_member("amministrativa", actors.sds, "administrative")
    client = login(administrative)
    assert "follow_up_form" not in client.get(detail(application)).context
    for target, version in ((application, 2), (application, 1), (accepted, 1)):
        response = client.post(
            reverse("benefits:follow_up", args=[target.pk]),
            {"on": days_ago(2).isoformat(), "note": "x", "version": version},
        )
        assert response.status_code == 403, (target, version)
    assert not FollowUp.objects.exists()


# --- opening the case -----------------------------------------------------------------------


def test_the_case_opens_from_an_accepted_application_and_the_page_goes_to_it(actors, login):
    application = make_application(actors)
    client = login(actors.social_worker)
    page = client.get(detail(application))
    assert page.context["may_open_case"]
    assert reverse("benefits:open_case", args=[application.pk]) in page.content.decode()
    assert not page.context["has_consent"]
    assert 'name="sharing_basis"' in page.content.decode()
    url = reverse("benefits:open_case", args=[application.pk])
    # The applicant has not consented to sharing within the network: a basis is asked.
    response = client.post(url, {"organisation": actors.sds.pk})
    assert response.status_code == 200
    assert "sharing_basis" in response.context["open_case_form"].errors
    assert not Case.objects.exists()
    # The consent given now is recorded with the case.
    response = client.post(url, {"organisation": actors.sds.pk, "consent_now": "on"})
    case = Case.objects.get()
    assert case.sharing_basis == SharingBasis.CONSENT
    assert network_sharing_consent(application.applicant) is not None
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    assert (case.origin, case.benefit_application, case.benefit_outcome_on) == (
        Origin.BENEFIT,
        application,
        application.outcome_on,
    )
    assert case.referred_on == application.submitted_on
    page = client.get(detail(application))
    assert not page.context["may_open_case"]
    assert reverse("cases:detail", args=[case.pk]) in page.content.decode()


def test_the_open_case_button_only_where_allowed(actors, login):
    accepted = make_application(actors)
    processing = make_applications(actors, 1, status=Status.PROCESSING, outcome_on=None)[0]
    administrative = make_member("amministrativa", actors.sds, "administrative")
    button = reverse("benefits:open_case", args=[accepted.pk])
    assert button not in login(administrative).get(detail(accepted)).content.decode()
    assert login(administrative).post(button, {"organisation": actors.sds.pk}).status_code == 403
    page = login(actors.social_worker).get(detail(processing))
    assert not page.context["may_open_case"]
    assert login(actors.coordinator).get(detail(accepted)).context["may_open_case"]
    assert not Case.objects.exists()


def test_a_case_opens_on_a_legal_basis_with_its_reference(actors, login):
    application = make_application(actors)
    url = reverse("benefits:open_case", args=[application.pk])
    client = login(actors.social_worker)
    legal = next(basis for basis in CHOSEN_BASES if basis in LEGAL_BASES)
    response = client.post(url, {"organisation": actors.sds.pk, "sharing_basis": legal})
    assert "sharing_note" in response.context["open_case_form"].errors
    assert not Case.objects.exists()
    client.post(
        url, {"organisation": actors.sds.pk, "sharing_basis": legal, "sharing_note": "L. 328/2000"}
    )
    case = Case.objects.get()
    assert (case.sharing_basis, case.sharing_note) == (legal, "L. 328/2000")
    assert network_sharing_consent(application.applicant) is None
    # With the consent on record, nothing more is asked.
    other = make_applications(actors, 1)[0]
    give_consent(other.applicant, actors.social_worker)
    page = client.get(detail(other))
    assert page.context["has_consent"]
    client.post(reverse("benefits:open_case", args=[other.pk]), {"organisation": actors.sds.pk})
    assert Case.objects.get(benefit_application=other).sharing_basis == SharingBasis.CONSENT


def test_the_outcome_of_an_application_that_opened_a_case_no_longer_changes(actors, login):
    application = make_application(actors)
    case = case_open_from_benefit(
        actor=actors.social_worker, application=application, organisation=actors.sds
    )
    client = login(actors.social_worker)
    response = _post_outcome(client, application, version=application.version)
    assert response.status_code == 200
    errors = response.context["outcome_form"].errors
    message = it(
        "Case n. %(number)s was opened from this application, accepted by INPS on %(day)s, "
        "and carries that outcome: the status and the outcome date can no longer change."
    ) % {"number": case.pk, "day": application.outcome_on.strftime("%d/%m/%Y")}
    assert errors["status"] == [message]
    assert escape(message) in response.content.decode()
    response = _post_outcome(
        client,
        application,
        status="accepted",
        outcome_on=days_ago(60).isoformat(),
        outcome_reason="",
        version=application.version,
    )
    assert response.context["outcome_form"].errors["outcome_on"] == [message]
    application.refresh_from_db()
    case.refresh_from_db()
    assert (application.status, application.outcome_on) == ("accepted", days_ago(70))
    assert case.benefit_outcome_on == application.outcome_on


def test_a_referral_date_outside_the_application_is_shown_as_an_error(actors, login):
    application = make_application(actors)
    response = login(actors.social_worker).post(
        reverse("benefits:open_case", args=[application.pk]),
        {
            "organisation": actors.sds.pk,
            "referred_on": days_ago(200).isoformat(),
            "consent_now": "on",
        },
    )
    assert response.status_code == 200
    assert "referred_on" in response.context["open_case_form"].errors
    assert not Case.objects.exists()


# --- an application recorded by hand -------------------------------------------------------


def test_the_person_page_lists_the_households_applications_and_offers_a_new_one(actors, login):
    application = make_application(actors)
    person = application.applicant
    html = login(actors.social_worker).get(reverse("people:detail", args=[person.pk])).content
    html = html.decode()
    assert detail(application) in html
    assert reverse("benefits:create", args=[person.pk]) in html
    html = login(actors.desk_operator).get(reverse("people:detail", args=[person.pk])).content
    assert reverse("benefits:create", args=[person.pk]) not in html.decode()


def test_no_application_is_recorded_for_a_person_read_under_an_agreement(actors, login):
    """The SdS reads a person of the Comune di Cascina under an agreement: the section
    lists the household's applications, without the button (the page answers 403)."""
    cascina = OrganisationFactory(
        code="COM-CASCINA", name="Comune di Cascina", kind="comune", zone=actors.zone
    )
    registrar = make_member("assistente-cascina", cascina, "social_worker")
    agreement_create(
        actor=None,
        title="Protocollo Cascina – SdS",
        kind=Agreement.Kind.PROTOCOL,
        signed_on=days_ago(400),
        valid_from=days_ago(400),
        parties=[
            PartySpec(cascina, shared_parts=()),
            PartySpec(actors.sds, shared_parts=(CasePart.REGISTRY,)),
        ],
    )
    person = make_person(actors, created_by_organisation=cascina, created_by=registrar)
    client = login(actors.social_worker)
    page = client.get(reverse("people:detail", args=[person.pk]))
    assert page.status_code == 200
    assert page.context["shared_under"]
    assert page.context["benefit_section"] is not None
    html = page.content.decode()
    assert 'id="benefit-applications"' in html
    assert reverse("benefits:create", args=[person.pk]) not in html
    assert client.get(reverse("benefits:create", args=[person.pk])).status_code == 403


def test_an_application_is_recorded_by_hand_for_the_applicants_household(actors, login):
    household, person = make_household(actors)
    url = reverse("benefits:create", args=[person.pk])
    client = login(actors.social_worker)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"comune": actors.pisa.pk, "measure": "ADI", "submitted_on": days_ago(4).isoformat()},
    )
    application = BenefitApplication.objects.get()
    assert response.status_code == 302 and response.url == detail(application)
    assert (application.household, application.applicant, application.status) == (
        household,
        person,
        "processing",
    )
    assert application.has_generated_id


def test_a_person_without_household_is_told_to_record_it_first(actors, login):
    person = PersonFactory(created_by=actors.social_worker, created_by_organisation=actors.sds)
    response = login(actors.social_worker).post(
        reverse("benefits:create", args=[person.pk]),
        {"comune": actors.pisa.pk, "measure": "ADI", "submitted_on": days_ago(4).isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert reverse("people:household", args=[person.pk]) in response.content.decode()
    assert not BenefitApplication.objects.exists()


def test_an_application_by_hand_in_the_future_or_elsewhere_is_refused(actors, login):
    _household, person = make_household(actors)
    client = login(actors.social_worker)
    url = reverse("benefits:create", args=[person.pk])
    response = client.post(
        url, {"comune": actors.pisa.pk, "measure": "ADI", "submitted_on": days_ago(-3).isoformat()}
    )
    assert "submitted_on" in response.context["form"].errors
    response = client.post(
        url,
        {"comune": actors.livorno.pk, "measure": "ADI", "submitted_on": days_ago(3).isoformat()},
    )
    assert "comune" in response.context["form"].errors
    assert not BenefitApplication.objects.exists()


def test_exports_hold_every_formula_like_name_and_id_as_text(actors, login):
    for i, payload in enumerate(FORMULA_PAYLOADS):
        household, person = make_household(actors, person_id=f"PF{i}", household_id=f"HF{i}")
        person.family_name = person.given_names = payload
        person.save()
        make_application(
            actors, household=household, applicant=person, external_id=f"{payload}-{i}"
        )
    client = login(actors.social_worker)
    response = client.get(LIST, {"formato": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 + len(FORMULA_PAYLOADS)
    assert unsafe_csv_cells(rows) == []
    response = client.get(LIST, {"formato": "xlsx"})
    texts, unsafe = workbook_texts(response.content)
    assert unsafe == []
    # The names as typed, the ids as the service stored them (trimmed).
    starts = tuple(FORMULA_PAYLOADS) + tuple(p.strip() for p in FORMULA_PAYLOADS)
    assert len([t for t in texts if t.startswith(starts)]) >= 2 * len(FORMULA_PAYLOADS)
