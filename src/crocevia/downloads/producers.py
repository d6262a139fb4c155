"""The producers of prepared files, registered by the apps above (AppConfig.ready).

A producer writes one file: `producer(*, user, out, **arguments)`, where `user` is the
user who asked (the job reads it from the row, never from the arguments), `out` a binary
file object to write into, and `arguments` what `services.prepare_file` stored (JSON).

A producer runs later than the request that asked, in the worker: it must decide again,
as that user, what they may have (their scope today, not the one they had when asking),
and raise `Refused` with a message for them when they may not have it any more.
"""

from collections.abc import Callable

_PRODUCERS: dict[str, Callable] = {}


class Refused(Exception):
    """The file is not for this user (any more): the message, translated, tells them why."""


def register(name: str, producer: Callable) -> None:
    """Register `producer` under `name` (its app's label and what it writes:
    "reporting.report"). Registering another callable under a taken name is an error."""
    known = _PRODUCERS.get(name)
    if known is not None and known is not producer:
        raise ValueError(f"producer {name!r} is registered already")
    _PRODUCERS[name] = producer


def get_producer(name: str) -> Callable:
    """The producer registered under `name`; KeyError when there is none."""
    return _PRODUCERS[name]


def registered() -> list[str]:
    return sorted(_PRODUCERS)
