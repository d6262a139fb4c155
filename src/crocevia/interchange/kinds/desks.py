"""desks: the desks of the organisations (keyed by code)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.network.models import Comune, Desk, Organisation

from ..scope import limited_scope
from ..upsert import upsert
from . import Column, Kind, RefMap, out_of_scope, register, scoped


class Desks(Kind):
    name = "desks"
    label = gettext_lazy("Desks")
    key = "code"
    written_models = (Desk,)
    position = 30
    sample_columns = ("name",)
    columns = (
        Column("code", ("codice",), required=True),
        Column("organisation_code", ("ente", "codice ente"), required=True),
        Column("name", ("denominazione", "nome"), required=True),
        Column("level", ("livello",), required=True),
        Column("comune_istat", ("codice ISTAT", "comune"), required=True),
        Column("opening_hours", ("orari", "orario")),
    )

    def new_context(self):
        return {
            "organisations": RefMap.of(Organisation.objects.all(), "code"),
            "comuni": RefMap.of(Comune.objects.all(), "istat_code"),
        }

    def parse(self, row, ctx):
        data = {
            "code": row.text("code", required=True, max_length=30),
            "organisation_id": None,
            "name": row.text("name", required=True, max_length=200),
            "level": row.integer("level", required=True, minimum=1, maximum=2),
            "comune_id": None,
            "opening_hours": row.text("opening_hours", multiline=True),
        }
        org = row.text("organisation_code", required=True)
        if org:
            data["organisation_id"] = ctx["organisations"].get(org)
            if data["organisation_id"] is None:
                row.unknown("organisation_code")
        istat = row.istat("comune_istat", required=True)
        if istat:
            data["comune_id"] = ctx["comuni"].get(istat)
            if data["comune_id"] is None:
                row.unknown("comune_istat")
        return data

    def check_scope(self, items, ctx):
        scope = limited_scope(ctx)
        if scope is None:
            return
        if "organisation_zones" not in ctx:
            ctx["organisation_zones"] = dict(Organisation.objects.values_list("pk", "zone_id"))
        organisation_zones = ctx["organisation_zones"]
        existing = dict(
            Desk.objects.filter(code__in=[data["code"] for _row, data in items]).values_list(
                "code", "organisation__zone_id"
            )
        )
        for row, data in items:
            organisation = data["organisation_id"]
            if organisation is not None and not scope.has_zone(
                organisation_zones.get(organisation)
            ):
                out_of_scope(row, "organisation_code", _("This organisation is outside your zone."))
            if data["code"] in existing and not scope.has_zone(existing[data["code"]]):
                out_of_scope(row, "code")

    def write(self, datas, ctx, *, actor):
        return upsert(Desk, "code", datas, actor=actor)

    def export_rows(self, *, list_separator=";", scope=None):
        rows = Desk.objects.select_related("organisation", "comune").order_by("code")
        rows = scoped(rows, scope, "organisation__zone_id")
        for desk in rows.iterator():
            yield {
                "code": desk.code,
                "organisation_code": desk.organisation.code,
                "name": desk.name,
                "level": str(desk.level),
                "comune_istat": desk.comune.istat_code,
                "opening_hours": desk.opening_hours,
            }


register(Desks())
