"""A prepared file: asked in a request, written by the worker, downloaded by its user only,
written whole even when a worker is killed half-way, and removed after a day.

The producers here are the tests' own (registered below), so the app is tested without
any domain; the exports and reports that use it are tested in their apps."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from crocevia.downloads import producing, tasks
from crocevia.downloads.models import PreparedFile
from crocevia.downloads.producers import Refused, register
from crocevia.downloads.services import prepare_file
from crocevia.testing import run_queued_jobs

pytestmark = pytest.mark.django_db

CONTENT = b"line of the file\n" * 1000


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing of the worker's handles it."""


def _echo(*, user, out, lines: int = 1000, refuse: str = "", crash: bool = False):
    """The tests' producer: `lines` lines, or a refusal, or an unexpected error."""
    if refuse:
        raise Refused(refuse)
    if crash:
        raise RuntimeError("the producer broke")
    out.write(b"line of the file\n" * lines)


register("tests.echo", _echo)


def it(msgid: str) -> str:
    with translation.override("it"):
        return gettext(msgid)


def _ask(user, **kwargs) -> PreparedFile:
    return prepare_file(
        user=user,
        title="Esportazione di prova",
        file_name="prova.txt",
        content_type="text/plain",
        producer="tests.echo",
        kwargs=kwargs,
    )


def _page(prepared) -> str:
    return reverse("downloads:file", args=[prepared.pk])


def _download(prepared) -> str:
    return reverse("downloads:download", args=[prepared.pk])


def _stored(prepared) -> list[str]:
    try:
        return sorted(default_storage.listdir(producing.storage_directory(prepared))[1])
    except FileNotFoundError:
        return []


# --- asking, waiting, downloading --------------------------------------------------------


def test_the_page_waits_for_the_worker_then_offers_the_download(actors, login):
    prepared = _ask(actors.coordinator)
    client = login(actors.coordinator)
    waiting = client.get(_page(prepared))
    assert waiting.status_code == 200
    content = waiting.content.decode()
    assert it("Your file is being prepared…") in content
    assert f'hx-get="{_page(prepared)}"' in content and 'hx-trigger="every 2s"' in content
    assert _download(prepared) not in content
    assert waiting["Cache-Control"] == "no-store"

    assert run_queued_jobs() == 1
    # The poll gets the state box only, now without polling and with the button.
    poll = client.get(_page(prepared), headers={"HX-Request": "true"})
    box = poll.content.decode()
    assert "<html" not in box and 'id="prepared-status"' in box
    assert "hx-trigger" not in box and _download(prepared) in box

    response = client.get(_download(prepared))
    assert response.status_code == 200
    assert response.getvalue() == CONTENT
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="prova.txt"'
    assert response["Cache-Control"] == "no-store"
    prepared.refresh_from_db()
    assert prepared.status == PreparedFile.Status.READY
    assert prepared.size == len(CONTENT) and prepared.attempts == 1
    assert prepared.expires_at == prepared.created_at + producing.LIFETIME
    assert prepared.storage_name == f"downloads/{prepared.pk}/prova.txt"


def test_the_queue_keeps_the_rows_id_only(actors):
    prepared = _ask(actors.coordinator, lines=3)
    job = DBTaskResult.objects.get(id=prepared.job_id)
    assert job.task_path == "crocevia.downloads.tasks.produce"
    assert job.args_kwargs == {"args": [prepared.pk], "kwargs": {}}


def test_nobody_but_its_user_sees_the_page_or_downloads_the_file(actors, login, client):
    prepared = _ask(actors.coordinator)
    run_queued_jobs()
    for other in (actors.admin, actors.outsider, actors.social_worker):
        other_client = login(other)
        assert other_client.get(_page(prepared)).status_code == 404
        assert other_client.get(_download(prepared)).status_code == 404
        assert prepared.title not in other_client.get(reverse("downloads:list")).content.decode()
    client.logout()
    response = client.get(_download(prepared))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_list_shows_the_users_own_files(actors, login):
    mine = _ask(actors.coordinator)
    _ask(actors.admin)
    response = login(actors.coordinator).get(reverse("downloads:list"))
    assert response.status_code == 200
    assert list(response.context["files"]) == [mine]
    assert _page(mine) in response.content.decode()


