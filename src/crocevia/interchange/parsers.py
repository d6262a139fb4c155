"""Typed cell parsers: a raw string in, a value out, or CellError with a translatable reason.

Every parser takes a non-empty, stripped string (emptiness is the caller's business: see
rows.Row) and either returns the value or raises CellError. They never truncate, never
guess: a value they do not understand is an error.
"""

import datetime
import re
import time
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries
from unidecode import unidecode

from crocevia.core.dates import EARLIEST_EVENT_DATE, latest_date
from crocevia.core.text import clean_line, clean_multiline

from .errors import CellError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_IT_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_TRUE = {"true", "si", "1", "vero", "yes"}
_FALSE = {"false", "no", "0", "falso"}


def fold_word(value: str) -> str:
    """Lower-case ASCII ("Sì" -> "si"), for case- and accent-blind comparisons."""
    return unidecode(value).strip().lower()


def parse_text(value: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    """The text, NFC and trimmed; refused if it holds an invisible, control or
    direction-changing character (core.text.clean_line; line breaks allowed in a
    `multiline` cell: core.text.clean_multiline), naming it."""
    try:
        value = clean_multiline(value) if multiline else clean_line(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0], "forbidden_character") from None
    if max_length is not None and len(value) > max_length:
        raise CellError(
            _("Too long: %(count)d characters, at most %(max)d are allowed.")
            % {"count": len(value), "max": max_length},
            "too_long",
        )
    return value


_today_cache = [0.0, None]


def today() -> datetime.date:
    """The local date, read at most once a second (an import parses it per row)."""
    now = time.monotonic()
    if _today_cache[1] is None or now - _today_cache[0] > 1.0:
        _today_cache[:] = [now, timezone.localdate()]
    return _today_cache[1]


def parse_date(
    value: str, *, allow_future: bool = False, earliest=EARLIEST_EVENT_DATE
) -> datetime.date:
    """YYYY-MM-DD or DD/MM/YYYY; an impossible date (31/02/2018) is an error, not a guess.

    The date must lie in the range forms accept too (core.dates): from `earliest` to today,
    or up to core.dates.FUTURE_YEARS ahead when `allow_future`.
    """
    try:
        if _ISO_DATE.fullmatch(value):
            result = datetime.date.fromisoformat(value)
        else:
            match = _IT_DATE.fullmatch(value)
            if not match:
                raise CellError(_("Not a date: write YYYY-MM-DD or DD/MM/YYYY."), "bad_date")
            day, month, year = (int(g) for g in match.groups())
            result = datetime.date(year, month, day)
    except ValueError:
        raise CellError(_("This date does not exist."), "impossible_date") from None
    return _check_date_range(result, allow_future, earliest)


def _check_date_range(result, allow_future, earliest) -> datetime.date:
    if not allow_future and result > today():
        raise CellError(_("The date is in the future."), "future_date")
    if allow_future and result > latest_date(allow_future=True, today=today()):
        raise CellError(
            _("The date is after %(date)s.")
            % {"date": latest_date(allow_future=True, today=today()).strftime("%d/%m/%Y")},
            "too_late",
        )
    if earliest is not None and result < earliest:
        raise CellError(
            _("The date is before %(date)s.") % {"date": earliest.strftime("%d/%m/%Y")},
            "too_early",
        )
    return result


def parse_boolean(value: str) -> bool:
    word = fold_word(value)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError(_("Not a yes/no value: write true/false, sì/no or 1/0."), "bad_boolean")


@lru_cache(maxsize=64)
def _folded_choices(choices: tuple) -> dict:
    return {fold_word(str(c)): str(c) for c in choices}


def parse_choice(value: str, choices) -> str:
    """One of `choices` (compared case-blind; the canonical spelling is returned)."""
    found = _folded_choices(tuple(choices)).get(fold_word(value))
    if found is None:
        raise CellError(
            _("Unknown value: use one of %(choices)s.") % {"choices": ", ".join(map(str, choices))},
            "bad_choice",
        )
    return found


def parse_integer(value: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if not re.fullmatch(r"[+-]?\d{1,18}", value, re.ASCII):
        raise CellError(_("Not a whole number."), "bad_integer")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise CellError(_("Number out of range."), "out_of_range")
    return number


_COUNTRY_CODES = None


def parse_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code (XX for stateless), upper-cased."""
    global _COUNTRY_CODES
    if _COUNTRY_CODES is None:
        _COUNTRY_CODES = {code for code, _name in countries}
    code = value.upper()
    if code not in _COUNTRY_CODES:
        raise CellError(
            _("Not a country code: write the two letters of ISO 3166-1 (IT, MA, ...)."),
            "bad_country",
        )
    return code


def parse_sex(value: str) -> str:
    code = value.upper()
    if code not in ("M", "F"):
        raise CellError(_("The sex is M or F."), "bad_sex")
    return code


def parse_istat(value: str) -> str:
    if not re.fullmatch(r"\d{6}", value, re.ASCII):
        raise CellError(_("An ISTAT code has 6 digits."), "bad_istat")
    return value


def split_list(value: str, separator: str) -> list[str]:
    """The items of a list cell, stripped, empty items dropped."""
    return [item.strip() for item in value.split(separator) if item.strip()]
