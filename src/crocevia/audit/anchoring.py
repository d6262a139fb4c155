"""Anchoring and verifying the audit trail, for the command (`crocevia audit`) and the
periodic jobs (tasks.py) alike; the Italian sentences that name what is wrong.

Anchoring seals what is pending and writes the head of the chain outside the database:
appended to the witness file (CROCEVIA_AUDIT_WITNESS) when there is one, and mailed to
the DPO (CROCEVIA_DPO_EMAIL) when asked. It refuses to write a new head when the latest
one of the witness is no longer in the chain: that would bury the evidence.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from . import witness as witnesses
from .chain import Problem, Verification, seal_pending, verify_chain


class AnchoringError(Exception):
    """Why no head was anchored (or mailed); the message is a sentence for the operator."""


class TrailTampered(AnchoringError):
    """The chain no longer holds what was recorded of it."""


def when(value) -> str:
    return formats.date_format(timezone.localtime(value), "d/m/Y H:i:s") if value else "–"


def anchored_when(anchor) -> str:
    moment = parse_datetime(anchor.anchored_at or "")
    if moment is None:
        return "–"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return when(moment)


def describe_witness(problem: Problem, path: Path) -> str:
    """The sentence for a head of the witness that no longer holds."""
    anchor = problem.witness
    values = {
        "path": path,
        "line": anchor.line,
        "position": anchor.position,
        "when": anchored_when(anchor),
        "id": problem.event_id,
    }
    if problem.event_id is None:
        return (
            _(
                "The head recorded in the witness %(path)s (line %(line)s: position "
                "%(position)s, anchored on %(when)s) is no longer in the chain: the last "
                "events have been removed."
            )
            % values
        )
    return (
        _(
            "Event %(id)s at position %(position)s does not have the hash recorded in the "
            "witness %(path)s (line %(line)s, anchored on %(when)s): the chain has been "
            "rewritten."
        )
        % values
    )


def describe(problem: Problem, witness_path: Path | None = None) -> str:
    """One sentence naming the first bad event and what is wrong with it."""
    if problem.kind == "witness":
        return describe_witness(problem, witness_path)
    values = {
        "position": problem.position,
        "id": problem.event_id,
        "previous": problem.previous_id if problem.previous_id is not None else "–",
        "last": problem.last_missing,
        "when": when(problem.at),
        "what": f"{problem.action} {problem.object_type} #{problem.object_id}",
    }
    if problem.kind == "missing":
        if problem.last_missing != problem.position:
            return (
                _(
                    "Events at positions %(position)s–%(last)s are missing (after event "
                    "%(previous)s): they have been removed."
                )
                % values
            )
        return (
            _(
                "The event at position %(position)s is missing (after event %(previous)s): "
                "it has been removed."
            )
            % values
        )
    if problem.kind == "out_of_sequence":
        return (
            _(
                "Event %(id)s at position %(position)s (%(when)s, %(what)s) does not follow "
                "event %(previous)s: events have been reordered, removed or inserted."
            )
            % values
        )
    if problem.kind == "altered":
        return (
            _(
                "Event %(id)s at position %(position)s (%(when)s, %(what)s) no longer matches "
                "its hash: it has been altered."
            )
            % values
        )
    if problem.event_id is None:
        return (
            _(
                "The anchor at position %(position)s is no longer in the chain: the last "
                "events have been removed."
            )
            % values
        )
    return (
        _(
            "Event %(id)s at position %(position)s does not have the hash of the anchor: "
            "the chain has been rewritten."
        )
        % values
    )


def tampered_message(result: Verification, path: Path | None) -> str:
    message = _("The audit trail has been tampered with. First bad event: %(problem)s") % {
        "problem": describe(result.first_problem, path)
    }
    if result.problems > 1:
        message += " " + (_("(Problems found in all: %(count)s.)") % {"count": result.problems})
    return message


def read_witness(path: Path):
    """The witness at `path` (None if there is none yet); AnchoringError if unreadable."""
    try:
        return witnesses.read(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchoringError(
            _("The witness %(path)s cannot be read: %(error)s") % {"path": path, "error": exc}
        ) from exc


@dataclass
class Anchored:
    sealed: int = 0
    head: witnesses.Anchor | None = None  # None: an empty trail, nothing anchored
    path: Path | None = None  # the witness written, if any
    mailed_to: str = ""


def anchor(*, path: Path | None, mail: bool) -> Anchored:
    """Seal what is pending, then write the head to the witness at `path` (if given) and
    mail it to the DPO (if `mail` and an address is set). Raises AnchoringError (or
    TrailTampered) saying why not; a head written to the witness whose mail failed is
    said so too."""
    done = Anchored(sealed=seal_pending(), path=path)
    if path is not None:
        witness = read_witness(path)
        latest = witness.latest if witness else None
        if latest is not None and not witnesses.holds(latest):
            problem = Problem("witness", latest.position, witness=latest)
            raise TrailTampered(
                _("The audit trail has been tampered with. First bad event: %(problem)s")
                % {"problem": describe_witness(problem, path)}
            )
    done.head = witnesses.current_head()
    if done.head is None:
        return done
    line = done.head.as_json() + "\n"
    if path is not None:
        try:
            line = witnesses.append(done.head, path)
        except OSError as exc:
            raise AnchoringError(
                _("The witness %(path)s cannot be written: %(error)s")
                % {"path": path, "error": exc}
            ) from exc
    recipient = settings.CROCEVIA_DPO_EMAIL
    if not mail or not recipient:
        return done
    values = {
        "path": path,
        "position": done.head.position,
        "hash": done.head.hash,
        "line": line,
    }
    if path is not None:
        body = (
            _(
                "Head of the Crocevia audit trail, also written to %(path)s. Keep this "
                "message: “crocevia audit verify --anchor %(position)s:%(hash)s” checks "
                "that the trail still holds it.\n\n%(line)s"
            )
            % values
        )
    else:
        body = (
            _(
                "Head of the Crocevia audit trail (no witness file is configured: this "
                "message is its only record outside the database). Keep it: “crocevia "
                "audit verify --anchor %(position)s:%(hash)s” checks that the trail still "
                "holds it.\n\n%(line)s"
            )
            % values
        )
    try:
        send_mail(
            _("Crocevia: head of the audit trail, position %(position)s")
            % {"position": done.head.position},
            body,
            None,
            [recipient],
        )
    except OSError as exc:
        if path is not None:
            message = _(
                "The head was written to the witness, but the e-mail to %(to)s could not "
                "be sent: %(error)s"
            )
        else:
            message = _("The head could not be mailed to %(to)s: %(error)s")
        raise AnchoringError(message % {"to": recipient, "error": exc}) from exc
    done.mailed_to = recipient
    return done


def verify(*, path: Path | None, seal: bool = True, anchor_head=None):
    """verify_chain() against the witness at `path` (if any): (result, witness)."""
    witness = read_witness(path) if path is not None else None
    result = verify_chain(seal=seal, anchor=anchor_head, witness=witness.anchors if witness else ())
    return result, witness
