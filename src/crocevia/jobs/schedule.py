"""The periodic jobs of CROCEVIA_PERIODIC_JOBS, and when each is due.

    CROCEVIA_PERIODIC_JOBS = {
        "notifications-digest": {"task": "crocevia.notifications.tasks.send_digests",
                                 "daily_at": "07:00"},
        "audit-seal": {"task": "crocevia.audit.tasks.seal_chain", "every": 60},
        "audit-anchor-daily": {..., "kwargs": {"mail": True}},
    }

A job's slot is the start of the period it is due for: for "every" N seconds, the last
multiple of N seconds since the epoch (so every 600 s is at :00, :10, ... UTC); for
"daily_at" HH:MM, that time in the local time zone (TIME_ZONE) of today, or of yesterday
before it. A slot is run once; the latest slot is always due, so a worker started after a
run was missed makes it up once (as systemd's Persistent= timers do), never several.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

UTC = datetime.UTC


@dataclass(frozen=True)
class Periodic:
    name: str
    task_path: str
    every: int | None = None  # seconds
    daily_at: datetime.time | None = None  # local time
    kwargs: dict = field(default_factory=dict)

    def slot(self, now: datetime.datetime) -> datetime.datetime:
        """The start (UTC) of the latest slot at or before `now`."""
        now = now.astimezone(UTC)
        if self.every is not None:
            start = int(now.timestamp()) // self.every * self.every
            return datetime.datetime.fromtimestamp(start, UTC)
        zone = timezone.get_default_timezone()
        day = now.astimezone(zone).date()
        # Compared in UTC: aware datetimes of one zone compare by their wall-clock times.
        at = datetime.datetime.combine(day, self.daily_at, tzinfo=zone).astimezone(UTC)
        if at > now:
            day -= datetime.timedelta(days=1)
            at = datetime.datetime.combine(day, self.daily_at, tzinfo=zone).astimezone(UTC)
        return at

    @property
    def when(self) -> str:
        if self.every is not None:
            return f"every {self.every} s"
        return f"daily at {self.daily_at:%H:%M}"


def parse(name: str, spec: dict) -> Periodic:
    """One entry of CROCEVIA_PERIODIC_JOBS; ValueError saying what is wrong."""
    if not isinstance(spec, dict) or not isinstance(spec.get("task"), str):
        raise ValueError(f"periodic job {name!r}: give the dotted path of its task as 'task'")
    unknown = set(spec) - {"task", "every", "daily_at", "kwargs"}
    if unknown:
        raise ValueError(f"periodic job {name!r}: unknown keys {sorted(unknown)}")
    if ("every" in spec) == ("daily_at" in spec):
        raise ValueError(f"periodic job {name!r}: give either 'every' or 'daily_at'")
    kwargs = spec.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise ValueError(f"periodic job {name!r}: 'kwargs' must be a dict")
    if "every" in spec:
        every = spec["every"]
        if not isinstance(every, int) or isinstance(every, bool) or every <= 0:
            raise ValueError(f"periodic job {name!r}: 'every' must be a number of seconds")
        return Periodic(name, spec["task"], every=every, kwargs=kwargs)
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(spec["daily_at"]))
    if not match:
        raise ValueError(f"periodic job {name!r}: 'daily_at' must be HH:MM")
    at = datetime.time(int(match[1]), int(match[2]))
    return Periodic(name, spec["task"], daily_at=at, kwargs=kwargs)


def periodic_jobs() -> list[Periodic]:
    """The periodic jobs of the settings (ValueError for a malformed one)."""
    config = getattr(settings, "CROCEVIA_PERIODIC_JOBS", {}) or {}
    return [parse(name, spec) for name, spec in config.items()]
