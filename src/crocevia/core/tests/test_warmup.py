"""The server worker's warm-up (crocevia/gunicorn_conf.py post_worker_init)."""

import gc

from crocevia import gunicorn_conf
from crocevia.core.warmup import warm_up


def test_warm_up_compiles_the_templates_and_freezes_the_loaded_objects():
    try:
        figures = warm_up()
        assert figures["templates"] >= 50
        # What was loaded is out of the collector's full scans from now on. Not an exact
        # equality: a thread an earlier test left finishing may free a frozen object in
        # between (seen once in CI: 440,447 frozen, 440,446 a moment later).
        assert 10_000 < gc.get_freeze_count() <= figures["frozen_objects"]
    finally:
        gc.unfreeze()


def test_gunicorn_workers_warm_up_before_serving(monkeypatch):
    calls = []
    monkeypatch.setattr("crocevia.core.warmup.warm_up", lambda: calls.append("warm"))
    gunicorn_conf.post_worker_init(worker=None)
    assert calls == ["warm"]


def test_a_failed_warm_up_is_logged_and_the_worker_serves_anyway(monkeypatch, caplog):
    def broken():
        raise RuntimeError("template directory unreadable")

    monkeypatch.setattr("crocevia.core.warmup.warm_up", broken)
    with caplog.at_level("ERROR", logger="crocevia.core.warmup"):
        gunicorn_conf.post_worker_init(worker=None)  # does not raise: gunicorn would halt
    assert "worker warm-up failed" in caplog.text
