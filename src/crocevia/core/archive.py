"""Password-protected archives for exports that leave the building (issue 7).

A ZIP with AES-256 encryption (WinZip AE-2, via pyzipper): 7-Zip, WinRAR, PeaZip and the
archive tools of recent Windows and macOS open it with the password. The classic ZipCrypto
of plain `zipfile` is not used: it is broken. File names inside the archive are not
encrypted (the ZIP format's limit), so they must not carry personal data: ours are
`persone-2026-11-22.csv` and the like.
"""

import shutil
from collections.abc import Iterable
from typing import BinaryIO

import pyzipper
from django.utils.translation import gettext as _

MIN_PASSWORD_LENGTH = 12


class WeakPassword(ValueError):
    pass


def check_archive_password(password: str) -> None:
    """Raise WeakPassword (message in the active language) for a password too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            _("The archive password must be at least %(n)d characters long.")
            % {"n": MIN_PASSWORD_LENGTH}
        )
    if len(set(password)) < 5:
        raise WeakPassword(_("The archive password repeats too few different characters."))


def write_protected_zip(
    target: BinaryIO, members: Iterable[tuple[str, BinaryIO]], password: str
) -> None:
    """Write `members` (archive name, readable binary stream) into `target`, encrypted."""
    check_archive_password(password)
    with pyzipper.AESZipFile(
        target, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        for name, stream in members:
            with archive.open(name, "w") as entry:
                shutil.copyfileobj(stream, entry, 1024 * 1024)


def read_protected_zip(source: BinaryIO, password: str) -> dict[str, bytes]:
    """{name: content} of an archive written by write_protected_zip (for tests and checks)."""
    with pyzipper.AESZipFile(source) as archive:
        archive.setpassword(password.encode("utf-8"))
        return {name: archive.read(name) for name in archive.namelist()}
