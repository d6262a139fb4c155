"""Files the commands write: whole or not at all."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO


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
