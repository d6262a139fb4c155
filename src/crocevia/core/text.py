"""Text hygiene for what operators type and imports bring, and name normalisation for
search and duplicate detection.

`clean_line` and `clean_multiline` make typed or imported text safe to show to other
operators: NFC, trimmed, and free of the invisible, control and direction-changing
characters (U+200B, U+202E, ...) that would let a name look empty or read backwards.

Foreign names reach the desk in many spellings: Mohamed / Mohammed / Muhammad,
Ndèye / Ndeye, N'Diaye / Ndiaye. `fold` makes a plain lower-case ASCII form for
fragment search; `phonetic_key` collapses the usual transliteration variants so that
spellings of one name share a key.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")

# Ordered rewrite rules applied to each folded word (after apostrophes are dropped).
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck|q|k"), "c"),
    (re.compile(r"ou"), "u"),
    (re.compile(r"ee|ie"), "i"),
    (re.compile(r"oo"), "u"),
    (re.compile(r"y"), "i"),
    (re.compile(r"w"), "u"),
    (re.compile(r"sh|sch"), "s"),
    (re.compile(r"kh|gh"), "h"),
    (re.compile(r"dj|j"), "g"),
    (re.compile(r"z"), "s"),
    (re.compile(r"h"), ""),
]
_VOWELS_AFTER_FIRST = re.compile(r"(?<=.)[aeiou]")
_DOUBLES = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lower-case ASCII with accents, apostrophes and punctuation removed."""
    text = unidecode(text or "").lower().replace("'", "").replace("`", "")
    text = _NON_ALNUM.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _word_key(word: str) -> str:
    for pattern, repl in _RULES:
        word = pattern.sub(repl, word)
    # Vowels inside foreign names are the least stable letters across transliterations.
    word = _VOWELS_AFTER_FIRST.sub("", word)
    return _DOUBLES.sub(r"\1", word)


def phonetic_key(text: str) -> str:
    """A key shared by the common transliteration variants of a name (word order kept)."""
    return " ".join(_word_key(w) for w in fold(text).split() if w)


def name_keys(family_name: str, given_names: str) -> set[str]:
    """The set of word keys of a whole name (order-free, so inverted names match)."""
    return set(phonetic_key(f"{family_name} {given_names}").split())


def names_similar(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """True when two (family, given) names are likely spellings of the same name.

    At least two word keys in common, or every word of a one-word name.
    """
    ka, kb = name_keys(*a), name_keys(*b)
    if not ka or not kb:
        return False
    needed = min(2, len(ka), len(kb))
    return len(ka & kb) >= needed


# --- hygiene of typed and imported text ------------------------------------------------------

# What free text refuses: control characters other than tab and line breaks, the line and
# paragraph separators, and the characters that change the direction of the text shown
# after them (embeddings, overrides, isolates). Other invisible characters may be
# legitimate there (a zero-width joiner inside a word of a non-Latin script).
_FORBIDDEN_IN_FREE_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def describe_character(char: str) -> str:
    """'U+202E (RIGHT-TO-LEFT OVERRIDE)': how an error names a character nobody can see."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} ({name})" if name else f"U+{ord(char):04X}"


def _refuse(char: str) -> ValidationError:
    return ValidationError(
        _(
            "The text contains a character that is not allowed: %(character)s. It is "
            "invisible, a control character or changes the direction of the text: delete "
            "it and type the text again."
        )
        % {"character": describe_character(char)},
        code="forbidden_character",
    )


def _spaces_to_plain(value: str) -> str:
    # Non-breaking and other typographic spaces (category Zs) become an ordinary space:
    # they come in from word processors and spreadsheets and mean nothing else.
    if value.isascii():
        return value
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in value)


def clean_line(value: str) -> str:
    """A one-line text (a name, a code): NFC, plain spaces, trimmed.

    Raises ValidationError naming the first character that is a control, format (zero-width
    spaces, direction marks and overrides), private-use, unassigned or line/paragraph
    separator character: none belongs in a name or a code.
    """
    if not value:
        return value
    if not value.isascii():
        value = _spaces_to_plain(unicodedata.normalize("NFC", value))
    value = value.strip()
    if not value.isprintable():
        raise _refuse(next(c for c in value if not c.isprintable()))
    return value


def clean_multiline(value: str) -> str:
    """A free text (notes, minutes): NFC and trimmed; line breaks and tabs allowed.

    Refuses control characters other than line breaks and tabs, and the characters that
    change the direction of the text shown after them.
    """
    if not value:
        return value
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    value = value.strip()
    found = _FORBIDDEN_IN_FREE_TEXT.search(value)
    if found:
        raise _refuse(found.group())
    return value
