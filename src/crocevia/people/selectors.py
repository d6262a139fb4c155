"""Reads of the registry, always scoped to what the acting user may see."""

import contextlib
import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import StrIndex

from crocevia.accounts.selectors import (
    coordinated_zone_ids,
    is_monitoring_only,
    organisation_ids,
)
from crocevia.core.text import fold
from crocevia.network.models import CasePart
from crocevia.network.sharing import agreement_grants, shared_by_agreement

from .models import Person, PersonAlias
from .scopes import organisation_grounds, person_grounds, zone_grounds
from .sharing import network_consents
from .validators import canonical_codice_fiscale, canonical_prefix, check_codice_fiscale


def live_persons() -> QuerySet[Person]:
    """Every record that stands for a person: not one merged into another (a tombstone,
    people.duplicates.person_merge, is reached only through the record it redirects to)."""
    return Person.objects.filter(merged_into__isnull=True)


def persons_visible_to(user, *, agreements: bool = True) -> QuerySet[Person]:
    """Persons the user may see.

    A desk operator (and any operator) sees the persons who had a contact at a desk of
    their organisations, or whom they or their organisation registered; an organisation
    also sees the persons referred to it (a referral shares the person's data, with
    consent) unless it refused them; a case team member sees the person of that case;
    a zone coordinator sees those of every organisation of the zone; monitoring officers
    see no one by name; administrators see everyone. Never a record merged into another
    (its contacts, cases and referrals are the survivor's now).

    With `agreements` (the default), also the persons of another organisation whose
    registry data an agreement in force shares with the user's (network.sharing), if they
    consent to sharing within the network: to read, never to change
    (`persons_editable_by`). The condition is added only for a user who has such an
    agreement: everyone else's query is the same as without agreements.
    """
    if not user.is_authenticated or not user.is_active:
        return Person.objects.none()
    if user.is_superuser:
        return live_persons()
    if is_monitoring_only(user):
        return Person.objects.none()
    scope = _own_grounds(user)
    if agreements:
        shared = shared_by_agreement(user, CasePart.REGISTRY)
        if shared:
            scope |= persons_of_organisations(shared) & Exists(network_consents(OuterRef("pk")))
    return live_persons().filter(scope)


def _own_grounds(user) -> Q:
    """The condition on Person of persons_visible_to without agreements."""
    orgs = organisation_ids(user)
    zones = coordinated_zone_ids(user)
    scope = Q(created_by=user) | Q(created_by_organisation_id__in=orgs)
    if zones:
        scope |= Q(created_by_organisation__zone_id__in=zones)
    # Seen at a desk, referred to the organisation, on a case's team: the apps above say
    # (registered in scopes.py by desk and cases).
    for grounds in person_grounds(user):
        scope |= grounds
    return scope


def persons_of_organisations(organisation_ids) -> Q:
    """The condition on Person: a person "of" these organisations, whose data an agreement
    may share: registered by one of them, or with a contact at their desks or a case of
    theirs (registered in scopes.py by desk and cases)."""
    organisation_ids = sorted(organisation_ids)
    scope = Q(created_by_organisation_id__in=organisation_ids)
    for grounds in organisation_grounds(organisation_ids):
        scope |= grounds
    return scope


def agreements_showing(user, person_id) -> tuple[str, ...]:
    """The titles of the agreements through which `user` sees the person `person_id`, or
    () when they see them on their own grounds (or not at all). No query for a user who has
    no agreement sharing registry data; one otherwise."""
    grants = [g for g in agreement_grants(user) if CasePart.REGISTRY in g.parts]
    if not grants or user.is_superuser or is_monitoring_only(user):
        return ()
    by_agreement: dict[int, tuple[str, set]] = {}
    for grant in grants:
        by_agreement.setdefault(grant.agreement_id, (grant.title, set()))[1].add(
            grant.organisation_id
        )

    def flag(condition):
        return Case(
            When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
        )

    flags = {
        "own": flag(_own_grounds(user)),
        "consent": flag(Exists(network_consents(OuterRef("pk")))),
    }
    for n, (_title, orgs) in enumerate(by_agreement.values()):
        flags[f"a{n}"] = flag(persons_of_organisations(orgs))
    row = live_persons().filter(pk=person_id).annotate(**flags).values(*flags).first()
    if row is None or row["own"] or not row["consent"]:
        return ()
    titles = [title for n, (title, _orgs) in enumerate(by_agreement.values()) if row[f"a{n}"]]
    return tuple(dict.fromkeys(titles))


