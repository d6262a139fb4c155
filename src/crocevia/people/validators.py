"""Validation of registry identifiers: codice fiscale and spoken languages."""

import datetime
import gettext as gettext_module
from functools import lru_cache

import pycountry
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.it import codicefiscale

# Omocodia: when two people would share a code, digits of the date and place are replaced
# by these letters (0 -> L ... 9 -> V). Positions of the digits in a 16-character code.
_OMOCODE_LETTERS = "LMNPQRSTUV"
_OMOCODE_POSITIONS = (6, 7, 9, 10, 12, 13, 14)


def _de_omocode(code: str) -> str:
    """The code with omocodia letters turned back into digits (the check char is kept)."""
    chars = list(code)
    for pos in _OMOCODE_POSITIONS:
        if chars[pos] in _OMOCODE_LETTERS:
            chars[pos] = str(_OMOCODE_LETTERS.index(chars[pos]))
    return "".join(chars)


def canonical_codice_fiscale(code: str) -> str:
    """The one form of a code all its omocodia variants share ("" for "").

    A 16-character code has its omocodia letters turned back into digits and its check
    character computed again; an 11-digit provisional code is its own canonical form.
    `code` must be a valid, compact code (check_codice_fiscale's result).
    """
    if len(code) != 16:
        return code
    plain = _de_omocode(code)
    if plain == code:
        return code
    return plain[:15] + codicefiscale.calc_check_digit(plain[:15])


def canonical_prefix(prefix: str) -> str:
    """A typed beginning of a 16-character code in canonical form (omocodia letters in the
    date and place positions as digits; the check character is never part of a prefix)."""
    chars = list(prefix.upper()[:15])
    for pos in _OMOCODE_POSITIONS:
        if pos < len(chars) and chars[pos] in _OMOCODE_LETTERS:
            chars[pos] = str(_OMOCODE_LETTERS.index(chars[pos]))
    return "".join(chars)


def check_codice_fiscale(value: str, *, birth_date: datetime.date | None, sex: str | None) -> str:
    """The normalised code ("" when empty), or ValidationError with a field-ready message.

    A 16-character code must be well formed, carry the right check character and, when
    the record's birth date or sex are given, agree with them. Only the last two digits
    of the year are in the code, so the year is compared modulo 100. The 11-digit
    numeric provisional code (asylum seekers) has no date or sex to compare.
    """
    code = codicefiscale.compact(value or "")
    if not code:
        return ""
    if len(code) == 11:
        if not code.isdigit():
            raise ValidationError(
                _("A provisional codice fiscale has 11 digits."), code="cf_format"
            )
        try:
            codicefiscale.validate(code)
        except stdnum_exceptions.InvalidChecksum:
            raise ValidationError(
                _("The check digit of this codice fiscale is wrong: check for a typing error."),
                code="cf_checksum",
            ) from None
        except stdnum_exceptions.ValidationError:
            raise ValidationError(
                _("This is not a valid provisional codice fiscale."), code="cf_format"
            ) from None
        return code
    if len(code) != 16:
        raise ValidationError(
            _(
                "A codice fiscale has 16 characters (or 11 digits if provisional); "
                "this one has %(count)d."
            )
            % {"count": len(code)},
            code="cf_length",
        )
    try:
        codicefiscale.validate(code)
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(
            _("The check character of this codice fiscale is wrong: check for a typing error."),
            code="cf_checksum",
        ) from None
    except stdnum_exceptions.ValidationError:
        raise ValidationError(
            _(
                "This is not a valid codice fiscale: 6 letters, 2 digits, 1 letter, "
                "2 digits, 1 letter, 3 digits and 1 letter are expected."
            ),
            code="cf_format",
        ) from None

    plain = _de_omocode(code)
    encoded = codicefiscale.get_birth_date(plain)
    if birth_date is not None and (
        encoded.day != birth_date.day
        or encoded.month != birth_date.month
        or encoded.year % 100 != birth_date.year % 100
    ):
        raise ValidationError(
            _(
                "The codice fiscale encodes the birth date %(date)s, "
                "which differs from the birth date given."
            )
            % {"date": f"{encoded.day:02d}/{encoded.month:02d}/{encoded.year % 100:02d}"},
            code="cf_birth_date",
        )
    encoded_sex = codicefiscale.get_gender(plain)
    if sex and encoded_sex != sex:
        raise ValidationError(
            _("The codice fiscale is that of a man, but the sex given is female.")
            if encoded_sex == "M"
            else _("The codice fiscale is that of a woman, but the sex given is male."),
            code="cf_sex",
        )
    return code


# Languages spoken: ISO 639-1 codes, shown with names in the active language.


@lru_cache(maxsize=8)
def _language_catalogue(lang: str):
    if lang == "en":
        return gettext_module.NullTranslations()
    return gettext_module.translation(
        "iso639-3", pycountry.LOCALES_DIR, languages=[lang], fallback=True
    )


def language_name(code: str) -> str:
    """Name of an ISO 639-1 language in the active language ("Arabo" in Italian)."""
    language = pycountry.languages.get(alpha_2=code)
    if language is None:
        return code
    lang = (translation.get_language() or "it").split("-")[0]
    return _language_catalogue(lang).gettext(language.name)


def language_choices() -> list[tuple[str, str]]:
    """Every ISO 639-1 language as (code, name), sorted by name in the active language."""
    choices = [
        (lang.alpha_2, language_name(lang.alpha_2))
        for lang in pycountry.languages
        if hasattr(lang, "alpha_2")
    ]
    return sorted(choices, key=lambda c: c[1].casefold())


def check_languages(codes) -> list[str]:
    """Normalised, de-duplicated ISO 639-1 codes; ValidationError on an unknown one."""
    result = []
    for raw in codes or []:
        code = str(raw).strip().lower()
        if not code:
            continue
        if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
            raise ValidationError(
                _("%(code)s is not a language code (ISO 639-1, two letters).") % {"code": raw},
                code="language",
            )
        if code not in result:
            result.append(code)
    return result