def test_a_download_asked_before_the_file_is_ready_leads_to_its_page(actors, login):
    prepared = _ask(actors.coordinator)
    response = login(actors.coordinator).get(_download(prepared))
    assert response.status_code == 302 and response["Location"] == _page(prepared)


# --- failures ------------------------------------------------------------------------------


def test_a_refused_file_fails_with_the_producers_message_and_stores_nothing(actors, login):
    prepared = _ask(actors.coordinator, refuse="Non puoi più avere questi dati.")
    assert run_queued_jobs() == 1
    prepared.refresh_from_db()
    assert prepared.status == PreparedFile.Status.FAILED
    assert prepared.error == "Non puoi più avere questi dati."
    assert _stored(prepared) == []
    # The job itself did its work: it decided the file is not for the user.
    assert DBTaskResult.objects.get(id=prepared.job_id).status == "SUCCESSFUL"
    content = login(actors.coordinator).get(_page(prepared)).content.decode()
    assert "Non puoi più avere questi dati." in content
    assert it("The file could not be prepared.") in content


def test_an_unexpected_error_fails_the_file_and_its_job(actors, login):
    prepared = _ask(actors.coordinator, crash=True)
    run_queued_jobs()
    prepared.refresh_from_db()
    assert prepared.status == PreparedFile.Status.FAILED
    with translation.override("it"):
        assert prepared.error == producing.failure_message()
    job = DBTaskResult.objects.get(id=prepared.job_id)
    assert job.status == "FAILED" and "the producer broke" in job.traceback


def test_a_user_no_longer_active_gets_no_file(actors):
    prepared = _ask(actors.coordinator)
    actors.coordinator.is_active = False
    actors.coordinator.save(update_fields=["is_active"])
    run_queued_jobs()
    prepared.refresh_from_db()
    assert prepared.status == PreparedFile.Status.FAILED and _stored(prepared) == []


def test_the_page_stops_waiting_when_the_queue_gave_the_job_up(actors, login):
    """A job killed again and again is failed by the worker's sweep (crocevia.jobs), which
    does not know the row: the page reads the job's state and says the file failed."""
    prepared = _ask(actors.coordinator)
    DBTaskResult.objects.filter(id=prepared.job_id).update(status="FAILED")
    content = login(actors.coordinator).get(_page(prepared)).content.decode()
    assert "hx-trigger" not in content
    assert it("The file could not be prepared.") in content
    prepared.refresh_from_db()
    assert prepared.status == PreparedFile.Status.FAILED


def test_an_unknown_producer_or_a_path_as_file_name_is_refused_when_asked(actors):
    with pytest.raises(KeyError):
        prepare_file(
            user=actors.admin,
            title="x",
            file_name="x.txt",
            content_type="text/plain",
            producer="tests.nobody",
            kwargs={},
        )
    for name in ("../x.txt", "a/b.txt", ".hidden", ""):
        with pytest.raises(ValueError):
            prepare_file(
                user=actors.admin,
                title="x",
                file_name=name,
                content_type="text/plain",
                producer="tests.echo",
                kwargs={},
            )
    assert not PreparedFile.objects.exists()


# --- a worker killed half-way ----------------------------------------------------------------


