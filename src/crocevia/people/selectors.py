"""Reads of the registry, always scoped to what the acting user may see."""

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from crocevia.accounts.selectors import (
    coordinated_zone_ids,
    is_monitoring_only,
    organisation_ids,
)
from crocevia.core.text import fold

from .models import Person


def persons_visible_to(user) -> QuerySet[Person]:
    """Persons the user may see.

    A desk operator (and any operator) sees the persons who had a contact at a desk of
    their organisations, or whom they or their organisation registered; a zone
    coordinator sees those of every organisation of the zone; monitoring officers see
    no one by name; administrators see everyone.
    """
    if not user.is_authenticated or not user.is_active:
        return Person.objects.none()
    if user.is_superuser:
        return Person.objects.all()
    if is_monitoring_only(user):
        return Person.objects.none()
    from crocevia.desk.models import Contact

    orgs = organisation_ids(user)
    zones = coordinated_zone_ids(user)
    contact_scope = Q(desk__organisation_id__in=orgs)
    registered = Q(created_by=user) | Q(created_by_organisation_id__in=orgs)
    if zones:
        contact_scope |= Q(desk__organisation__zone_id__in=zones)
        registered |= Q(created_by_organisation__zone_id__in=zones)
    seen_at_desk = Exists(Contact.objects.filter(contact_scope, person_id=OuterRef("pk")))
    return Person.objects.filter(registered | seen_at_desk)


def persons_editable_by(user) -> QuerySet[Person]:
    """Everyone an operator can see they can also correct (the registry is shared)."""
    return persons_visible_to(user)


_CF16 = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
_CF11 = re.compile(r"^\d{11}$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")


@dataclass
class PersonQuery:
    """A search box's text, understood: codice fiscale, birth date, year, name words."""

    codice_fiscale: str = ""
    birth_date: datetime.date | None = None
    birth_year: int | None = None
    words: list[str] = field(default_factory=list)  # as typed (accents kept)
    invalid_date: bool = False

    @property
    def name_text(self) -> str:
        return " ".join(self.words)

    @property
    def is_empty(self) -> bool:
        return not (self.codice_fiscale or self.birth_date or self.birth_year or self.words)


def _date_or_none(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def parse_person_query(query: str) -> PersonQuery:
    parsed = PersonQuery()
    for token in (query or "").split():
        upper = token.upper()
        if _CF16.match(upper) or _CF11.match(token):
            parsed.codice_fiscale = upper
        elif m := _DMY.match(token):
            parsed.birth_date = _date_or_none(int(m[3]), int(m[2]), int(m[1]))
            parsed.invalid_date |= parsed.birth_date is None
        elif m := _YMD.match(token):
            parsed.birth_date = _date_or_none(int(m[1]), int(m[2]), int(m[3]))
            parsed.invalid_date |= parsed.birth_date is None
        elif _YEAR.match(token):
            parsed.birth_year = int(token)
        else:
            parsed.words.append(token)
    return parsed


def search_persons(user, query: str, *, limit: int = 50) -> list[Person]:
    """Persons the user may see matching `query`, best first.

    The query may hold a codice fiscale (16 characters or 11 digits: exact match), a
    birth date (dd/mm/yyyy or yyyy-mm-dd), a birth year, and name fragments: every word
    must appear in the folded name. Ranking: exact family name, then names starting with
    the words, then names containing them; then alphabetical.
    """
    parsed = parse_person_query(query)
    if parsed.is_empty or parsed.invalid_date:
        return []
    rows = persons_visible_to(user)
    if parsed.codice_fiscale:
        rows = rows.filter(codice_fiscale=parsed.codice_fiscale)
    if parsed.birth_date:
        rows = rows.filter(birth_date=parsed.birth_date)
    if parsed.birth_year:
        # A range, not __year, so the birth_date index serves it.
        rows = rows.filter(
            birth_date__gte=datetime.date(parsed.birth_year, 1, 1),
            birth_date__lt=datetime.date(parsed.birth_year + 1, 1, 1),
        )
    folded = fold(parsed.name_text)
    rank = Value(0, output_field=IntegerField())
    if folded:
        words = folded.split()
        only_short_words = all(len(w) < 3 for w in words) and not (
            parsed.codice_fiscale or parsed.birth_date or parsed.birth_year
        )
        if only_short_words:
            # "Li", "Wu": a trigram index cannot serve one- or two-letter fragments, and
            # they would match most of the registry; take them as a whole leading word.
            rows = rows.filter(Q(search_name=folded) | Q(search_name__startswith=f"{folded} "))
        for word in [] if only_short_words else words:
            # search_name is folded to lower case already: plain LIKE, which the
            # PostgreSQL trigram index serves (icontains would wrap it in UPPER()).
            rows = rows.filter(search_name__contains=word)
        rank = Case(
            When(family_name__iexact=parsed.name_text, then=Value(0)),
            When(search_name=folded, then=Value(0)),
            When(search_name__startswith=f"{folded} ", then=Value(1)),
            When(search_name__startswith=folded, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    rows = rows.annotate(rank=rank).select_related("comune")
    return list(rows.order_by("rank", "family_name", "given_names", "birth_date", "pk")[:limit])
