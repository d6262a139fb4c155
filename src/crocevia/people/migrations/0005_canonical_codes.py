"""Codes in canonical form, and one record per code, without failing on existing data.

Every codice fiscale is stored in its canonical form (omocodia letters back to digits);
an omocodia variant as issued stays as an alias. Where several records share a code
today, the oldest keeps it and the others hold it back (alias `held_cf`) and wait in the
duplicates queue as pairs "same codice fiscale", for a coordinator to merge or correct:
the unique constraint of the next migration then holds.
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
    held: list[tuple[int, str]] = []
    aliases = []
    rows = (
        Person.objects.exclude(codice_fiscale="")
        .order_by("pk")
        .values_list("pk", "codice_fiscale")
        .iterator(chunk_size=5000)
    )
    changed: dict[int, str] = {}
    for pk, code in rows:
        canonical = _canonical(code)
        if canonical != code:
            aliases.append(PersonAlias(person_id=pk, kind="issued_cf", value=code))
        if canonical in holders:
            held.append((pk, canonical))
            changed[pk] = ""
        else:
            holders[canonical] = pk
            if canonical != code:
                changed[pk] = canonical
    for pk, code in changed.items():
        Person.objects.filter(pk=pk).update(codice_fiscale=code)
    aliases.extend(PersonAlias(person_id=pk, kind="held_cf", value=code) for pk, code in held)
    PersonAlias.objects.bulk_create(aliases, batch_size=1000)
    DuplicatePair.objects.bulk_create(
        [
            DuplicatePair(
                person_a_id=min(pk, holders[code]),
                person_b_id=max(pk, holders[code]),
                reason="same_code",
            )
            for pk, code in held
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("people", "0004_person_identity")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
