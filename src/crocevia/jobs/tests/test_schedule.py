"""When a periodic job is due: its slots, in the local time zone, and the settings."""

import datetime
import json
import os
import subprocess
import sys

import pytest

from crocevia.jobs.schedule import Periodic, parse

UTC = datetime.UTC


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_an_every_slot_starts_at_a_multiple_of_its_period():
    job = parse("seal", {"task": "x.y", "every": 600})
    assert job.slot(at("2026-12-05 10:17:42")) == at("2026-12-05 10:10:00")
    assert job.slot(at("2026-12-05 10:20:00")) == at("2026-12-05 10:20:00")


def test_a_daily_slot_is_the_local_time_of_today_or_of_yesterday_before_it(settings):
    settings.TIME_ZONE = "Europe/Rome"
    job = parse("digest", {"task": "x.y", "daily_at": "07:00"})
    # Winter: 07:00 in Rome is 06:00 UTC.
    assert job.slot(at("2026-01-15 05:59:59")) == at("2026-01-14 06:00")
    assert job.slot(at("2026-01-15 06:00:00")) == at("2026-01-15 06:00")
    # Summer: 07:00 in Rome is 05:00 UTC; 05:30 UTC is after it.
    assert job.slot(at("2026-07-15 05:30")) == at("2026-07-15 05:00")
    assert job.slot(at("2026-07-15 04:59")) == at("2026-07-14 05:00")
    # Just after local midnight (22:30 UTC the day before, in summer): still yesterday's.
    assert job.slot(at("2026-07-14 22:30")) == at("2026-07-14 05:00")


def test_a_daily_slot_follows_the_time_zone_setting(settings):
    job = parse("digest", {"task": "x.y", "daily_at": "07:00"})
    settings.TIME_ZONE = "UTC"
    assert job.slot(at("2026-01-15 07:30")) == at("2026-01-15 07:00")
    settings.TIME_ZONE = "America/New_York"
    assert job.slot(at("2026-01-15 07:30")) == at("2026-01-14 12:00")


def test_a_daily_slot_on_the_days_the_clocks_change(settings):
    settings.TIME_ZONE = "Europe/Rome"
    job = parse("verify", {"task": "x.y", "daily_at": "02:30"})
    # 29 March 2026: 02:00 CET becomes 03:00 CEST, 02:30 does not exist; it runs once,
    # an hour after 01:30 CET (the wall clock then reads 03:30).
    spring = job.slot(at("2026-03-29 12:00"))
    assert spring == at("2026-03-29 01:30")
    assert job.slot(at("2026-03-29 01:29")) == at("2026-03-28 01:30")
    # 25 October 2026: 02:30 happens twice; the first one counts, once.
    autumn = job.slot(at("2026-10-25 12:00"))
    assert autumn == at("2026-10-25 00:30")
    assert job.slot(at("2026-10-25 01:45")) == autumn


@pytest.mark.parametrize(
    "spec",
    [
        {"every": 60},
        {"task": "x.y"},
        {"task": "x.y", "every": 60, "daily_at": "07:00"},
        {"task": "x.y", "every": 0},
        {"task": "x.y", "every": "60"},
        {"task": "x.y", "daily_at": "7am"},
        {"task": "x.y", "daily_at": "24:00"},
        {"task": "x.y", "every": 60, "kwargs": ["mail"]},
        {"task": "x.y", "every": 60, "at": "07:00"},
    ],
)
def test_a_malformed_periodic_job_is_refused_naming_it(spec):
    with pytest.raises(ValueError, match="'bad'"):
        parse("bad", spec)


def test_a_malformed_periodic_job_fails_the_system_check(settings):
    from django.core.checks import run_checks

    settings.CROCEVIA_PERIODIC_JOBS = {"bad": {"task": "x.y", "daily_at": "7am"}}
    assert [m.id for m in run_checks() if m.id.startswith("jobs.")] == ["jobs.E001"]


def test_periodic_job_kwargs_are_kept():
    job = parse("anchor", {"task": "x.y", "daily_at": "07:00", "kwargs": {"mail": True}})
    assert job == Periodic("anchor", "x.y", daily_at=datetime.time(7, 0), kwargs={"mail": True})


def _periodic_jobs(**env) -> dict:
    """CROCEVIA_PERIODIC_JOBS in a fresh process with this environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CROCEVIA_JOB_")
        and k not in {"CROCEVIA_AUDIT_WITNESS", "CROCEVIA_DPO_EMAIL"}
    }
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CROCEVIA_PERIODIC_JOBS))"
    )
    result = subprocess.run(
        [sys.executable, "-m", "crocevia", "shell", "--no-imports", "-c", code],
        env={**base, "CROCEVIA_INSECURE_DEV_KEY": "1", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_schedule_follows_the_environment():
    plain = _periodic_jobs()
    assert plain["audit-seal"] == {"task": "crocevia.audit.tasks.seal_chain", "every": 60}
    assert plain["notifications-digest"]["daily_at"] == "07:00"
    assert plain["notify-overdue"]["daily_at"] == "06:30"
    assert plain["audit-verify"]["daily_at"] == "02:30"
    # No witness and no DPO: nothing to anchor to.
    assert "audit-anchor" not in plain and "audit-anchor-daily" not in plain

    changed = _periodic_jobs(
        CROCEVIA_JOB_NOTIFICATIONS_DIGEST="07:30",
        CROCEVIA_JOB_AUDIT_SEAL="120",
        CROCEVIA_JOB_NOTIFY_OVERDUE="off",
        CROCEVIA_AUDIT_WITNESS="/srv/witness/crocevia.jsonl",
    )
    assert changed["notifications-digest"]["daily_at"] == "07:30"
    assert changed["audit-seal"]["every"] == 120
    assert "notify-overdue" not in changed
    assert changed["audit-anchor"] == {"task": "crocevia.audit.tasks.anchor_chain", "every": 600}
    assert changed["audit-anchor-daily"]["kwargs"] == {"mail": True}


def test_the_dpo_alone_gets_the_days_anchor_by_mail():
    jobs = _periodic_jobs(CROCEVIA_DPO_EMAIL="dpo@example.org")
    assert "audit-anchor" not in jobs
    assert jobs["audit-anchor-daily"] == {
        "task": "crocevia.audit.tasks.anchor_chain",
        "daily_at": "07:00",
        "kwargs": {"mail": True},
    }