def permits_expiring(user, *, since, until) -> QuerySet[Person]:
    """The persons `user` follows (seen on their own grounds, not only shared by an
    agreement) whose residence permit expires from `since` to `until`."""
    return persons_visible_to(user, agreements=False).filter(
        permit_expires_on__gte=since, permit_expires_on__lte=until
    )


def persons_of_zones(zone_ids) -> QuerySet[Person]:
    """Persons who belong to these zones, whoever is asking (not a visibility rule: for a
    pseudonymised export of the zones, e.g. a monitoring officer's, who sees no one).

    The zone part of a coordinator's view (`persons_visible_to`) plus the cases: persons
    registered by an organisation of the zones, or with a contact at a desk of the zones,
    or with a case of the zones. So the persons of the export are those its contacts and
    cases point at, and those the zones' organisations registered.
    """
    zone_ids = list(zone_ids)
    scope = Q(created_by_organisation__zone_id__in=zone_ids)
    # A contact at the zones' desks, a case of the zones: registered in scopes.py.
    for grounds in zone_grounds(zone_ids):
        scope |= grounds
    return live_persons().filter(scope)


def persons_by_external_id(keys) -> dict[str, Person]:
    """{external id: the live person it names}. Not scoped (imports resolve references).

    A merged record's id names the record it was merged into: an import of the old
    register finds the survivor, never the tombstone and never a new person."""
    keys = [k for k in set(keys) if k]
    if not keys:
        return {}
    return {
        p.external_id: p.merged_into or p
        for p in Person.objects.filter(external_id__in=keys).select_related("merged_into")
    }


def persons_editable_by(user) -> QuerySet[Person]:
    """Everyone an operator can see they can also correct (the registry is shared), but
    for those an agreement only lets them read (network.sharing: read only)."""
    return persons_visible_to(user, agreements=False)


_CF16 = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
_CF11 = re.compile(r"^\d{11}$")
# The beginning of a 16-character code: 6 letters, then what may follow them, with at
# least one digit (or omocodia letter in a digit's place) so a name is not taken for it.
_CF_PREFIX = re.compile(
    r"^[A-Z]{6}(?=.*[0-9])[0-9LMNPQRSTUV]{0,2}([ABCDEHLMPRST]([0-9LMNPQRSTUV]{0,2}"
    r"([A-Z]([0-9LMNPQRSTUV]{0,3})?)?)?)?$"
)
# A word of six letters may be a name or the start of a code: searched as a name first.
_CF_LETTERS = re.compile(r"^[A-Z]{6}$")
# An external id (a register's own id) is looked up when the query is one such token.
_EXTERNAL_ID = re.compile(r"^[\w./:-]{1,64}$")
# Prefixes shorter than this would match too much of a registry.
CF_PREFIX_MIN = 6
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")


@dataclass
class PersonQuery:
    """A search box's text, understood: codice fiscale, birth date, year, name words."""

    codice_fiscale: str = ""
    codice_fiscale_prefix: str = ""
    birth_date: datetime.date | None = None
    birth_year: int | None = None
    words: list[str] = field(default_factory=list)  # as typed (accents kept)
    invalid_date: bool = False

    @property
    def name_text(self) -> str:
        return " ".join(self.words)

    @property
    def is_empty(self) -> bool:
        return not (
            self.codice_fiscale
            or self.codice_fiscale_prefix
            or self.birth_date
            or self.birth_year
            or self.words
        )


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
        elif len(upper) >= CF_PREFIX_MIN and _CF_PREFIX.match(upper):
            parsed.codice_fiscale_prefix = canonical_prefix(upper)
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


