"""A register imported again after a merge finds the survivor, never the merged record
(issue 16): the merged record keeps its external id, and its rows lead to the survivor."""

import pytest

from crocevia.benefits.models import BenefitApplication
from crocevia.cases.models import Case
from crocevia.desk.models import Contact
from crocevia.interchange.scope import Scope
from crocevia.people.duplicates import person_merge
from crocevia.people.models import Person

from .helpers import export_text
from .test_scope import (
    APPLICATION_HEADER,
    CASE_HEADER,
    CONTACT_HEADER,
    PERSON_HEADER,
    load,
    table,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged(actors, tmp_path):
    """P-OLD (the old register's record of Mario Rossi) merged into P-KEEP, both loaded by
    the coordinator of the zone (so registered by the SdS, which they see)."""
    report = load(
        tmp_path,
        "persons",
        table(
            PERSON_HEADER,
            "P-KEEP,Rossi,Mario,M,1980-03-15,IT,,,050026,H-R,,,,",
            "P-OLD,Rosi,Mario,M,1980-03-15,IT,,,050026,H-R,,,,",
        ),
        Scope.for_user(actors.coordinator),
        actors.coordinator,
    )
    assert report.ok, report.errors
    keep, old = Person.objects.get(external_id="P-KEEP"), Person.objects.get(external_id="P-OLD")
    person_merge(actor=actors.admin, survivor=keep, merged=old)
    return keep, old


def test_a_coordinator_imports_the_old_register_again_without_refusal_or_change(
    tmp_path, actors, merged
):
    keep, old = merged
    report = load(
        tmp_path,
        "persons",
        table(PERSON_HEADER, "P-OLD,Rosi,Mario Luigi,M,1980-03-15,IT,,,050026,H-R,,,,"),
        Scope.for_user(actors.coordinator),
        actors.coordinator,
    )
    assert report.ok, report.errors
    assert (report.counts.created, report.counts.updated) == (0, 0)
    assert Person.objects.count() == 2
    assert Person.objects.get(pk=old.pk).given_names == "Mario"


def test_contacts_and_cases_of_the_old_register_go_to_the_survivor(tmp_path, actors, merged):
    keep, old = merged
    scope = Scope.for_user(actors.coordinator)
    report = load(
        tmp_path,
        "contacts",
        table(CONTACT_HEADER, "C-OLD,P-OLD,SPI-PISA,2024-05-02,information,,"),
        scope,
        actors.coordinator,
    )
    assert report.ok, report.errors
    assert Contact.objects.get(external_id="C-OLD").person_id == keep.pk
    report = load(
        tmp_path,
        "cases",
        table(CASE_HEADER, "K-OLD,P-OLD,SDS-PI,2024-06-01,,,,,,,,,,"),
        scope,
        actors.coordinator,
    )
    assert report.ok, report.errors
    assert Case.objects.get(external_id="K-OLD").person_id == keep.pk


def test_an_application_of_the_old_register_is_the_survivors(tmp_path, actors, merged):
    keep, _old = merged
    report = load(
        tmp_path,
        "benefit_applications",
        table(APPLICATION_HEADER, "A-OLD,H-R,P-OLD,050026,ADI,2024-01-10,accepted,2024-02-01"),
    )
    assert report.ok, report.errors
    assert BenefitApplication.objects.get(external_id="A-OLD").applicant_id == keep.pk


def test_the_person_export_leaves_the_merged_record_out(merged):
    text = export_text("persons")
    assert "P-KEEP" in text and "P-OLD" not in text
