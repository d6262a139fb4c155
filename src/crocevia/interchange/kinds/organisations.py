"""organisations: the bodies of the network (keyed by code)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.network.models import Comune, Organisation, Zone

from ..scope import limited_scope
from ..upsert import upsert
from . import Column, Kind, RefMap, out_of_scope, register, scoped

# Bodies above the zones: the only ones whose zone may be empty.
KINDS = tuple(Organisation.Kind.values)
_ZONELESS = {Organisation.Kind.REGION, Organisation.Kind.OTHER}


class Organisations(Kind):
    name = "organisations"
    label = gettext_lazy("Organisations")
    key = "code"
    written_models = (Organisation,)
    position = 20
    sample_columns = ("name",)
    columns = (
        Column("code", ("codice",), required=True),
        Column("name", ("denominazione",), required=True),
        Column("kind", ("tipo",), required=True),
        Column("zone_code", ("codice zona", "zona"), required=True),
        Column("comune_istat", ("codice ISTAT", "comune")),
    )

    def new_context(self):
        return {
            "zones": RefMap.of(Zone.objects.all(), "code"),
            "comuni": RefMap.of(Comune.objects.all(), "istat_code"),
        }

    def parse(self, row, ctx):
        data = {
            "code": row.text("code", required=True, max_length=30),
            "name": row.text("name", required=True, max_length=200),
            "kind": row.choice("kind", KINDS, required=True),
            "zone_id": None,
            "comune_id": None,
        }
        zone_code = row.raw.get("zone_code", "")
        if zone_code:
            data["zone_id"] = ctx["zones"].get(zone_code)
            if data["zone_id"] is None:
                row.unknown("zone_code")
        elif data["kind"] and data["kind"] not in _ZONELESS:
            row.error("zone_code", _("This cell is required and is empty."), "required")
        istat = row.istat("comune_istat")
        if istat:
            data["comune_id"] = ctx["comuni"].get(istat)
            if data["comune_id"] is None:
                row.unknown("comune_istat")
        return data

    def check_scope(self, items, ctx):
        scope = limited_scope(ctx)
        if scope is None:
            return
        existing = dict(
            Organisation.objects.filter(
                code__in=[data["code"] for _row, data in items]
            ).values_list("code", "zone_id")
        )
        for row, data in items:
            # (An unknown zone code is already an error of its own.)
            unknown_zone = data["zone_id"] is None and row.raw.get("zone_code")
            if not unknown_zone and not scope.has_zone(data["zone_id"]):
                out_of_scope(row, "zone_code", _("This zone is not one you coordinate."))
            if data["code"] in existing and not scope.has_zone(existing[data["code"]]):
                out_of_scope(row, "code")

    def write(self, datas, ctx, *, actor):
        return upsert(Organisation, "code", datas, actor=actor)

    def export_rows(self, *, list_separator=";", scope=None):
        rows = Organisation.objects.select_related("zone", "comune").order_by("code")
        rows = scoped(rows, scope, "zone_id")
        for org in rows.iterator():
            yield {
                "code": org.code,
                "name": org.name,
                "kind": org.kind,
                "zone_code": org.zone.code if org.zone else "",
                "comune_istat": org.comune.istat_code if org.comune else "",
            }


register(Organisations())