class SearchResults(list):
    """The persons found, best first; `truncated` when more persons match than shown."""

    truncated: bool = False


# Tier 2 of search_persons reads at most this many contains-matches before ranking them.
CONTAINS_CANDIDATES = 1000


# Rows shown by a search; more matches than this ask the operator to narrow it.
SEARCH_LIMIT = 50


def search_persons(user, query: str, *, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Persons the user may see matching `query`, best first.

    The query may hold a codice fiscale (16 characters or 11 digits: exact match, in
    either omocodia form, and also the earlier codes a person had: provisional, of a
    merged record), the beginning of one (6 characters or more, with a digit: a code
    typed in part; six letters alone are a name, and a code's start only when no name
    matches), a register's external id (the query as one token; a merged record's id
    finds the record it was merged into), a birth date (dd/mm/yyyy or yyyy-mm-dd), a
    birth year, and name fragments: every word
    must appear in the folded name. Ranking: names starting with the words ("family
    given", folded), in alphabetical order of the folded name, so the exact family name
    comes first; then names containing them.

    Two tiers keep it fast on a large registry. Tier 1 reads the prefix matches in the
    order of the search_name b-tree ("C" collation on PostgreSQL, migration 0003), so
    it stops after `limit` rows. Only when it finds fewer does tier 2 look for names
    containing every word, through the trigram index, and rank at most
    CONTAINS_CANDIDATES of them. `truncated` on the result says that more persons match
    than it holds (or that tier 2 stopped at its cap): the search should be narrowed.
    """
    found = SearchResults()
    parsed = parse_person_query(query)
    if parsed.is_empty or parsed.invalid_date:
        return found
    visible = persons_visible_to(user)
    rows = visible.filter(merged_into__isnull=True)
    if parsed.codice_fiscale:
        rows = rows.filter(pk__in=_ids_by_code(parsed.codice_fiscale))
    if parsed.codice_fiscale_prefix:
        rows = rows.filter(_code_prefix_condition(parsed.codice_fiscale_prefix))
    if parsed.birth_date:
        rows = rows.filter(birth_date=parsed.birth_date)
    if parsed.birth_year:
        # A range, not __year, so the birth_date index serves it.
        rows = rows.filter(
            birth_date__gte=datetime.date(parsed.birth_year, 1, 1),
            birth_date__lt=datetime.date(parsed.birth_year + 1, 1, 1),
        )
    tokens = (query or "").split()
    by_id = []
    if len(tokens) == 1 and parsed.words and _EXTERNAL_ID.match(tokens[0]):
        by_id = _ids_by_external_id(visible, tokens[0])
    folded = fold(parsed.name_text)
    if not folded:
        ids, truncated = _first_ids(rows, limit)
    else:
        narrowed = bool(
            parsed.codice_fiscale
            or parsed.codice_fiscale_prefix
            or parsed.birth_date
            or parsed.birth_year
        )
        ids, truncated = _ids_by_name(rows, folded, narrowed, limit)
        if not ids and len(tokens) == 1 and _CF_LETTERS.match(tokens[0].upper()):
            # Six letters no name matches: the start of a codice fiscale.
            prefix = _code_prefix_condition(tokens[0].upper())
            ids, truncated = _first_ids(rows.filter(prefix), limit)
    ids = by_id + [pk for pk in ids if pk not in by_id]
    if len(ids) > limit:
        ids, truncated = ids[:limit], True
    found.truncated = truncated
    by_pk = Person.objects.select_related("comune").in_bulk(ids)
    found.extend(by_pk[pk] for pk in ids)
    return found


def _first_ids(rows, limit) -> tuple[list[int], bool]:
    """Up to `limit` ids in name order, and whether more match."""
    ids = list(
        rows.order_by("family_name", "given_names", "birth_date", "pk").values_list(
            "pk", flat=True
        )[: limit + 1]
    )
    return ids[:limit], len(ids) > limit


def _ids_by_name(rows, folded: str, narrowed: bool, limit: int) -> tuple[list[int], bool]:
    """The two tiers of search_persons over `rows`: (ids best first, truncated)."""
    words = folded.split()
    truncated = False
    only_short_words = all(len(w) < 3 for w in words) and not narrowed
    if only_short_words:
        # "Li", "Wu": a trigram index cannot serve one- or two-letter fragments, and
        # they would match most of the registry; take them as a whole leading word.
        prefix = Q(search_name=folded) | Q(search_name__startswith=f"{folded} ")
    else:
        prefix = Q(search_name__startswith=folded)
    # Tier 1: in byte order "diop" < "diop awa" < "diopp", i.e. exact name, then the
    # query as whole leading words, then as the start of a longer word.
    ids = list(
        rows.filter(prefix)
        .order_by("search_name", "birth_date", "pk")
        .values_list("pk", flat=True)[: limit + 1]
    )
    if len(ids) > limit:
        ids = ids[:limit]
        truncated = True
    elif not only_short_words:
        # Tier 2: every word contained, prefix matches excluded. search_name is folded
        # to lower case already: plain LIKE, which the trigram index serves.
        more = rows.exclude(prefix)
        for word in words:
            if len(word) >= 3:
                more = more.filter(search_name__contains=word)
        for n, word in enumerate(w for w in words if len(w) < 3):
            # Too short for trigrams: checked with position() on the rows the other
            # criteria found, so the planner does not scan the whole trigram index.
            more = more.annotate(**{f"_pos{n}": StrIndex("search_name", Value(word))})
            more = more.filter(**{f"_pos{n}__gt": 0})
        candidates = list(more.values_list("pk", "search_name", "birth_date")[:CONTAINS_CANDIDATES])
        candidates.sort(key=lambda r: (r[1], r[2], r[0]))
        room = limit - len(ids)
        ids += [r[0] for r in candidates[:room]]
        truncated = len(candidates) > room
    return ids, truncated


def _ids_by_code(code: str) -> list[int]:
    """The persons a whole code finds: as stored (canonical), as issued, or an earlier code
    of theirs (provisional, of a merged record, held back)."""
    codes = {code}
    if len(code) == 16:
        # A mistyped code has no canonical form: only an exact alias could match it.
        with contextlib.suppress(ValidationError):
            codes.add(
                canonical_codice_fiscale(check_codice_fiscale(code, birth_date=None, sex=None))
            )
    ids = set(Person.objects.filter(codice_fiscale__in=codes).values_list("pk", flat=True))
    ids.update(PersonAlias.objects.filter(value__in=codes).values_list("person_id", flat=True))
    return sorted(ids)


def _code_prefix_condition(prefix: str) -> Q:
    """Persons whose code, or an earlier code of theirs, starts with `prefix` (canonical).

    The few aliases are read first, so the condition is an OR of two index scans (the
    pattern-ops indexes of migration 0004), not a subquery the planner cannot combine."""
    alias_ids = list(
        PersonAlias.objects.filter(value__startswith=prefix).values_list("person_id", flat=True)[
            :CONTAINS_CANDIDATES
        ]
    )
    return Q(codice_fiscale__startswith=prefix) | Q(pk__in=alias_ids)


def _ids_by_external_id(visible, token: str) -> list[int]:
    """The person a register's id names (a merged record's id: its survivor), if visible."""
    hits = Person.objects.filter(external_id=token).values_list("pk", "merged_into")
    live = [into or pk for pk, into in hits]
    if not live:
        return []
    return list(visible.filter(pk__in=live, merged_into__isnull=True).values_list("pk", flat=True))
