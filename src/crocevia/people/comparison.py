"""The compare page of a pair of possible duplicates: the two records side by side, what
each holds that a merge moves, and the coordinator's choices (PersonMergeForm).

Reads only; the merge itself is duplicates.person_merge. The counts of what each record
holds are those the reader may see (scopes.py): the rest is one number per record,
"other items you cannot see", with nothing said of what or where they are.
"""

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import duplicates
from .forms import PersonMergeForm
from .models import DuplicatePair, Person, PersonAlias
from .scopes import visible_rows
from .validators import language_name

MERGED_RECORDS = "people.person"


def shown_value(person: Person, name: str) -> str:
    """A registry value as the compare page shows it ("" for none)."""
    value = getattr(person, name)
    if name in ("sex", "permit_type"):
        return getattr(person, f"get_{name}_display")() if value else ""
    if name in ("citizenship", "birth_country"):
        return value.name if value else ""
    if name == "languages":
        return ", ".join(language_name(code) for code in value or [])
    if name == "needs_mediator":
        return _("yes") if value else _("no")
    if value is None or value == "":
        return ""
    if hasattr(value, "isoformat"):
        return date_format(value, "d/m/Y")
    return str(value)


def _relations() -> dict:
    """{model label: the relation to a person} of the models that point at one."""
    return {rel.related_model._meta.label_lower: rel for rel in Person._meta.related_objects}


def visible_counts(user, counts: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
    """`counts` (duplicates.history_counts: {pk: {model label: rows}}) as `user` may see
    them. An administrator sees every row, anyone else the rows of the registry itself
    (consents, records merged earlier: a person's own, seen with the person) and, of the
    other apps' rows, those within the scope the app registered (scopes.py), counted in
    one query; none of an app that registered no scope."""
    if user.is_superuser:
        return counts
    relations = _relations()
    visible = {pk: dict(held) for pk, held in counts.items()}
    scoped = {}
    for label in sorted({label for held in counts.values() for label in held}):
        if label.startswith("people."):
            continue
        rows_visible_to = visible_rows(label)
        if rows_visible_to is None or label not in relations:
            for held in visible.values():
                held[label] = 0
            continue
        rel = relations[label]
        rows = (
            rows_visible_to(user)
            .filter(**{rel.field.name: OuterRef("pk")})
            .order_by()
            .values(rel.field.name)
            .annotate(n=Count("pk"))
            .values("n")
        )
        scoped[f"n{len(scoped)}"] = (label, Coalesce(Subquery(rows), 0))
    if scoped:
        annotations = {name: expression for name, (_label, expression) in scoped.items()}
        for row in Person.objects.filter(pk__in=list(counts)).values("pk", **annotations):
            for name, (label, _expression) in scoped.items():
                visible[row["pk"]][label] = row[name]
    return visible


@dataclass
class MergeComparison:
    """What the compare page shows of `pair` to its reader, with the merge form."""

    pair: DuplicatePair
    form: PersonMergeForm
    values: dict[str, tuple[str, str]]  # {field: (record a's, record b's) as shown}
    counts: dict[int, dict[str, int]]  # {pk: {model label: rows}} the reader may see
    hidden: dict[int, int]  # {pk: rows held elsewhere, which the reader may not see}
    user: object = None  # the reader: the refusals name only organisations they know

    @property
    def is_open(self) -> bool:
        return self.pair.status == DuplicatePair.Status.OPEN

    def history(self) -> list[tuple[str, int, int]]:
        """(what, how many record a holds, how many record b holds), as the reader may see
        them; last, if any, how many other items each holds (the reader may not see them:
        neither what they are nor where)."""
        first, second = self.pair.person_a.pk, self.pair.person_b.pk
        relations = _relations()
        rows = []
        for label in self.counts.get(first, {}):
            if label == MERGED_RECORDS:
                name = _("Records merged into it earlier")
            else:
                name = capfirst(relations[label].related_model._meta.verbose_name_plural)
            rows.append((name, self.counts[first][label], self.counts[second][label]))
        if self.hidden[first] or self.hidden[second]:
            rows.append(
                (
                    _("Other items you cannot see"),
                    self.hidden[first],
                    self.hidden[second],
                )
            )
        return rows

    def context(self) -> dict:
        """The template's context (people/duplicate_pair.html)."""
        first, second = self.pair.person_a, self.pair.person_b
        fields = [
            {
                "label": Person._meta.get_field(name).verbose_name,
                "a": self.values[name][0],
                "b": self.values[name][1],
                "choice": self.form[f"take_{name}"] if f"take_{name}" in self.form.fields else None,
            }
            for name in duplicates.MERGE_FIELDS
        ]
        aliases = {first.pk: [], second.pk: []}
        for alias in PersonAlias.objects.filter(person__in=[first, second]):
            aliases[alias.person_id].append(alias)
        return {
            "pair": self.pair,
            "form": self.form,
            "fields": fields,
            "history": self.history(),
            "aliases": (aliases[first.pk], aliases[second.pk]),
            "problems": (
                duplicates.merge_problems(first, second, user=self.user) if self.is_open else []
            ),
            "is_open": self.is_open,
        }


def merge_comparison(pair: DuplicatePair, *, user, data=None) -> MergeComparison:
    """The compare page of `pair` (its persons loaded, as access.get_pair_for gives it) for
    `user`, with the merge form bound to `data` (a POST) if given.

    The record suggested as the one that stays is the one with more history, all of it
    counted (duplicates.suggested_survivor); the page shows `user` only the counts they
    may see. Two queries for the counts."""
    first, second = pair.person_a, pair.person_b
    counts = duplicates.history_counts([first.pk, second.pk])
    suggested = duplicates.suggested_survivor(first, second, counts)
    values = {
        name: (shown_value(first, name), shown_value(second, name))
        for name in duplicates.MERGE_FIELDS
    }
    labels = [
        _("Record n. %(number)s, registered on %(date)s")
        % {"number": p.pk, "date": date_format(p.created_at, "d/m/Y")}
        for p in (first, second)
    ]
    form = PersonMergeForm(
        data,
        persons=(first, second),
        labels=labels,
        differences=duplicates.merge_differences(first, second),
        values=values,
        initial_side="a" if suggested.pk == first.pk else "b",
    )
    visible = visible_counts(user, counts)
    hidden = {
        pk: sum(held[label] - visible[pk][label] for label in held) for pk, held in counts.items()
    }
    return MergeComparison(
        pair=pair, form=form, values=values, counts=visible, hidden=hidden, user=user
    )


def merge_error_sentences(exc: ValidationError) -> list[str]:
    """A refused merge's reasons as sentences (a field's error named by its label)."""
    if not hasattr(exc, "error_dict"):
        return exc.messages
    sentences = []
    for name, errors in exc.message_dict.items():
        try:
            label = Person._meta.get_field(name).verbose_name
        except FieldDoesNotExist:  # "__all__", or a key that names no field
            label = ""
        for message in errors:
            sentences.append(f"{capfirst(label)}: {message}" if label else message)
    return sentences
