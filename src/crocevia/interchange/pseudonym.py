"""Stable keyed pseudonyms for statistical exports (HMAC-SHA256, key from the environment).

The same value in the same domain always gives the same pseudonym under the same key, so
a person keeps their pseudonym across exports and a contact still points at its person.
Without the key the pseudonyms cannot be reversed or recomputed.
"""

import hashlib
import hmac
import os

from django.utils.translation import gettext as _

ENV_KEY = "CROCEVIA_PSEUDONYM_KEY"


# The prefix tells what a pseudonym stands for; other domains use their first letters.
PREFIXES = {
    "person": "PE",
    "family_name": "FN",
    "given_names": "GN",
    "codice_fiscale": "CF",
    "household": "HH",
    "contact": "CT",
}


# Domains whose values many records share (names): pseudonymised per record (see apply).
PER_RECORD = {"family_name", "given_names"}


class MissingKey(Exception):
    pass


class Pseudonymiser:
    def __init__(self, key: str | None = None):
        key = key if key is not None else os.environ.get(ENV_KEY, "")
        if not key:
            raise MissingKey(
                _("Set the environment variable %(name)s to the pseudonym secret.")
                % {"name": ENV_KEY}
            )
        self._key = key.encode()

    def pseudonym(self, domain: str, value: str) -> str:
        """'<DOMAIN PREFIX>-<16 hex>'; empty stays empty."""
        if not value:
            return ""
        digest = hmac.new(self._key, f"{domain}\x00{value}".encode(), hashlib.sha256)
        prefix = PREFIXES.get(domain, domain[:2].upper())
        return f"{prefix}-{digest.hexdigest()[:16]}"

    def apply(
        self, row: dict[str, str], columns: dict[str, str], key: str | None = None
    ) -> dict[str, str]:
        """The row with its `columns` pseudonymised. A name's pseudonym (PER_RECORD) is
        also keyed by the row's `key` value: two persons called Hossain get different
        pseudonyms, or the shared ones would group families and betray common names by
        their frequency; each keeps the same one from export to export."""
        record = row.get(key, "") if key else ""
        return {
            code: self.pseudonym(
                columns[code],
                f"{record}\x00{value}" if value and columns[code] in PER_RECORD else value,
            )
            if code in columns
            else value
            for code, value in row.items()
        }
