"""Name normalisation for search and duplicate detection.

Foreign names reach the desk in many spellings: Mohamed / Mohammed / Muhammad,
Ndèye / Ndeye, N'Diaye / Ndiaye. `fold` makes a plain lower-case ASCII form for
fragment search; `phonetic_key` collapses the usual transliteration variants so that
spellings of one name share a key.
"""

import re

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
