"""A person's access report: who viewed or changed their data, when, from where."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from crocevia.accounts.models import Membership
from crocevia.assessments.models import Intake
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.audit.recording import record_access
from crocevia.audit.tests.helpers import sql
from crocevia.people import services
from crocevia.people.tests.helpers import AWA_CF, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def awa(actors):
    return register(actors.desk_operator, codice_fiscale=AWA_CF)


def report(client, person, **period):
    return client.get(reverse("people:audit", args=[person.pk]), period)


def viewed(actor, person):
    """An access event of `actor` on `person`, as obtaining the person records it."""
    record_access(actor=actor, instance=person, person_id=person.pk)


def at(event, when):
    sql("UPDATE audit_auditevent SET at = %s WHERE id = %s", [when, event.pk])


def test_report_names_who_viewed_and_changed_the_person_and_their_organisation(actors, awa, login):
    services.person_update(actor=actors.social_worker, person=awa, data={"phone": "055 987"})
    viewed(actors.cpi_consultant, awa)
    response = report(login(actors.admin), awa)
    content = response.content.decode()
    # Who, by name, and from which organisation; how many views and changes.
    lines = {
        (line.actor, line.organisations, line.views, line.changes)
        for line in response.context["summary"]
    }
    assert (actors.social_worker, "SdS Zona Pisana", 0, 1) in lines
    assert (actors.cpi_consultant, "CPI Pisa", 1, 0) in lines
    assert str(actors.social_worker) in content and "CPI Pisa" in content
    # What: the fields changed, with old and new values on screen.
    assert "055 987" in content


def test_report_keeps_the_organisation_of_the_time_when_the_operator_moves(actors, awa, login):
    viewed(actors.cpi_consultant, awa)
    Membership.objects.filter(user=actors.cpi_consultant).update(organisation=actors.other_org)
    content = report(login(actors.admin), awa).content.decode()
    assert "CPI Pisa" in content
    assert "Comune di Livorno" not in content


def test_events_without_a_recorded_organisation_show_todays_marked(actors, awa, login):
    viewed(actors.cpi_consultant, awa)
    sql("UPDATE audit_auditevent SET actor_organisations = '' WHERE person_id = %s", [awa.pk])
    content = report(login(actors.admin), awa).content.decode()
    assert "CPI Pisa <abbr" in content


def test_report_filters_by_period(actors, awa, login):
    viewed(actors.cpi_consultant, awa)
    old = AuditEvent.objects.get(actor=actors.cpi_consultant)
    at(old, datetime.datetime(2025, 3, 10, 11, 0, tzinfo=datetime.UTC))
    client = login(actors.admin)
    assert str(actors.cpi_consultant) in report(client, awa).content.decode()
    assert (
        str(actors.cpi_consultant)
        in report(client, awa, dal="2025-03-10", al="2025-03-10").content.decode()
    )
    later = report(client, awa, dal="2025-03-11").content.decode()
    assert str(actors.cpi_consultant) not in later
    earlier = report(client, awa, al="2025-03-09").content.decode()
    assert str(actors.cpi_consultant) not in earlier


def test_a_period_ending_before_it_starts_is_refused_beside_the_field(actors, awa, login):
    response = report(login(actors.admin), awa, dal="2025-03-11", al="2025-03-01")
    assert response.status_code == 200
    assert response.context["form"].has_error("al")
    assert response.context["start"] is None  # the whole trail is shown meanwhile


def test_viewing_the_report_is_itself_recorded(actors, awa, login):
    report(login(actors.admin), awa)
    event = AuditEvent.objects.get(actor=actors.admin)
    assert (event.kind, event.person_id, event.note) == ("access", awa.pk, "access report")


@pytest.mark.parametrize("who", ["outsider", "monitoring_officer", "desk_operator", "coordinator"])
def test_only_administrators_get_the_report(actors, awa, login, who):
    client = login(getattr(actors, who))
    assert report(client, awa).status_code == 404
    assert client.get(reverse("people:audit_pdf", args=[awa.pk])).status_code == 404
    assert not AuditEvent.objects.filter(actor=getattr(actors, who), note__contains="report")


def test_report_of_a_person_that_does_not_exist_is_404(actors, login):
    assert login(actors.admin).get(reverse("people:audit", args=[999999])).status_code == 404


def test_printable_report_lists_operators_organisations_and_fields(actors, awa, login):
    services.person_update(actor=actors.social_worker, person=awa, data={"phone": "055 987"})
    viewed(actors.cpi_consultant, awa)
    response = login(actors.admin).get(reverse("people:audit_pdf", args=[awa.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Diop Awa" in text and AWA_CF in text
    assert str(actors.social_worker) in text and str(actors.cpi_consultant) in text
    assert "SdS Zona Pisana" in text and "CPI Pisa" in text
    assert "055 987" not in text  # the printed report names the fields, not their values
    assert AuditEvent.objects.filter(actor=actors.admin, note="access report pdf").exists()


def test_report_page_queries_do_not_grow_with_events(
    actors, awa, login, django_assert_max_num_queries
):
    client = login(actors.admin)
    for actor in (actors.social_worker, actors.cpi_consultant, actors.desk_operator):
        for _ in range(5):
            viewed(actor, awa)
    sql("UPDATE audit_auditevent SET actor_organisations = '' WHERE person_id = %s", [awa.pk])
    report(client, awa)  # warm the session and the user
    # 15: one of them reads the records merged into the person (none here).
    # 16: 15, and the header's unread notifications (issue 18).
    with django_assert_max_num_queries(16):
        response = report(client, awa)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 17  # registration, 15 views, the report seen before


def test_report_names_the_fields_of_other_records_without_their_content(actors, awa, login):
    # A change to an intake (health notes) about the person: the report says which
    # fields changed, never what they now hold.
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.CHANGE,
        action=AuditAction.INTAKE_UPDATE,
        actor=actors.social_worker,
        object_type="assessments.intake",
        object_id="1",
        person=awa,
        changes={"health_declared": ["", "Diabete di tipo 2"]},
    )
    content = report(login(actors.admin), awa).content.decode()
    with translation.override("it"):
        label = str(Intake._meta.get_field("health_declared").verbose_name)
    assert label in content
    assert "Diabete" not in content
