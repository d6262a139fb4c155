"""The witness: heads of the audit chain written down outside the database.

A chain cannot show by itself that its last events were removed, or that it was rewritten
whole by someone with write access to the database (chain.py). An anchor can: the head
(position and hash) recorded earlier somewhere the database's users cannot reach.
`crocevia audit anchor` (and the periodic job `audit.tasks.anchor_chain`) appends the
current head to the witness file, one JSON line per anchor (opened in append mode,
fsync'd), and mails it to the DPO if an address is set;
`crocevia audit verify` checks every line of the witness by default: each recorded head
must still be in the chain with the same hash, so the chain reaches at least that far.
"""

import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import AuditEvent


@dataclass(frozen=True)
class Anchor:
    """A head of the chain as written in the witness (`line`: its line number there)."""

    position: int
    hash: str
    event_id: int | None = None
    event_at: str = ""
    anchored_at: str = ""
    line: int = 0

    def as_json(self) -> str:
        return json.dumps(
            {
                "position": self.position,
                "hash": self.hash,
                "event_id": self.event_id,
                "event_at": self.event_at,
                "anchored_at": self.anchored_at,
            },
            sort_keys=True,
        )


@dataclass
class Witness:
    path: Path
    anchors: list[Anchor]
    unreadable: list[int]  # numbers of the lines that are not an anchor

    @property
    def latest(self) -> Anchor | None:
        return self.anchors[-1] if self.anchors else None


def witness_path() -> Path | None:
    """The witness file configured (CROCEVIA_AUDIT_WITNESS); None: there is none."""
    configured = settings.CROCEVIA_AUDIT_WITNESS
    return Path(configured) if configured else None


def dpo_email() -> str:
    """The data protection officer's address (CROCEVIA_DPO_EMAIL), empty if none."""
    return settings.CROCEVIA_DPO_EMAIL or ""


def current_head() -> Anchor | None:
    """The head of the sealed chain, as an anchor to write down; None for an empty chain."""
    row = (
        AuditEvent.objects.filter(chain_position__isnull=False)
        .order_by("-chain_position")
        .values_list("chain_position", "chain_hash", "id", "at")
        .first()
    )
    if row is None:
        return None
    position, digest, event_id, at = row
    return Anchor(
        position=position,
        hash=digest,
        event_id=event_id,
        event_at=at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        anchored_at=timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds"),
    )


def holds(anchor: Anchor) -> bool:
    """Whether the event at the anchor's position still has the anchor's hash (one query)."""
    return AuditEvent.objects.filter(
        chain_position=anchor.position, chain_hash=anchor.hash
    ).exists()


def append(anchor: Anchor, path: Path) -> str:
    """Append `anchor` to the witness at `path` as one line, on disk when this returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    line = anchor.as_json() + "\n"
    # One write of a whole line in append mode: lines of concurrent anchors never mix.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        # The new file's name on disk too.
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return line


def read(path: Path) -> Witness | None:
    """The anchors written at `path`, oldest first; None if there is no witness there."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    anchors, unreadable = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor(
                position=int(data["position"]),
                hash=str(data["hash"]),
                event_id=data.get("event_id"),
                event_at=str(data.get("event_at") or ""),
                anchored_at=str(data.get("anchored_at") or ""),
                line=number,
            )
        except (ValueError, KeyError, TypeError):
            # A line cut short by a crash while writing, or not written by anchor.
            unreadable.append(number)
            continue
        if anchor.position > 0:
            anchors.append(anchor)
    return Witness(path=path, anchors=anchors, unreadable=unreadable)
