"""Files kept in the database: the default storage (settings.STORAGES["default"]).

With it the database is the whole state, as the README promises: one backup holds the
records and their files, and any app server serves any file. A file is a StoredFile row
and its content StoredFileChunk rows of `chunk_size` bytes (1 MiB by default,
CROCEVIA_FILE_CHUNK_BYTES), written one chunk at a time in one transaction and read one
chunk at a time, so neither a write nor a read holds a whole file in memory, and no row
is larger than a chunk.

The files have no URL: each reaches a browser only through a view that checks who asks
and streams it (`url()` raises).

Works on SQLite and PostgreSQL (a BLOB, a bytea: TOAST keeps 1 MiB values out of line).
"""

import io
import mimetypes

import psycopg
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, connections, router, transaction
from django.utils.deconstruct import deconstructible

from .models import StoredFile, StoredFileChunk

DEFAULT_CHUNK_BYTES = 1024 * 1024


class PrivateFileError(ValueError):
    """A stored file was asked for a URL: files are private, served by checking views."""


@deconstructible(path="crocevia.core.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """A Django storage whose files live in the database, chunked.

    `chunk_size` (bytes) is read from CROCEVIA_FILE_CHUNK_BYTES when not given, at each
    save (tests set it small); a file keeps the chunk size it was written with.
    `using` names the database alias; by default the router's write database, for reads
    too: a file just saved must be readable at once, never from a lagging replica.
    """

    def __init__(self, chunk_size: int | None = None, using: str | None = None):
        self._chunk_size = chunk_size
        self._using = using

    # --- settings read on use ---------------------------------------------------------

    @property
    def chunk_size(self) -> int:
        size = self._chunk_size or getattr(
            settings, "CROCEVIA_FILE_CHUNK_BYTES", DEFAULT_CHUNK_BYTES
        )
        if size < 1:
            raise ValueError("The chunk size of the database storage must be positive.")
        return int(size)

    @property
    def db(self) -> str:
        return self._using or router.db_for_write(StoredFile)

    def _files(self):
        return StoredFile.objects.using(self.db)

    # --- writing ----------------------------------------------------------------------

    def _save(self, name, content):
        chunk_size = self.chunk_size
        content_type = mimetypes.guess_type(name)[0] or ""
        with transaction.atomic(using=self.db):
            row = self._create_row(name, chunk_size=chunk_size, content_type=content_type)
            if hasattr(content, "seek") and (
                not hasattr(content, "seekable") or content.seekable()
            ):
                content.seek(0)
            size = 0
            for index, data in enumerate(_exact_chunks(content, chunk_size)):
                _insert_chunk(self.db, row.pk, index, data)
                size += len(data)
            # .update(): no second full save of the row, and modified_at stays the moment
            # the file was written.
            self._files().filter(pk=row.pk).update(size=size)
        return row.name

    def _create_row(self, name, *, chunk_size, content_type):
        """The file's row under `name`, or under another free name when `name` was taken
        between get_available_name() and here (two uploads at once)."""
        for _attempt in range(100):
            try:
                with transaction.atomic(using=self.db):  # a savepoint: the error is harmless
                    return self._files().create(
                        name=name, size=0, chunk_size=chunk_size, content_type=content_type
                    )
            except IntegrityError:
                if not self.exists(name):
                    raise
                name = self.get_available_name(name)
        raise IntegrityError(f"No free name for {name!r}.")

    # --- reading ----------------------------------------------------------------------

    def _open(self, name, mode="rb"):
        if any(flag in mode for flag in "wax+"):
            raise ValueError("The database storage opens files for reading only.")
        row = self._row(name)
        raw = ChunkReader(file_id=row.pk, size=row.size, chunk_size=row.chunk_size, using=self.db)
        if "b" in mode:
            return File(raw, name=name)
        return File(io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8"), name=name)

    def _row(self, name) -> StoredFile:
        try:
            return self._files().get(name=name)
        except StoredFile.DoesNotExist:
            raise FileNotFoundError(f"No stored file named {name!r}.") from None

    # --- the rest of the Storage API --------------------------------------------------

    def delete(self, name):
        if not name:
            raise ValueError("The name must be given to delete().")
        # The chunks go by one DELETE ... WHERE file_id IN (...) (the collector's fast
        # delete: nobody listens to their delete signals), never loaded into memory.
        self._files().filter(name=name).delete()

    def exists(self, name):
        return self._files().filter(name=name).exists()

    def listdir(self, path):
        prefix = str(path or "").strip("/")
        prefix = f"{prefix}/" if prefix else ""
        directories, files = set(), []
        names = self._files().filter(name__startswith=prefix).values_list("name", flat=True)
        for name in names.iterator():
            if not name.startswith(prefix):  # LIKE ignores case on SQLite
                continue
            head, slash, _tail = name[len(prefix) :].partition("/")
            if slash:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), sorted(files)

    def size(self, name):
        return self._row(name).size

    def url(self, name):
        raise PrivateFileError("Stored files are private: serve them through a view.")

    def get_accessed_time(self, name):
        return self._row(name).modified_at

    def get_created_time(self, name):
        return self._row(name).created_at

    def get_modified_time(self, name):
        return self._row(name).modified_at


def _exact_chunks(content, chunk_size: int):
    """`content` in pieces of exactly `chunk_size` bytes (the last one shorter), however
    the object yields them (an upload in memory yields itself whole)."""
    read = getattr(content, "read", None)
    if read is not None:
        while True:
            data = read(chunk_size)
            if not data:
                return
            if isinstance(data, str):
                data = data.encode()
            while len(data) < chunk_size:  # a short read is not the end of a stream
                more = read(chunk_size - len(data))
                if not more:
                    break
                data += more.encode() if isinstance(more, str) else more
            yield bytes(data)
    else:  # an iterable of bytes
        pending = bytearray()
        for piece in content:
            pending += piece
            while len(pending) >= chunk_size:
                yield bytes(pending[:chunk_size])
                del pending[:chunk_size]
        if pending:
            yield bytes(pending)


# --- one chunk in, one chunk out ---------------------------------------------------------
# On PostgreSQL Django binds parameters on the client: a chunk would travel as hex text
# inside the SQL. A psycopg cursor that binds on the server, on Django's connection and in
# its transaction (as bulkdb.py takes the psycopg cursor), sends and receives it as
# binary. Measured for 50 chunks of 1 MiB: written in 2.7 s with 7 MiB at the peak through
# the ORM, 0.65 s and 2 MiB this way; read in 0.62 s against 0.18 s. Django's query
# counting does not see these statements.

_CHUNK_TABLE = StoredFileChunk._meta.db_table
# Our own table's name, no input: S608 does not apply.
_INSERT = f'INSERT INTO "{_CHUNK_TABLE}" ("file_id", "index", "data") VALUES (%s, %s, %b)'  # noqa: S608
_SELECT = f'SELECT "data" FROM "{_CHUNK_TABLE}" WHERE "file_id" = %s AND "index" = %s'  # noqa: S608


def _insert_chunk(using: str, file_id: int, index: int, data: bytes) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        StoredFileChunk.objects.using(using).create(file_id=file_id, index=index, data=data)
        return
    with connection.cursor() as wrapper, psycopg.Cursor(wrapper.cursor.connection) as cursor:
        cursor.execute(_INSERT, [file_id, index, data])


def _fetch_chunk(using: str, file_id: int, index: int) -> bytes | None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        data = (
            StoredFileChunk.objects.using(using)
            .filter(file_id=file_id, index=index)
            .values_list("data", flat=True)
            .first()
        )
        return None if data is None else bytes(data)
    with connection.cursor() as wrapper, psycopg.Cursor(wrapper.cursor.connection) as cursor:
        cursor.execute(_SELECT, [file_id, index], binary=True)
        row = cursor.fetchone()
    return None if row is None else row[0]


class ChunkReader(io.RawIOBase):
    """A read-only, seekable stream over a stored file's chunks, holding one chunk at a
    time (fetched by its index when the position reaches it)."""

    def __init__(self, *, file_id: int, size: int, chunk_size: int, using: str):
        super().__init__()
        self._file_id = file_id
        self._size = size
        self._chunk_size = chunk_size
        self._using = using
        self._position = 0
        self._index: int | None = None
        self._chunk = memoryview(b"")

    @property
    def size(self) -> int:
        return self._size

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._size + offset
        else:
            raise ValueError(f"Invalid whence ({whence!r}).")
        if position < 0:
            raise ValueError(f"Negative seek position {position}.")
        self._position = position
        return position

    def readinto(self, buffer):
        # Fills the whole buffer unless the file ends first (across chunks): read(n) gives
        # n bytes as a regular file does, never a short read mid-file.
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self._size:
            index, start = divmod(self._position, self._chunk_size)
            chunk = self._load(index)
            count = min(len(view) - done, len(chunk) - start, self._size - self._position)
            if count <= 0:
                raise OSError(f"Stored file {self._file_id} is shorter than its size.")
            view[done : done + count] = chunk[start : start + count]
            done += count
            self._position += count
        return done

    def readall(self):
        # Whole chunks at a time, not the default 8 KiB reads.
        parts = []
        while data := self.read(self._chunk_size):
            parts.append(data)
        return b"".join(parts)

    def _load(self, index: int) -> memoryview:
        if index != self._index:
            self._chunk = memoryview(b"")  # let the previous chunk go first
            data = _fetch_chunk(self._using, self._file_id, index)
            if data is None:
                raise OSError(f"Stored file {self._file_id} was deleted or is missing a chunk.")
            self._chunk = memoryview(data)
            self._index = index
        return self._chunk

    def close(self):
        self._chunk = memoryview(b"")
        self._index = None
        super().close()
