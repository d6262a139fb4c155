"""territory: zones and their Comuni, one row per Comune (keyed by comune_istat)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.network.models import Comune, Zone, metropolitan_by_province

from ..scope import limited_scope
from ..upsert import upsert
from . import Column, Counts, Kind, out_of_scope, register, scoped


def _metropolitan_flag(record: dict) -> dict:
    return {"in_metropolitan_city": metropolitan_by_province(record["province"])}


class Territory(Kind):
    name = "territory"
    label = gettext_lazy("Zones and Comuni")
    key = "comune_istat"
    written_models = (Zone, Comune)
    position = 10
    sample_columns = ("zone_name", "comune_name")
    columns = (
        Column("zone_code", ("codice zona",), required=True),
        Column("zone_name", ("zona",), required=True),
        Column("comune_istat", ("codice ISTAT", "codice istat comune"), required=True),
        Column("comune_name", ("comune",), required=True),
        Column("province", ("provincia",), required=True),
        Column("population", ("popolazione",), required=True),
    )

    def new_context(self):
        return {"zone_names": {}}

    def parse(self, row, ctx):
        data = {
            "zone_code": row.text("zone_code", required=True, max_length=20),
            "zone_name": row.text("zone_name", required=True, max_length=200),
            "istat_code": row.istat("comune_istat", required=True),
            "name": row.text("comune_name", required=True, max_length=200),
            "province": row.text("province", required=True, max_length=2),
            "population": row.integer("population", required=True, minimum=0, maximum=2**31 - 1),
        }
        province = data["province"]
        if province and (len(province) != 2 or not province.isalpha() or not province.isupper()):
            row.error("province", _("The province is two capital letters."), "bad_province")
        # One zone, one name: the same code with two names in a file is a contradiction.
        code, zone_name = data["zone_code"], data["zone_name"]
        if code and zone_name:
            first = ctx["zone_names"].setdefault(code, zone_name)
            if first != zone_name:
                row.error(
                    "zone_name",
                    _("The zone %(code)s has another name on an earlier line: %(name)s.")
                    % {"code": code, "name": first},
                    "contradiction",
                )
        return data

    def check_scope(self, items, ctx):
        scope = limited_scope(ctx)
        if scope is None:
            return
        own_codes = set(Zone.objects.filter(pk__in=scope.zone_ids).values_list("code", flat=True))
        comune_zones = dict(
            Comune.objects.filter(
                istat_code__in=[data["istat_code"] for _row, data in items]
            ).values_list("istat_code", "zone_id")
        )
        for row, data in items:
            if data["zone_code"] not in own_codes:
                out_of_scope(row, "zone_code", _("This zone is not one you coordinate."))
            zone_id = comune_zones.get(data["istat_code"])
            if zone_id is not None and not scope.has_zone(zone_id):
                out_of_scope(row, "comune_istat")

    def write(self, datas, ctx, *, actor):
        zones = {d["zone_code"]: {"code": d["zone_code"], "name": d["zone_name"]} for d in datas}
        counts = Counts()
        upsert(Zone, "code", list(zones.values()), actor=actor)
        zone_ids = dict(Zone.objects.filter(code__in=zones).values_list("code", "pk"))
        records = [
            {
                "istat_code": d["istat_code"],
                "name": d["name"],
                "province": d["province"],
                "population": d["population"],
                "zone_id": zone_ids[d["zone_code"]],
            }
            for d in datas
        ]
        # The file has no metropolitan-city column (INTERCHANGE.md): a new Comune takes
        # the flag from its province, an existing one keeps what was set.
        counts.add(upsert(Comune, "istat_code", records, actor=actor, on_create=_metropolitan_flag))
        return counts

    def export_rows(self, *, list_separator=";", scope=None):
        comuni = scoped(Comune.objects.select_related("zone"), scope, "zone_id")
        for comune in comuni.order_by("istat_code").iterator():
            yield {
                "zone_code": comune.zone.code,
                "zone_name": comune.zone.name,
                "comune_istat": comune.istat_code,
                "comune_name": comune.name,
                "province": comune.province,
                "population": str(comune.population),
            }


register(Territory())
