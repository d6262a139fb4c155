"""benefit_applications: a household's REI/RdC/ADI application and its INPS outcome
(keyed by external_id). This module reads the columns and resolves the codes; the rules
are benefits.services' (benefit_applications_import_bulk)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.benefits.models import BenefitApplication, Measure, Status
from crocevia.benefits.services import APPLICATION_FIELDS, benefit_applications_import_bulk
from crocevia.core.errors import RowsRefused
from crocevia.network.models import Comune
from crocevia.people.models import Household, Person
from crocevia.people.selectors import persons_by_external_id

from ..scope import limited_scope
from . import (
    Column,
    Counts,
    ImportRefused,
    Kind,
    check_by_writing,
    column_values,
    fmt_date,
    in_key_order,
    out_of_scope,
    refuse_hidden_persons,
    refuse_records_of_other_zones,
    register,
    scoped,
)
from .persons import HOUSEHOLD_PREFIX, PERSON_PREFIX

APPLICATION_PREFIX = "crocevia-application-"


# The services' row keys (the application's fields) that are not the columns' codes.
COLUMN_OF = {
    "household": "household_id",
    "applicant": "applicant_external_id",
    "comune": "comune_istat",
}


def _application(data: dict) -> dict:
    """A checked row as benefits.services takes it (APPLICATION_FIELDS, resolved)."""
    return {name: data[name] for name in APPLICATION_FIELDS}


class BenefitApplications(Kind):
    name = "benefit_applications"
    label = gettext_lazy("Income-support applications")
    key = "external_id"
    written_models = (BenefitApplication,)
    fallback_keys = {
        "household_id": (Household, HOUSEHOLD_PREFIX, None),
        "applicant_external_id": (Person, PERSON_PREFIX, "pk"),
    }
    position = 60
    columns = (
        Column("external_id", ("id", "id domanda"), required=True),
        Column("household_id", ("nucleo",), required=True),
        Column("applicant_external_id", ("richiedente",), required=True),
        Column("comune_istat", ("codice istat", "comune"), required=True),
        Column("measure", ("misura",), required=True),
        Column("submitted_on", ("data domanda",), required=True),
        Column("status", ("stato",), required=True),
        Column("outcome_on", ("data esito inps", "data esito")),
    )
    pseudonymised = {
        "external_id": "benefit_application",
        "household_id": "household",
        "applicant_external_id": "person",
    }
    # Pseudonymised: the zone and the months, and no link to the applicant from a zone's
    # rare month (nor its own id, by which a case would name the applicant).
    event_generalised = {"comune_istat": "zone", "submitted_on": "month", "outcome_on": "month"}
    event_class = ("comune_istat", "submitted_on")
    person_links = ("applicant_external_id", "household_id", "external_id")

    def parse(self, row, ctx):
        return {
            "external_id": row.text("external_id", required=True, max_length=64),
            "household_id": row.text("household_id", required=True, max_length=64),
            "applicant_external_id": row.text(
                "applicant_external_id", required=True, max_length=64
            ),
            "comune_istat": row.istat("comune_istat", required=True),
            "measure": row.choice("measure", Measure.values, required=True),
            "submitted_on": row.date("submitted_on", required=True),
            "status": row.choice("status", Status.values, required=True),
            "outcome_on": row.date("outcome_on"),
        }

    def check(self, items, ctx):
        def keys(column):
            return {data[column] for _row, data in items}

        households = {
            h.external_id: h for h in Household.objects.filter(external_id__in=keys("household_id"))
        }
        # A merged record's id stands for the record it was merged into.
        persons = persons_by_external_id(keys("applicant_external_id"))
        comuni = {
            c.istat_code: c for c in Comune.objects.filter(istat_code__in=keys("comune_istat"))
        }
        resolved = []
        for row, data in items:
            data["household"] = households.get(data["household_id"])
            data["applicant"] = persons.get(data["applicant_external_id"])
            data["comune"] = comuni.get(data["comune_istat"])
            if data["household"] is None:
                row.error(
                    "household_id",
                    _("No household with this id, in the database or loaded before."),
                    "unknown_household",
                )
            if data["applicant"] is None:
                row.error(
                    "applicant_external_id",
                    _("No person with this external id, in the database or loaded before."),
                    "unknown_person",
                )
            if data["comune"] is None:
                row.unknown("comune_istat")
            if row.ok:
                resolved.append((row, data))
        # The services' own rules (dates, outcome, applicant in the household), on a
        # write that is rolled back: the check writes nothing.
        check_by_writing(
            resolved,
            COLUMN_OF,
            lambda: benefit_applications_import_bulk(
                actor=None, rows=[_application(data) for _row, data in resolved]
            ),
        )

    def write(self, datas, ctx, *, actor):
        try:
            created, updated, unchanged = benefit_applications_import_bulk(
                actor=actor, rows=[_application(data) for data in datas]
            )
        except RowsRefused as refused:
            raise ImportRefused(refused.errors) from refused
        return Counts(created, updated, unchanged)

    def check_scope(self, items, ctx):
        """A coordinator records applications made in a Comune of their zone, by
        applicants they may see, and changes only applications of their zone."""
        scope = limited_scope(ctx)
        if scope is None:
            return
        comune_zones = dict(
            Comune.objects.filter(istat_code__in=column_values(items, "comune_istat")).values_list(
                "istat_code", "zone_id"
            )
        )
        for row, data in items:
            comune = data["comune_istat"]
            if comune in comune_zones and not scope.has_zone(comune_zones[comune]):
                out_of_scope(row, "comune_istat", _("This Comune is outside your zone."))
        refuse_hidden_persons(items, scope, "applicant_external_id")
        refuse_records_of_other_zones(items, scope, BenefitApplication, "comune__zone_id")

    def export_rows(self, *, list_separator=";", scope=None):
        applications = BenefitApplication.objects.select_related("household", "applicant", "comune")
        applications = scoped(applications, scope, "comune__zone_id")
        for key, a in in_key_order(applications, "external_id", APPLICATION_PREFIX):
            yield {
                "external_id": key,
                "household_id": a.household.external_id or f"{HOUSEHOLD_PREFIX}{a.household_id}",
                "applicant_external_id": a.applicant.external_id
                or f"{PERSON_PREFIX}{a.applicant_id}",
                "comune_istat": a.comune.istat_code,
                "measure": a.measure,
                "submitted_on": fmt_date(a.submitted_on),
                "status": a.status,
                "outcome_on": fmt_date(a.outcome_on),
            }


register(BenefitApplications())
