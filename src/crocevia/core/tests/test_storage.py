"""The database file storage (core/storage.py): files in chunks, in the transaction."""

import hashlib
import io
import os
import tempfile
import tracemalloc

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crocevia.core.models import StoredFile, StoredFileChunk
from crocevia.core.storage import DatabaseStorage

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


@pytest.fixture
def storage(settings):
    settings.CROCEVIA_FILE_CHUNK_BYTES = 1000
    return DatabaseStorage()


def _bytes(count: int, seed: int = 0) -> bytes:
    return bytes((i * 31 + seed) % 251 for i in range(count))


def test_the_default_storage_is_the_database():
    assert isinstance(storages["default"], DatabaseStorage)
    assert default_storage.exists("nothing") is False  # the lazy object reaches it


def test_a_file_of_several_chunks_comes_back_byte_for_byte(storage):
    data = _bytes(3500)
    name = storage.save("docs/contract.pdf", ContentFile(data))
    assert name == "docs/contract.pdf"
    row = StoredFile.objects.get(name=name)
    assert (row.size, row.chunk_size, row.content_type) == (3500, 1000, "application/pdf")
    chunks = list(row.chunks.order_by("index").values_list("index", "data"))
    assert [index for index, _ in chunks] == [0, 1, 2, 3]
    assert [len(bytes(piece)) for _, piece in chunks] == [1000, 1000, 1000, 500]
    with storage.open(name) as handle:
        assert handle.size == 3500
        assert handle.read() == data
    with storage.open(name) as handle:  # pieces across chunk boundaries, and seeking
        assert handle.read(999) == data[:999]
        assert handle.read(2) == data[999:1001]
        handle.seek(2990)
        assert handle.read(20) == data[2990:3010]
        handle.seek(-5, io.SEEK_END)
        assert handle.read() == data[-5:]
        assert handle.read(10) == b""
    with storage.open(name) as handle:
        assert b"".join(handle.chunks(chunk_size=700)) == data


def test_an_empty_file_and_a_text_file_are_kept_too(storage):
    empty = storage.save("empty.bin", ContentFile(b""))
    assert storage.size(empty) == 0
    assert storage.open(empty).read() == b""
    text = storage.save("note.txt", ContentFile("perché sì\n"))
    assert storage.open(text, "r").read() == "perché sì\n"


def test_exists_size_times_listdir_and_delete(storage):
    before = timezone.now()
    storage.save("agreements/a.pdf", ContentFile(b"a" * 10))
    storage.save("agreements/b.pdf", ContentFile(b"b" * 2500))
    storage.save("agreements/old/c.pdf", ContentFile(b"c"))
    storage.save("Agreements/upper.pdf", ContentFile(b"u"))
    storage.save("top.txt", ContentFile(b"t"))
    assert storage.exists("agreements/b.pdf") and not storage.exists("agreements/z.pdf")
    assert storage.size("agreements/b.pdf") == 2500
    assert storage.get_modified_time("agreements/a.pdf") >= before
    assert storage.get_created_time("agreements/a.pdf").tzinfo is not None
    assert storage.listdir("agreements") == (["old"], ["a.pdf", "b.pdf"])
    assert storage.listdir("agreements/") == (["old"], ["a.pdf", "b.pdf"])
    assert storage.listdir("") == (["Agreements", "agreements"], ["top.txt"])

    # The chunks go with one DELETE: their data is never read back to delete them.
    with CaptureQueriesContext(connection) as queries:
        storage.delete("agreements/b.pdf")
    assert not any(
        q["sql"].lstrip().upper().startswith("SELECT") and "storedfilechunk" in q["sql"]
        for q in queries
    )
    assert not storage.exists("agreements/b.pdf")
    assert not StoredFileChunk.objects.filter(file__name="agreements/b.pdf").exists()
    storage.delete("agreements/b.pdf")  # deleting what is not there is no error
    with pytest.raises(FileNotFoundError):
        storage.open("agreements/b.pdf")
    with pytest.raises(FileNotFoundError):
        storage.size("agreements/b.pdf")


def test_a_taken_name_gets_another_and_both_files_stay(storage):
    first = storage.save("agreements/x.pdf", ContentFile(b"first"))
    second = storage.save("agreements/x.pdf", ContentFile(b"second"))
    assert first == "agreements/x.pdf"
    assert second != first and second.startswith("agreements/x_") and second.endswith(".pdf")
    assert storage.open(first).read() == b"first"
    assert storage.open(second).read() == b"second"


def test_a_name_taken_between_the_check_and_the_write_gets_another(storage):
    # Two uploads at once: both found the name free; the second write must not fail.
    storage.save("race.pdf", ContentFile(b"one"))
    other = storage._save("race.pdf", ContentFile(b"two"))
    assert other != "race.pdf"
    assert storage.open(other).read() == b"two"
    assert storage.open("race.pdf").read() == b"one"


def test_a_save_in_a_transaction_that_rolls_back_leaves_nothing(storage):
    with pytest.raises(RuntimeError), transaction.atomic():
        name = storage.save("agreements/rolled-back.pdf", ContentFile(_bytes(2500)))
        assert storage.exists(name)
        raise RuntimeError("the record was refused")
    assert not storage.exists(name)
    assert not StoredFile.objects.exists()
    assert not StoredFileChunk.objects.exists()


def test_files_have_no_url_and_are_never_opened_for_writing(storage):
    name = storage.save("private.pdf", ContentFile(b"x"))
    with pytest.raises(ValueError):
        storage.url(name)
    for mode in ("wb", "ab", "r+b"):
        with pytest.raises(ValueError):
            storage.open(name, mode)


def test_the_storage_deconstructs_for_migrations():
    assert DatabaseStorage().deconstruct() == ("crocevia.core.storage.DatabaseStorage", (), {})


def test_writing_and_reading_8_mb_holds_far_less_than_the_file_in_memory(settings):
    settings.CROCEVIA_FILE_CHUNK_BYTES = MIB
    storage = DatabaseStorage()
    size = 8 * MIB
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile() as source:
        for i in range(8):
            block = os.urandom(MIB) if i % 2 else bytes([i]) * MIB
            digest.update(block)
            source.write(block)
        source.flush()
        source.seek(0)
        tracemalloc.start()
        try:
            name = storage.save("big.bin", File(source, name="big.bin"))
            _, write_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            read = hashlib.sha256()
            with storage.open(name) as handle:
                for piece in handle.chunks():
                    read.update(piece)
            _, read_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert read.hexdigest() == digest.hexdigest()
    assert storage.size(name) == size
    assert StoredFileChunk.objects.filter(file__name=name).count() == 8
    # A chunk or two at a time, never the whole file.
    assert write_peak < 4 * MIB, write_peak
    assert read_peak < 4 * MIB, read_peak
