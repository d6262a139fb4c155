"""cases: a case with its milestone dates (keyed by external_id), walked through the same
workflow as on screen by cases.services.cases_import_bulk. This module reads the columns
and resolves the codes (the application of benefit_application_id too, whose rules for
opening a case are benefits.services', handed to the cases' import)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crocevia.benefits.models import BenefitApplication
from crocevia.benefits.opening import audit_benefit_link
from crocevia.benefits.services import application_case_errors
from crocevia.cases.models import Case, NeedClass, Outcome, PlanKind, ServiceArea
from crocevia.cases.services import ApplicationLink, cases_import_bulk
from crocevia.core.errors import RowsRefused
from crocevia.network.models import Organisation
from crocevia.people.models import Person
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
from .benefit_applications import APPLICATION_PREFIX
from .persons import PERSON_PREFIX

CASE_PREFIX = "crocevia-case-"
# Counts.notices: open cases of the file whose case manager is to be appointed.
MANAGERS_TO_APPOINT = "managers_to_appoint"
DATE_COLUMNS = (
    "referred_on",
    "preassessed_on",
    "team_formed_on",
    "assessed_on",
    "plan_signed_on",
    "plan_started_on",
    "closed_on",
)
CODE_COLUMNS = ("need_class", "plan_kind", "outcome", "area")
# The services' row keys (the case's fields) that are not the columns' codes.
COLUMN_OF = {
    "person": "person_external_id",
    "organisation": "organisation_code",
    "benefit_application": "benefit_application_id",
}
# A case opened from an application follows the benefits app's rules, and records the link.
APPLICATION_LINK = ApplicationLink(errors=application_case_errors, opened=audit_benefit_link)


def _case(data: dict) -> dict:
    """A checked row as cases.services takes it (the case's values, resolved)."""
    row = {key: data[key] for key in ("external_id", *DATE_COLUMNS, *CODE_COLUMNS)}
    row.update({key: data[key] for key in COLUMN_OF})
    return row


class Cases(Kind):
    name = "cases"
    label = gettext_lazy("Cases")
    key = "external_id"
    written_models = (Case,)
    fallback_keys = {
        "external_id": (Case, CASE_PREFIX, "person_id"),
        "person_external_id": (Person, PERSON_PREFIX, "pk"),
    }
    position = 70
    columns = (
        Column("external_id", ("id",), required=True),
        Column("person_external_id", ("persona", "id persona"), required=True),
        Column("organisation_code", ("ente", "codice ente"), required=True),
        Column("referred_on", ("data invio", "data segnalazione"), required=True),
        Column("benefit_application_id", ("domanda", "id domanda")),
        Column("preassessed_on", ("data preassessment", "data pre-valutazione")),
        Column("need_class", ("bisogno", "classe di bisogno")),
        Column("team_formed_on", ("data equipe",)),
        Column("assessed_on", ("data valutazione",)),
        Column("plan_kind", ("tipo progetto",)),
        Column("plan_signed_on", ("data firma progetto",)),
        Column("plan_started_on", ("data avvio progetto",)),
        Column("closed_on", ("data chiusura",)),
        Column("outcome", ("esito",)),
        Column("area", ("area di intervento",)),
    )
    pseudonymised = {
        "external_id": "case",
        "person_external_id": "person",
        "benefit_application_id": "benefit_application",
    }
    # Pseudonymised: months, and no link to the person (nor to the application, which
    # names them) from an organisation's rare month.
    # and never the area that reveals health (anonymity.HEALTH_AREAS).
    event_generalised = {**dict.fromkeys(DATE_COLUMNS, "month"), "area": "area"}
    event_class = ("organisation_code", "referred_on")
    person_links = ("person_external_id", "benefit_application_id")

    def parse(self, row, ctx):
        data = {
            "external_id": row.text("external_id", required=True, max_length=64),
            "person_external_id": row.text("person_external_id", required=True, max_length=64),
            "organisation_code": row.text("organisation_code", required=True, max_length=30),
            "benefit_application_id": row.text("benefit_application_id", max_length=64),
            "need_class": row.choice("need_class", NeedClass.values),
            "plan_kind": row.choice("plan_kind", PlanKind.values),
            "outcome": row.choice("outcome", Outcome.values),
            "area": row.choice("area", ServiceArea.values),
        }
        for column in DATE_COLUMNS:
            data[column] = row.date(column, required=column == "referred_on")
        return data

    def check(self, items, ctx):
        def keys(column):
            return {data[column] for _row, data in items} - {""}

        # A merged record's id stands for the record it was merged into.
        persons = persons_by_external_id(keys("person_external_id"))
        organisations = {
            o.code: o for o in Organisation.objects.filter(code__in=keys("organisation_code"))
        }
        applications = {
            a.external_id: a
            for a in BenefitApplication.objects.filter(
                external_id__in=keys("benefit_application_id")
            ).select_related("household")
        }
        resolved = []
        for row, data in items:
            data["person"] = persons.get(data["person_external_id"])
            data["organisation"] = organisations.get(data["organisation_code"])
            data["benefit_application"] = applications.get(data["benefit_application_id"])
            if data["person"] is None:
                row.error(
                    "person_external_id",
                    _("No person with this external id, in the database or loaded before."),
                    "unknown_person",
                )
            if data["organisation"] is None:
                row.unknown("organisation_code")
            if data["benefit_application_id"] and data["benefit_application"] is None:
                row.error(
                    "benefit_application_id",
                    _("No application with this id, in the database or loaded before."),
                    "unknown_application",
                )
            if row.ok:
                resolved.append((row, data))
        # Every rule of the pathway, by walking the workflow on a write that is rolled
        # back: the check writes nothing.
        check_by_writing(
            resolved,
            COLUMN_OF,
            lambda: cases_import_bulk(
                actor=ctx.get("actor"),
                rows=[_case(data) for _row, data in resolved],
                application_link=APPLICATION_LINK,
            ),
        )

    def write(self, datas, ctx, *, actor):
        try:
            result = cases_import_bulk(
                actor=actor,
                rows=[_case(data) for data in datas],
                application_link=APPLICATION_LINK,
            )
        except RowsRefused as refused:
            raise ImportRefused(refused.errors) from refused
        return Counts(
            result.created,
            result.updated,
            result.unchanged,
            notices={MANAGERS_TO_APPOINT: result.managers_to_appoint},
        )

    def notice(self, code, count):
        if code == MANAGERS_TO_APPOINT:
            return ngettext(
                "%(count)d open case has a case manager to be appointed by the coordination "
                "group: the register does not name one.",
                "%(count)d open cases have a case manager to be appointed by the coordination "
                "group: the register does not name them.",
                count,
            ) % {"count": count}
        return super().notice(code, count)

    def notice_url(self, code):
        if code == MANAGERS_TO_APPOINT:
            return reverse("cases:coordination") + "#managers-to-appoint"
        return super().notice_url(code)

    def check_scope(self, items, ctx):
        """A coordinator records cases of organisations of their zone, for persons they
        may see, linked to applications of their zone, and changes only their zone's."""
        scope = limited_scope(ctx)
        if scope is None:
            return
        organisation_zones = dict(
            Organisation.objects.filter(
                code__in=column_values(items, "organisation_code")
            ).values_list("code", "zone_id")
        )
        application_zones = dict(
            BenefitApplication.objects.filter(
                external_id__in=column_values(items, "benefit_application_id")
            ).values_list("external_id", "comune__zone_id")
        )
        for row, data in items:
            organisation = data["organisation_code"]
            if organisation in organisation_zones and not scope.has_zone(
                organisation_zones[organisation]
            ):
                out_of_scope(row, "organisation_code", _("This organisation is outside your zone."))
            application = data["benefit_application_id"]
            if application in application_zones and not scope.has_zone(
                application_zones[application]
            ):
                out_of_scope(
                    row,
                    "benefit_application_id",
                    _("This external id belongs to a record outside your zone."),
                )
        refuse_hidden_persons(items, scope, "person_external_id")
        refuse_records_of_other_zones(items, scope, Case, "zone_id")

    def export_rows(self, *, list_separator=";", scope=None):
        cases = Case.objects.select_related("person", "organisation", "benefit_application")
        cases = scoped(cases, scope, "zone_id")
        for key, c in in_key_order(cases, "external_id", CASE_PREFIX):
            application = ""
            if c.benefit_application_id:
                application = c.benefit_application.external_id or (
                    f"{APPLICATION_PREFIX}{c.benefit_application_id}"
                )
            record = {
                "external_id": key,
                "person_external_id": c.person.external_id or f"{PERSON_PREFIX}{c.person_id}",
                "organisation_code": c.organisation.code,
                "benefit_application_id": application,
                "need_class": c.need_class,
                "plan_kind": c.plan_kind,
                "outcome": c.outcome,
                "area": c.area,
            }
            for column in DATE_COLUMNS:
                record[column] = fmt_date(getattr(c, column))
            yield record


register(Cases())
