"""Agreement documents in the file storage (issue 20): the database by default, an S3
bucket as the option; never on an app server's disk. The documents of an older
installation (VAR_DIR/agreements/) are copied in by migration 0004."""

import importlib
import logging

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from crocevia.core.models import StoredFile
from crocevia.network.models import Agreement
from crocevia.network.services import PartySpec, agreement_update

from .helpers import PDF_BYTES, make_agreement

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module(
    "crocevia.network.migrations.0004_agreement_documents_in_storage"
)


def _download(client, agreement) -> bytes:
    response = client.get(reverse("network:agreement_document", args=[agreement.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_document_of_many_chunks_downloads_byte_for_byte(actors, login, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.CROCEVIA_FILE_CHUNK_BYTES = 4096
    content = PDF_BYTES + bytes(range(256)) * 200  # 51 KiB: 13 chunks
    agreement = make_agreement(
        [actors.sds, actors.other_org],
        actor=actors.coordinator,
        document=SimpleUploadedFile("firmata.pdf", content),
        shared_parts=(),
    )
    stored = StoredFile.objects.get(name=agreement.document.name)
    assert stored.size == len(content) and stored.chunks.count() == 13
    response = login(actors.coordinator).get(
        reverse("network:agreement_document", args=[agreement.pk])
    )
    assert response["Content-Length"] == str(len(content))
    assert b"".join(response.streaming_content) == content
    assert not any(tmp_path.iterdir())  # nothing on this server's disk


def test_an_agreement_rolled_back_leaves_no_document(actors):
    with pytest.raises(RuntimeError), transaction.atomic():
        agreement = make_agreement(
            [actors.sds, actors.other_org],
            actor=actors.coordinator,
            document=SimpleUploadedFile("firmata.pdf", PDF_BYTES),
            shared_parts=(),
        )
        assert default_storage.exists(agreement.document.name)
        raise RuntimeError("the caller's transaction fails after the record")
    assert not Agreement.objects.exists()
    assert not StoredFile.objects.exists()


def test_the_migration_copies_the_old_documents_into_the_storage_and_leaves_the_files(
    actors, login, settings, tmp_path, caplog
):
    settings.VAR_DIR = tmp_path
    old = tmp_path / "agreements"
    old.mkdir()
    (old / "0a1b2c.pdf").write_bytes(PDF_BYTES)
    agreement = make_agreement([actors.sds, actors.other_org], shared_parts=())
    lost = make_agreement([actors.sds, actors.other_org], title="Senza file", shared_parts=())
    Agreement.objects.filter(pk=agreement.pk).update(
        document="0a1b2c.pdf", document_name="convenzione.pdf"
    )
    Agreement.objects.filter(pk=lost.pk).update(document="gone.pdf")

    from django.apps import apps

    with caplog.at_level(logging.WARNING, logger="crocevia.network.migrations"):
        MIGRATION.copy_documents_into_storage(apps, None)
        MIGRATION.copy_documents_into_storage(apps, None)  # again: nothing more to do

    agreement.refresh_from_db()
    assert agreement.document.name == "agreements/0a1b2c.pdf"
    assert default_storage.open(agreement.document.name).read() == PDF_BYTES
    assert _download(login(actors.coordinator), agreement) == PDF_BYTES
    assert (old / "0a1b2c.pdf").read_bytes() == PDF_BYTES  # left there, and logged
    assert StoredFile.objects.count() == 1
    lost.refresh_from_db()
    assert lost.document.name == "gone.pdf"
    messages = [r.getMessage() for r in caplog.records]
    assert sum("Copied 1 agreement document" in m for m in messages) == 1
    assert any("gone.pdf" in m and "not found" in m for m in messages)


# --- the S3 option, against moto's in-process S3 -------------------------------------------


@pytest.fixture
def s3_storage(settings, monkeypatch):
    pytest.importorskip("storages.backends.s3")
    moto = pytest.importorskip("moto")
    import boto3

    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-south-1",
    }.items():
        monkeypatch.setenv(variable, value)
    with moto.mock_aws():
        client = boto3.client("s3", region_name="eu-south-1")
        client.create_bucket(
            Bucket="crocevia-files",
            CreateBucketConfiguration={"LocationConstraint": "eu-south-1"},
        )
        # What settings.py builds from CROCEVIA_FILE_STORAGE=s3 (core/tests/test_settings).
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "crocevia-files",
                    "region_name": "eu-south-1",
                    "default_acl": "private",
                    "querystring_auth": True,
                    "file_overwrite": False,
                    "max_memory_size": 2 * 1024 * 1024,
                },
            },
        }
        yield client


def test_with_s3_a_document_is_saved_downloaded_and_deleted_in_the_bucket(
    actors, login, s3_storage, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    agreement = make_agreement(
        [actors.sds, actors.other_org],
        actor=actors.coordinator,
        document=SimpleUploadedFile("firmata.pdf", PDF_BYTES),
        shared_parts=(),
    )
    name = agreement.document.name
    keys = [o["Key"] for o in s3_storage.list_objects_v2(Bucket="crocevia-files")["Contents"]]
    assert keys == [name] and name.startswith("agreements/")
    assert not StoredFile.objects.exists()  # not in the database
    acl = s3_storage.get_object_acl(Bucket="crocevia-files", Key=name)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]  # the owner only
    assert _download(login(actors.coordinator), agreement) == PDF_BYTES

    with django_capture_on_commit_callbacks(execute=True):
        agreement_update(
            actor=actors.coordinator,
            agreement=agreement,
            title=agreement.title,
            kind=agreement.kind,
            signed_on=agreement.signed_on,
            valid_from=agreement.valid_from,
            parties=[
                PartySpec(p.organisation, role=p.role, amount=p.amount)
                for p in agreement.parties.all()
            ],
            remove_document=True,
        )
    assert "Contents" not in s3_storage.list_objects_v2(Bucket="crocevia-files")
    assert not any(tmp_path.iterdir())
