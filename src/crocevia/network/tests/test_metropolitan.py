"""Comuni carry their metropolitan-city flag (issue 19): set from the province on creation
(service, admin, territory import), kept on update, editable by administrators, read by
the LEP's access-point rule; the zone page shows the figures the report's lep.* keys give."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone, translation

from crocevia.accounts.models import Profile
from crocevia.audit.actions import AuditAction
from crocevia.audit.models import AuditEvent
from crocevia.core.dates import quarter_start
from crocevia.interchange.engine import run_import
from crocevia.network.lep import required_access_points, zone_norms
from crocevia.network.models import Comune
from crocevia.network.services import comune_create, comune_update
from crocevia.reporting.indicators import Scope, indicators
from crocevia.testing import (
    ComuneFactory,
    DeskFactory,
    OrganisationFactory,
    ZoneFactory,
    make_case,
    make_member,
    state_before_migration,
)

TERRITORY = (
    "zone_code,zone_name,comune_istat,comune_name,province,population\n"
    "ZFN,Zona Fiorentina Nord-Ovest,048041,Scandicci,FI,50645\n"
    "ZFN,Zona Fiorentina Nord-Ovest,048005,Calenzano,FI,17915\n"
    "ZPI,Zona Pisana,050026,Pisa,PI,90118\n"
)


def it(text: str) -> str:
    with translation.override("it"):
        return translation.gettext(text)


@pytest.mark.django_db(transaction=True)
def test_the_migration_sets_the_flag_from_the_province():
    executor = MigrationExecutor(connection)
    before = state_before_migration(executor, "network", "_comune_in_metropolitan_city")
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Zone = apps.get_model("network", "Zone")
    OldComune = apps.get_model("network", "Comune")
    zone = Zone.objects.create(code="ZX", name="Zona")
    for istat, province in (("048017", "FI"), ("050026", "PI"), ("015146", "MI")):
        OldComune.objects.create(
            istat_code=istat, name=istat, province=province, population=1, zone=zone
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    flags = dict(Comune.objects.values_list("istat_code", "in_metropolitan_city"))
    assert flags == {"048017": True, "050026": False, "015146": True}


@pytest.mark.django_db
def test_a_new_comune_takes_the_flag_from_its_province_unless_given(actors):
    zone = ZoneFactory(code="ZFN")
    florence = comune_create(
        actor=actors.admin, istat_code="048017", name="Firenze", province="FI",
        population=382258, zone=zone,
    )  # fmt: skip
    prato = comune_create(
        actor=actors.admin, istat_code="100005", name="Prato", province="PO",
        population=194590, zone=zone,
    )  # fmt: skip
    given = comune_create(
        actor=actors.admin, istat_code="048014", name="Empoli", province="FI",
        population=48626, zone=zone, in_metropolitan_city=False,
    )  # fmt: skip
    assert (florence.in_metropolitan_city, prato.in_metropolitan_city) == (True, False)
    assert given.in_metropolitan_city is False
    event = AuditEvent.objects.get(action=AuditAction.COMUNE_CREATE, object_id=str(florence.pk))
    assert event.changes["in_metropolitan_city"] == [None, True]
    # An update leaves the flag alone unless it names it.
    comune_update(actor=actors.admin, comune=florence, population=382000)
    florence.refresh_from_db()
    assert florence.in_metropolitan_city is True
    comune_update(actor=actors.admin, comune=florence, in_metropolitan_city=False)
    florence.refresh_from_db()
    assert florence.in_metropolitan_city is False


@pytest.mark.django_db
def test_the_territory_import_sets_the_flag_on_create_and_leaves_it_on_update(actors, tmp_path):
    path = tmp_path / "territory.csv"
    path.write_text(TERRITORY, encoding="utf-8")
    assert run_import("territory", path).ok
    flags = dict(Comune.objects.values_list("istat_code", "in_metropolitan_city"))
    assert flags["048041"] is True and flags["048005"] is True and flags["050026"] is False
    created = AuditEvent.objects.filter(action=AuditAction.COMUNE_CREATE)
    assert all("in_metropolitan_city" in event.changes for event in created)
    # An administrator corrects one; a second import (new population) keeps the correction.
    scandicci = Comune.objects.get(istat_code="048041")
    comune_update(actor=actors.admin, comune=scandicci, in_metropolitan_city=False)
    path.write_text(TERRITORY.replace("50645", "50700"), encoding="utf-8")
    assert run_import("territory", path).ok
    scandicci.refresh_from_db()
    assert (scandicci.population, scandicci.in_metropolitan_city) == (50700, False)


@pytest.mark.django_db
def test_the_admin_adds_a_comune_from_its_province_and_changes_the_flag_after(actors, login):
    client = login(actors.admin)
    add = client.get(reverse("admin:network_comune_add"))
    assert "in_metropolitan_city" not in add.context["adminform"].form.fields
    response = client.post(
        reverse("admin:network_comune_add"),
        {
            "istat_code": "048043",
            "name": "Sesto Fiorentino",
            "province": "FI",
            "population": "49059",
            "zone": actors.zone.pk,
        },
    )
    assert response.status_code == 302
    sesto = Comune.objects.get(istat_code="048043")
    assert sesto.in_metropolitan_city is True
    change = reverse("admin:network_comune_change", args=[sesto.pk])
    assert "in_metropolitan_city" in client.get(change).context["adminform"].form.fields
    response = client.post(
        change,
        {
            "istat_code": "048043",
            "name": "Sesto Fiorentino",
            "province": "FI",
            "population": "49059",
            "zone": actors.zone.pk,
        },  # the box left unticked
    )
    assert response.status_code == 302
    sesto.refresh_from_db()
    assert sesto.in_metropolitan_city is False
    assert AuditEvent.objects.filter(
        action=AuditAction.COMUNE_UPDATE, object_id=str(sesto.pk)
    ).exists()


@pytest.mark.django_db
def test_the_access_point_rule_reads_the_flag(actors):
    zone = ZoneFactory(code="ZFN", name="Zona Fiorentina Nord-Ovest")
    scandicci = ComuneFactory(istat_code="048041", province="FI", population=50645, zone=zone)
    ComuneFactory(istat_code="048005", province="FI", population=17915, zone=zone)
    ComuneFactory(istat_code="048015", province="FI", population=14005, zone=zone)
    assert scandicci.in_metropolitan_city is True  # the factory, like the service
    # 1 per 70,000 for Scandicci, plus ceil(31,920 / 20,000) for the pool.
    assert zone_norms([zone.pk])[zone.pk].access_points_required == 1 + 2
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
    got = indicators(start, end, Scope(zone=zone))["lep.access_points"]["ZFN"]
    assert got == {"required": 3, "present": 0, "met": False}
    Comune.objects.filter(pk=scandicci.pk).update(in_metropolitan_city=False)
    assert zone_norms([zone.pk])[zone.pk].access_points_required == 2 + 2
    assert indicators(start, end, Scope(zone=zone))["lep.access_points"]["ZFN"]["required"] == 4
    assert required_access_points([(50645, True), (17915, True), (14005, True)]) == 3


# --- the zone page: the figures a person recomputes -----------------------------------------


@pytest.fixture
def florence(actors):
    """A zone like the demo's, in the Metropolitan City of Florence: three Comuni over
    40,000 (one access point each at 1 per 70,000) and a pool of 76,166 (4 at 1 per
    20,000): 7 required, 8 level-1 desks (met: at 1 per 40,000 it would be 10, not met);
    3 social workers for 45 required; two complex cases with their teams."""
    zone = ZoneFactory(code="ZFN", name="Zona Fiorentina Nord-Ovest")
    comuni = [
        ComuneFactory(istat_code=istat, name=name, province="FI", population=p, zone=zone)
        for istat, name, p in (
            ("048041", "Scandicci", 50645),
            ("048043", "Sesto Fiorentino", 49059),
            ("048006", "Campi Bisenzio", 46702),
            ("048024", "Lastra a Signa", 20044),
            ("048044", "Signa", 19036),
            ("048005", "Calenzano", 17915),
            ("048015", "Fiesole", 14005),
            ("048046", "Vaglia", 5166),
        )
    ]
    sds = OrganisationFactory(code="SDS-FNO", name="SdS Fiorentina Nord-Ovest", zone=zone)
    for comune in comuni:
        DeskFactory(code=f"PA-{comune.istat_code}", organisation=sds, comune=comune, level=1)
    DeskFactory(code="PUA-FNO", organisation=sds, comune=comuni[0], level=2)
    for n in range(3):
        make_member(f"as.fno{n}", sds, Profile.SOCIAL_WORKER)
    coordinator = make_member("coord.fno", sds, Profile.COORDINATOR)
    return zone, coordinator


@pytest.mark.django_db
def test_the_zone_page_shows_each_comunes_rule_and_the_reports_figures(actors, florence, login):
    zone, coordinator = florence
    # Two complex cases of the cast's zone moved to this one, with their teams: the
    # teams and the household obligations the zone page counts.
    for _ in range(2):
        case = make_case(actors, stage="assessed", assessed_on=timezone.localdate())
        type(case).objects.filter(pk=case.pk).update(zone=zone)
    response = login(coordinator).get(reverse("network:zone_detail", args=[zone.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    norms, lep = response.context["norms"], response.context["lep"]
    today = timezone.localdate()
    report = indicators(quarter_start(today), today, Scope(zone=zone))
    # The page and the report: the same figures.
    assert report["lep.access_points"]["ZFN"] == {
        "required": norms.access_points_required,
        "present": norms.access_points,
        "met": norms.access_points_met,
    } == {"required": 7, "present": 8, "met": True}  # fmt: skip
    assert report["lep.social_workers"]["ZFN"] == {
        "required": lep.social_worker.needed,
        "present": lep.social_workers,
        "met": lep.social_worker.met,
    } == {"required": 45, "present": 3, "met": False}  # fmt: skip
    assert lep.access_point.needed == 7 and lep.access_point.met is True
    assert report["lep.teams"]["ZFN"]["active"] == response.context["lep_teams"] == 2
    households = response.context["lep_households"]
    assert report["lep.assessed_with_intervention"]["ZFN"]["households"] == households.households
    assert report["lep.assessed_with_intervention"]["ZFN"]["with_intervention"] == 0
    # Each Comune: its population, whether it is in a metropolitan city, its rule.
    rows = {c.name: c for c in norms.comuni}
    assert rows["Scandicci"].metropolitan and rows["Scandicci"].required == 1
    assert rows["Vaglia"].required is None and norms.pooled_population == 76166
    assert norms.pooled_required == 4
    assert "50.645" in html and "76.166" in html
    assert it("1 per %(norm)s inhabitants of its own") % {"norm": "70.000"} in html
    assert it("In a metropolitan city") in html
    assert 'id="zone-lep-cases"' in html
