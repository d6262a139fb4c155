"""persons: the registry (anagrafica), households by household_id (keyed by external_id)."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.network.models import Comune
from crocevia.people.models import Household, PermitType, Person, PersonAlias
from crocevia.people.pairs import scan_duplicates
from crocevia.people.services import (
    OLDEST_BIRTH_DATE,
    codice_fiscale_owners,
    persons_import_bulk,
)
from crocevia.people.validators import (
    canonical_codice_fiscale,
    check_codice_fiscale,
    check_languages,
)

from ..scope import limited_scope
from . import (
    Column,
    Counts,
    Kind,
    RefMap,
    fmt_bool,
    fmt_date,
    in_key_order,
    out_of_scope,
    register,
)

PERMIT_TYPES = tuple(v for v in PermitType.values if v)
PERSON_PREFIX = "crocevia-person-"
HOUSEHOLD_PREFIX = "crocevia-household-"
# Codes of earlier chunks of a file remembered to name the line a code repeats (beyond
# this, a later repetition is still refused, by the database's records of the file).
FILE_CODES_REMEMBERED = 500_000


def _message(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else str(exc)


class Persons(Kind):
    name = "persons"
    label = gettext_lazy("Persons")
    key = "external_id"
    written_models = (Person, Household)
    fallback_keys = {
        "external_id": (Person, PERSON_PREFIX, "pk"),
        "household_id": (Household, HOUSEHOLD_PREFIX, None),
    }
    position = 40
    sample_columns = ("family_name", "given_names")
    columns = (
        Column("external_id", ("id",), required=True),
        Column("family_name", ("cognome",), required=True),
        Column("given_names", ("nome",), required=True),
        Column("sex", ("sesso",), required=True),
        Column("birth_date", ("data di nascita",), required=True),
        Column("citizenship", ("cittadinanza",), required=True),
        Column("birth_country", ("stato di nascita",)),
        Column("codice_fiscale", ("codice fiscale",)),
        Column("comune_istat", ("residenza", "comune di residenza")),
        Column("household_id", ("nucleo",)),
        Column("languages", ("lingue",)),
        Column("needs_mediator", ("mediatore",)),
        Column("permit_type", ("permesso",)),
        Column("permit_expires_on", ("scadenza permesso",)),
    )
    pseudonymised = {
        "external_id": "person",
        "family_name": "family_name",
        "given_names": "given_names",
        "codice_fiscale": "codice_fiscale",
        "household_id": "household",
    }
    # What anyone may know of a person, generalised so that k persons share it (see
    # anonymity.py and ../README.md): the birth date as an age band, a rare country as its
    # area, the Comune as its zone, the expiry as its year, no health-revealing permit.
    quasi_identifiers = {
        "sex": "value",
        "birth_date": "age",
        "citizenship": "country",
        "birth_country": "country",
        "comune_istat": "zone",
        "needs_mediator": "value",
        "permit_type": "permit",
        "permit_expires_on": "year",
    }
    # Rows still alone take these steps, in order: least useful detail first. The Region
    # counts persons by citizenship above all (measured on the demo, this order keeps the
    # country of 66% of the persons against 15% when the country goes to its area before
    # the age to the broad bands): the birth country, which mostly repeats it, goes first.
    generalisation_steps = (
        ("permit_expires_on", 1),  # no expiry year
        ("birth_country", 3),  # no birth country
        ("needs_mediator", 1),
        ("permit_type", 1),  # protection, EU long-term, temporary
        ("birth_date", 1),  # 0-17, 18-64, 65+
        ("citizenship", 1),  # area
        ("citizenship", 2),  # continent
        ("comune_istat", 1),  # no zone
        ("permit_type", 2),
        ("citizenship", 3),
        ("birth_date", 2),
        ("sex", 1),
    )
    # A household's members and their languages single a family out whatever the rest.
    withheld = ("household_id", "languages")

    def new_context(self):
        return {
            "comuni": RefMap.of(Comune.objects.all(), "istat_code"),
            "file_codes": {},
            "birth_dates": set(),
        }

    def parse(self, row, ctx):
        sex = row.sex("sex", required=True)
        birth_date = row.date("birth_date", required=True, earliest=OLDEST_BIRTH_DATE)
        data = {
            "external_id": row.text("external_id", required=True, max_length=64),
            "family_name": row.text("family_name", required=True, max_length=120),
            "given_names": row.text("given_names", required=True, max_length=120),
            "sex": sex,
            "birth_date": birth_date,
            "citizenship": row.country("citizenship", required=True),
            "birth_country": row.country("birth_country"),
            "codice_fiscale": "",
            "comune_id": None,
            "household_id": row.text("household_id", max_length=64),
            "languages": [],
            "needs_mediator": row.boolean("needs_mediator"),
            "permit_type": row.choice("permit_type", PERMIT_TYPES),
            "permit_expires_on": row.date("permit_expires_on", allow_future=True),
        }
        data["issued_cf"] = ""
        cf = row.raw.get("codice_fiscale", "")
        if cf:
            try:
                issued = check_codice_fiscale(cf, birth_date=birth_date, sex=sex or None)
            except ValidationError as exc:
                row.error("codice_fiscale", _message(exc), exc.code or "bad_codice_fiscale")
            else:
                # Stored canonical: omocodia variants of a code are one code (and one person).
                data["codice_fiscale"] = canonical_codice_fiscale(issued)
                if issued != data["codice_fiscale"]:
                    data["issued_cf"] = issued
        languages = row.items("languages")
        if languages:
            try:
                data["languages"] = check_languages(languages)
            except ValidationError as exc:
                row.error("languages", _message(exc), "bad_language")
        istat = row.istat("comune_istat")
        if istat:
            data["comune_id"] = ctx["comuni"].get(istat)
            if data["comune_id"] is None:
                row.unknown("comune_istat")
        return data

    def check(self, items, ctx):
        """A codice fiscale identifies one person: a row may not bring the code of another
        person, registered already or on another line of the file."""
        coded = [(row, data) for row, data in items if data["codice_fiscale"]]
        if not coded:
            return
        owners = codice_fiscale_owners(data["codice_fiscale"] for _row, data in coded)
        records = {
            key: (pk, merged_into, stored)
            for key, pk, merged_into, stored in Person.objects.filter(
                external_id__in=[data["external_id"] for _row, data in coded]
            ).values_list("external_id", "pk", "merged_into_id", "codice_fiscale")
        }
        # Codes a record holds back (another record had them when codes became unique,
        # people migration 0005) or had before (a provisional code): a register that still
        # carries them leaves the record's code as it is.
        kept = set(
            PersonAlias.objects.filter(
                person_id__in=[r[0] for r in records.values()],
                kind__in=[PersonAlias.Kind.HELD, PersonAlias.Kind.PROVISIONAL],
            ).values_list("person_id", "value")
        )
        for _row, data in coded:
            pk, _merged_into, stored = records.get(data["external_id"], (None, None, ""))
            if (pk, data["codice_fiscale"]) in kept:
                data["codice_fiscale"], data["issued_cf"] = stored, ""
        coded = [(row, data) for row, data in coded if data["codice_fiscale"]]
        seen = ctx["file_codes"]
        for row, data in coded:
            code = data["codice_fiscale"]
            pk, merged_into, _stored = records.get(data["external_id"], (None, None, ""))
            if merged_into is not None:
                continue  # a merged record's row changes nothing (persons_import_bulk)
            earlier = seen.get(code)
            if earlier is not None and earlier[1] != data["external_id"]:
                row.error(
                    "codice_fiscale",
                    _("The same codice fiscale is on line %(line)d, for another person.")
                    % {"line": earlier[0]},
                    "duplicate_codice_fiscale",
                )
                continue
            if len(seen) < FILE_CODES_REMEMBERED:
                seen.setdefault(code, (row.line, data["external_id"]))
            owner = owners.get(code)
            if owner is not None and owner != pk:
                row.error(
                    "codice_fiscale",
                    _(
                        "This codice fiscale is already registered for another person: a "
                        "codice fiscale identifies one person."
                    ),
                    "codice_fiscale_taken",
                )

    def write(self, datas, ctx, *, actor):
        scope = ctx.get("scope")
        organisation = scope.organisation if scope is not None else None
        created, updated, unchanged = persons_import_bulk(
            actor=actor, rows=datas, organisation=organisation
        )
        ctx["birth_dates"].update(data["birth_date"] for data in datas)
        return Counts(created, updated, unchanged)

    def finish(self, ctx, *, write):
        # The pairs of likely duplicates the file brought, for the duplicates queue.
        if write and ctx["birth_dates"]:
            scan_duplicates(birth_dates=ctx["birth_dates"])
        return None

    def check_scope(self, items, ctx):
        """A coordinator changes only persons they may see, and puts persons only into
        households of persons they may see (or that they created)."""
        scope = limited_scope(ctx)
        if scope is None:
            return
        # A merged record's row changes nothing (persons_import_bulk); its external id
        # stands for the survivor, whose visibility decides.
        existing = {
            key: into or pk
            for key, pk, into in Person.objects.filter(
                external_id__in=[data["external_id"] for _row, data in items]
            ).values_list("external_id", "pk", "merged_into")
        }
        visible = set(scope.persons().filter(pk__in=existing.values()).values_list("pk", flat=True))
        household_keys = {data["household_id"] for _row, data in items} - {""}
        households = set(
            Household.objects.filter(external_id__in=household_keys).values_list(
                "external_id", flat=True
            )
        )
        own_households = set(
            Household.objects.filter(external_id__in=households)
            .filter(Q(members__in=scope.persons()) | Q(created_by=scope.user))
            .values_list("external_id", flat=True)
        )
        for row, data in items:
            pk = existing.get(data["external_id"])
            if pk is not None and pk not in visible:
                out_of_scope(
                    row,
                    "external_id",
                    _("This external id belongs to a record outside your zone."),
                )
            household = data["household_id"]
            if household in households and household not in own_households:
                out_of_scope(
                    row,
                    "household_id",
                    _("This household id belongs to a record outside your zone."),
                )

    def export_rows(self, *, list_separator=";", scope=None):
        # A merged record is not a person of its own: its survivor carries its data.
        persons = Person.objects.filter(merged_into__isnull=True).select_related(
            "comune", "household"
        )
        if scope is not None and scope.limited:
            persons = persons.filter(pk__in=scope.persons().values("pk"))
        # The code as issued (an omocodia variant) where the record stores its canonical form.
        issued = dict(
            PersonAlias.objects.filter(kind=PersonAlias.Kind.ISSUED).values_list(
                "person_id", "value"
            )
        )
        for key, p in in_key_order(persons, "external_id", PERSON_PREFIX):
            household = ""
            if p.household_id:
                household = p.household.external_id or f"{HOUSEHOLD_PREFIX}{p.household_id}"
            yield {
                "external_id": key,
                "family_name": p.family_name,
                "given_names": p.given_names,
                "sex": p.sex,
                "birth_date": fmt_date(p.birth_date),
                "citizenship": p.citizenship.code or "",
                "birth_country": p.birth_country.code or "",
                "codice_fiscale": issued.get(p.pk, p.codice_fiscale),
                "comune_istat": p.comune.istat_code if p.comune_id else "",
                "household_id": household,
                "languages": list_separator.join(p.languages or []),
                "needs_mediator": fmt_bool(p.needs_mediator),
                "permit_type": p.permit_type,
                "permit_expires_on": fmt_date(p.permit_expires_on),
            }


register(Persons())
