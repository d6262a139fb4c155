"""Files the commands write (whole or not at all) and ZIP-based files users send (checked
before anything unpacks them)."""

import os
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _


@contextmanager
def atomic_output(path: str, *, private: bool = False) -> Iterator[BinaryIO]:
    """A binary stream whose content lands at `path` only if the block ends normally.

    It writes a temporary file beside `path` and renames it over `path`, so a failure
    (a full disk, an error half-way) never leaves a partial file where a reader would find
    it. private=True keeps the file readable by its owner only (personal data); otherwise
    it gets the mode `open` would have given it. OSError goes to the caller.
    """
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        if not private:  # mkstemp made it 0600
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# --- ZIP-based files from users (XLSX, DOCX, ODT): refused before anything unpacks them -------

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
# A member this small is not held to the ratio: a few kilobytes of repeated XML (an empty
# style sheet) may compress a thousand times and harm no one.
RATIO_FLOOR_BYTES = 1024 * 1024
# Generous size of one entry of a central directory (46 bytes and a name of a few dozen).
DIRECTORY_ENTRY_BYTES = 1024


class UnsafeArchive(Exception):
    """A ZIP whose central directory declares more than the limits allow (a bomb)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ZipLimits:
    """What a user's ZIP may declare: members, total and per-member uncompressed bytes,
    and the ratio of a member's uncompressed to compressed size."""

    max_members: int
    max_total_bytes: int
    max_member_bytes: int
    max_ratio: int


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _megabytes(size: int) -> str:
    return _thousands(round(size / (1024 * 1024))) + " MB"


def _central_directory(stream: BinaryIO) -> tuple[int, int] | None:
    """(members, bytes) of the central directory as the end record declares them (ZIP64
    too), read from the file's tail: None when there is no such record (not a ZIP)."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - _EOCD_SIZE - _MAX_COMMENT))
    tail = stream.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return None
    count, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
    locator = at - 20
    if locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:
        (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        stream.seek(offset)
        record = stream.read(56)
        if len(record) < 56 or record[:4] != _ZIP64_EOCD:
            return None
        count, directory = struct.unpack("<QQ", record[32:48])
    return count, directory


def check_zip(source, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """The members of the ZIP `source` (a path or a seekable binary file), if its central
    directory declares nothing beyond `limits`; UnsafeArchive (with an Italian message)
    otherwise, zipfile.BadZipFile if it is no ZIP.

    Nothing is decompressed: the sizes are those the archive declares, and Python's
    zipfile never gives more than the declared size of a member (it stops there and fails
    the CRC), so whatever reads the members through zipfile afterwards (openpyxl does)
    reads no more than was checked here. The member count is read from the end record
    before zipfile builds its list, so a directory of millions of entries costs nothing.
    """
    own = not hasattr(source, "read")
    stream = open(source, "rb") if own else source  # noqa: SIM115 (closed below)
    position = None if own else stream.tell()
    try:
        declared = _central_directory(stream)
        if declared is None:
            raise zipfile.BadZipFile("no end of central directory record")
        count, directory = declared
        # zipfile reads the whole directory whatever count it declares: its size too.
        if count > limits.max_members or directory > limits.max_members * DIRECTORY_ENTRY_BYTES:
            raise UnsafeArchive(
                _("The archive holds %(count)s files, at most %(max)s are allowed.")
                % {
                    "count": _thousands(max(count, directory // DIRECTORY_ENTRY_BYTES)),
                    "max": limits.max_members,
                },
                code="zip_members",
            )
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    finally:
        if own:
            stream.close()
        else:
            stream.seek(position)
    if len(members) > limits.max_members:
        raise UnsafeArchive(
            _("The archive holds %(count)s files, at most %(max)s are allowed.")
            % {"count": len(members), "max": limits.max_members},
            code="zip_members",
        )
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if total > limits.max_total_bytes:
            raise UnsafeArchive(
                _("The file is more than %(max)s once uncompressed.")
                % {"max": _megabytes(limits.max_total_bytes)},
                code="zip_total_size",
            )
        if size > limits.max_member_bytes:
            raise UnsafeArchive(
                _(
                    "The part %(name)s of the file is %(size)s once uncompressed, "
                    "at most %(max)s are allowed."
                )
                % {
                    "name": member.filename[:100],
                    "size": _megabytes(size),
                    "max": _megabytes(limits.max_member_bytes),
                },
                code="zip_member_size",
            )
        if size > RATIO_FLOOR_BYTES and size > limits.max_ratio * max(member.compress_size, 1):
            raise UnsafeArchive(
                _(
                    "The part %(name)s of the file grows %(ratio)s times when uncompressed, "
                    "at most %(max)s times is allowed: it looks like a decompression bomb."
                )
                % {
                    "name": member.filename[:100],
                    "ratio": _thousands(size // max(member.compress_size, 1)),
                    "max": limits.max_ratio,
                },
                code="zip_ratio",
            )
    return members