class _DiesWhileSaving:
    """The default storage, but the first save writes half the file and the worker dies."""

    def __init__(self):
        self.died = False

    def __getattr__(self, name):
        return getattr(default_storage, name)

    def save(self, name, content):
        if self.died:
            return default_storage.save(name, content)
        self.died = True
        data = content.read()
        half = data[: len(data) // 2]
        default_storage.save(name, ContentFile(half))
        # An earlier attempt may even have left a second name beside it.
        default_storage.save(name.replace("prova", "prova_x7Qz"), ContentFile(half))
        raise Killed


def test_a_job_run_again_after_the_worker_died_writes_the_file_once_and_whole(
    actors, login, monkeypatch
):
    prepared = _ask(actors.coordinator)
    monkeypatch.setattr(producing, "default_storage", _DiesWhileSaving())
    with pytest.raises(Killed):
        tasks.produce.call(prepared.pk)
    prepared.refresh_from_db()
    assert prepared.status == PreparedFile.Status.RUNNING  # as a SIGKILL leaves it
    assert len(_stored(prepared)) == 2  # half a file, twice
    assert login(actors.coordinator).get(_download(prepared)).status_code == 302  # not yet

    # The sweep puts the job back; the worker runs it again.
    assert tasks.produce.call(prepared.pk) == "ready"
    prepared.refresh_from_db()
    assert (prepared.status, prepared.attempts) == (PreparedFile.Status.READY, 2)
    assert _stored(prepared) == ["prova.txt"]
    assert login(actors.coordinator).get(_download(prepared)).getvalue() == CONTENT
    # A third run (the job delivered twice) changes nothing.
    assert tasks.produce.call(prepared.pk) == "skipped"
    assert _stored(prepared) == ["prova.txt"]


def test_an_attempt_overtaken_by_another_keeps_nothing(actors, monkeypatch):
    """Two attempts of one job (a worker thought dead that was not): only the one holding
    the row's latest claim finishes it."""
    prepared = _ask(actors.coordinator)
    overtaken = []

    def _claim_again(*, user, out, **kwargs):
        # While this attempt writes, another claims the row and finishes first.
        if not overtaken:
            overtaken.append(True)
            assert producing.produce_file(prepared.pk) == "ready"
        _echo(user=user, out=out, **kwargs)

    register("tests.overtaken", _claim_again)
    PreparedFile.objects.filter(pk=prepared.pk).update(producer="tests.overtaken")
    assert producing.produce_file(prepared.pk) == "gone"
    prepared.refresh_from_db()
    assert prepared.status == PreparedFile.Status.READY and prepared.attempts == 2
    assert _stored(prepared) == ["prova.txt"]
    with default_storage.open(prepared.storage_name) as stream:
        assert stream.read() == CONTENT


# --- expiry --------------------------------------------------------------------------------


def test_expiry_removes_the_files_of_yesterday_from_the_storage(actors, login):
    old = _ask(actors.coordinator)
    new = _ask(actors.coordinator)
    run_queued_jobs()
    PreparedFile.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert _stored(old) == ["prova.txt"]

    assert tasks.expire_prepared_files.call() == {"expired": 1, "deleted": 0}
    old.refresh_from_db()
    assert old.status == PreparedFile.Status.EXPIRED and old.storage_name == ""
    assert _stored(old) == [] and _stored(new) == ["prova.txt"]
    client = login(actors.coordinator)
    assert it("This file is no longer kept: ask for it again.") in (
        client.get(_page(old)).content.decode()
    )
    assert client.get(_download(old))["Location"] == _page(old)
    assert client.get(_download(new)).getvalue() == CONTENT
    # Run again: nothing more to do. A week on, the row goes too.
    assert tasks.expire_prepared_files.call() == {"expired": 0, "deleted": 0}
    later = timezone.now() + producing.ROWS_KEPT
    assert producing.expire_files(now=later) == {"expired": 1, "deleted": 1}
    assert list(PreparedFile.objects.all()) == [new]


def test_expiry_gives_up_a_file_stuck_for_a_day(actors):
    stuck = _ask(actors.coordinator)
    PreparedFile.objects.filter(pk=stuck.pk).update(
        status=PreparedFile.Status.RUNNING,
        created_at=timezone.now() - datetime.timedelta(hours=25),
    )
    default_storage.save(producing.storage_name(stuck), ContentFile(b"half"))
    assert producing.expire_files()["expired"] == 1
    assert _stored(stuck) == []
    # Its job, if it ever runs, finds nothing to do.
    assert tasks.produce.call(stuck.pk) == "skipped"


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_lists_the_files_and_changes_nothing(actors, login):
    prepared = _ask(actors.coordinator, refuse="Rifiutato.")
    run_queued_jobs()
    client = login(actors.admin)
    listing = client.get(reverse("admin:downloads_preparedfile_changelist"))
    assert listing.status_code == 200
    assert "Rifiutato." in listing.content.decode()
    detail = client.get(reverse("admin:downloads_preparedfile_change", args=[prepared.pk]))
    assert detail.status_code == 200
    assert client.get(reverse("admin:downloads_preparedfile_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:downloads_preparedfile_delete", args=[prepared.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
