"""organisations: the bodies of the network (keyed by code)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.network.models import Comune, Organisation, Zone

from ..upsert import upsert
from . import Column, Kind, RefMap, register

# Bodies above the zones: the only ones whose zone may be empty.
KINDS = tuple(Organisation.Kind.values)
_ZONELESS = {Organisation.Kind.REGION, Organisation.Kind.OTHER}


class Organisations(Kind):
    name = "organisations"
    label = gettext_lazy("Organisations")
    key = "code"
    position = 20
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

    def write(self, datas, ctx, *, actor):
        return upsert(Organisation, "code", datas, actor=actor)

    def export_rows(self, *, list_separator=";"):
        rows = Organisation.objects.select_related("zone", "comune").order_by("code")
        for org in rows.iterator():
            yield {
                "code": org.code,
                "name": org.name,
                "kind": org.kind,
                "zone_code": org.zone.code if org.zone else "",
                "comune_istat": org.comune.istat_code if org.comune else "",
            }


register(Organisations())
