"""Codes in canonical form, and one record per code, without failing on existing data.

Every codice fiscale is stored in its canonical form (omocodia letters back to digits);
an omocodia variant as issued stays as an alias. Where several records share a code
today, the oldest keeps it (and its variant as issued) and the others hold it back
(aliases `held_cf`: the canonical form and the variant they had) and wait in the
duplicates queue as pairs "same codice fiscale", for a coordinator to merge or correct:
the unique constraint of the next migration then holds. Reversible: undone, every record
has its code back as it was read.
"""

from django.db import migrations
from stdnum.it import codicefiscale

_LETTERS = "LMNPQRSTUV"
_POSITIONS = (6, 7, 9, 10, 12, 13, 14)


def _canonical(code: str) -> str:
    # A frozen copy of people.validators.canonical_codice_fiscale (migrations do not
    # import application code that may change).
    if len(code) != 16:
        return code
    chars = list(code)
    for pos in _POSITIONS:
        if chars[pos] in _LETTERS:
            chars[pos] = str(_LETTERS.index(chars[pos]))
    plain = "".join(chars)
    if plain == code:
        return code
    return plain[:15] + codicefiscale.calc_check_digit(plain[:15])


def forwards(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    PersonAlias = apps.get_model("people", "PersonAlias")
    DuplicatePair = apps.get_model("people", "DuplicatePair")
    holders: dict[str, int] = {}
    held: list[tuple[int, str, str]] = []  # (record, canonical code, code as it was)
    aliases = []
    changed: dict[int, str] = {}
    rows = (
        Person.objects.exclude(codice_fiscale="")
        .order_by("pk")
        .values_list("pk", "codice_fiscale")
        .iterator(chunk_size=5000)
    )
    for pk, code in rows:
        canonical = _canonical(code)
        if canonical in holders:
            # The code stays with the record, held back: both forms, searchable.
            held.append((pk, canonical, code))
            changed[pk] = ""
            continue
        holders[canonical] = pk
        if canonical != code:
            aliases.append(PersonAlias(person_id=pk, kind="issued_cf", value=code))
            changed[pk] = canonical
    for pk, code in changed.items():
        Person.objects.filter(pk=pk).update(codice_fiscale=code)
    for pk, canonical, code in held:
        aliases.append(PersonAlias(person_id=pk, kind="held_cf", value=canonical))
        if code != canonical:
            aliases.append(PersonAlias(person_id=pk, kind="held_cf", value=code))
    PersonAlias.objects.bulk_create(aliases, batch_size=1000)
    DuplicatePair.objects.bulk_create(
        [
            DuplicatePair(
                person_a_id=min(pk, holders[canonical]),
                person_b_id=max(pk, holders[canonical]),
                reason="same_code",
            )
            for pk, canonical, _code in held
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def backwards(apps, schema_editor):
    """Codes back as they were read: the variant as issued, a held code on its record
    (the unique constraint is gone again, migration 0006 undone first)."""
    Person = apps.get_model("people", "Person")
    PersonAlias = apps.get_model("people", "PersonAlias")
    restored: dict[int, str] = {}
    for pk, kind, value in PersonAlias.objects.filter(
        kind__in=["issued_cf", "held_cf"]
    ).values_list("person_id", "kind", "value"):
        # A held record's code as it was is the variant, when it had one.
        if kind == "issued_cf" or pk not in restored or _canonical(value) != value:
            restored[pk] = value
    for pk, code in restored.items():
        Person.objects.filter(pk=pk).update(codice_fiscale=code)


class Migration(migrations.Migration):
    dependencies = [("people", "0004_person_identity")]

    operations = [migrations.RunPython(forwards, backwards)]
