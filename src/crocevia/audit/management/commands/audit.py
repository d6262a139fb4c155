"""`crocevia audit verify|anchor|seal`: the audit trail's hash chain and its witness.

verify seals what is pending, walks the hash chain and names the first event altered,
removed or out of sequence, and checks every head recorded in the witness file (the
latest named first when its events are gone); exit status 1 if anything is wrong. It ends
with the head of the chain (position and hash). anchor seals what is pending and appends
that head to the witness file (CROCEVIA_AUDIT_WITNESS), and mails it to the DPO
(CROCEVIA_DPO_EMAIL) if set: run it on a schedule (README). Messages are in Italian.
"""

import datetime
import re
import time
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crocevia.audit import witness as witnesses
from crocevia.audit.chain import STALE_AFTER, Problem, seal_pending, verify_chain


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "d/m/Y H:i:s") if value else "–"


def _anchored_when(anchor) -> str:
    moment = parse_datetime(anchor.anchored_at or "")
    if moment is None:
        return "–"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return _when(moment)


def describe_witness(problem: Problem, path: Path) -> str:
    """The Italian sentence for a head of the witness that no longer holds."""
    anchor = problem.witness
    values = {
        "path": path,
        "line": anchor.line,
        "position": anchor.position,
        "when": _anchored_when(anchor),
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
    """One Italian sentence naming the first bad event and what is wrong with it."""
    if problem.kind == "witness":
        return describe_witness(problem, witness_path)
    values = {
        "position": problem.position,
        "id": problem.event_id,
        "previous": problem.previous_id if problem.previous_id is not None else "–",
        "last": problem.last_missing,
        "when": _when(problem.at),
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


def _anchor(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value.strip().lower())
    if not match:
        raise CommandError(
            _("--anchor: “%(value)s” is not of the form POSITION:HASH (64 hexadecimal digits).")
            % {"value": value}
        )
    return int(match[1]), match[2]


def _read(path: Path):
    try:
        return witnesses.read(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(
            _("The witness %(path)s cannot be read: %(error)s") % {"path": path, "error": exc}
        ) from exc


class Command(BaseCommand):
    help = "Seal the audit trail into its hash chain, verify it, or anchor its head in the witness."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="verify|anchor|seal")
        verify = sub.add_parser("verify", help="verify the hash chain of the audit trail")
        verify.add_argument(
            "--no-seal", action="store_true", help="do not seal pending events first"
        )
        verify.add_argument(
            "--anchor", metavar="POSITION:HASH", help="a head printed by an earlier verify"
        )
        verify.add_argument(
            "--witness", metavar="PATH", help="the witness file (default: CROCEVIA_AUDIT_WITNESS)"
        )
        verify.add_argument(
            "--no-witness", action="store_true", help="do not check the heads of the witness"
        )
        anchor = sub.add_parser(
            "anchor", help="append the head of the chain to the witness (and mail it to the DPO)"
        )
        anchor.add_argument(
            "--witness", metavar="PATH", help="the witness file (default: CROCEVIA_AUDIT_WITNESS)"
        )
        anchor.add_argument(
            "--no-mail", action="store_true", help="do not mail the head to CROCEVIA_DPO_EMAIL"
        )
        sub.add_parser("seal", help="seal the events written since the last sealing")

    def handle(self, *args, **options):
        translation.activate("it")
        if options["action"] == "anchor":
            self.anchor(options)
            return
        if options["action"] == "seal":
            started = time.perf_counter()
            count = seal_pending()
            self.stdout.write(
                _("Events sealed: %(count)s, in %(seconds).1f s.")
                % {"count": count, "seconds": time.perf_counter() - started}
            )
            return
        anchor = _anchor(options["anchor"]) if options["anchor"] else None
        path = Path(options["witness"]) if options["witness"] else witnesses.witness_path()
        witness = None if options["no_witness"] else _read(path)
        started = time.perf_counter()
        result = verify_chain(
            seal=not options["no_seal"],
            anchor=anchor,
            witness=witness.anchors if witness else (),
        )
        seconds = time.perf_counter() - started
        if result.stale_unsealed:
            self.stderr.write(
                _(
                    "Warning: events that waited more than %(minutes)s minutes to be sealed: "
                    "%(count)s (the oldest since %(when)s). Check that sealing after each "
                    "write works, or run “crocevia audit seal” periodically."
                )
                % {
                    "count": result.stale_unsealed,
                    "minutes": int(STALE_AFTER.total_seconds() // 60),
                    "when": _when(result.stale_since),
                }
            )
        if result.sealed_now:
            self.stdout.write(_("Events sealed now: %(count)s.") % {"count": result.sealed_now})
        if result.unsealed:
            self.stderr.write(
                _("Warning: events not sealed yet, and so not verified: %(count)s.")
                % {"count": result.unsealed}
            )
        self.stdout.write(
            _("Events verified: %(count)s, in %(seconds).1f s, from %(first)s to %(last)s.")
            % {
                "count": result.events,
                "seconds": seconds,
                "first": _when(result.first_at),
                "last": _when(result.last_at),
            }
        )
        self.stdout.write(
            _("Head of the chain (anchor for a later check): %(position)s:%(hash)s")
            % {"position": result.head_position, "hash": result.head_hash}
        )
        self.report_witness(options, path, witness, result)
        if not result.ok:
            message = _("The audit trail has been tampered with. First bad event: %(problem)s") % {
                "problem": describe(result.first_problem, path)
            }
            if result.problems > 1:
                message += " " + (
                    _("(Problems found in all: %(count)s.)") % {"count": result.problems}
                )
            raise CommandError(message)
        self.stdout.write(_("The audit trail is intact."))

    def report_witness(self, options, path, witness, result) -> None:
        if options["no_witness"]:
            self.stderr.write(_("Warning: the witness was not checked (--no-witness)."))
            return
        if witness is None or not witness.anchors:
            self.stderr.write(
                _(
                    "Warning: no head recorded in the witness %(path)s yet: run “crocevia "
                    "audit anchor” on a schedule (see the README)."
                )
                % {"path": path}
            )
        if witness is not None and witness.unreadable:
            self.stderr.write(
                _("Warning: lines of the witness %(path)s that are not a head: %(lines)s.")
                % {"path": path, "lines": ", ".join(map(str, witness.unreadable))}
            )
        if witness is not None and witness.anchors and result.witness_checked:
            latest = witness.latest
            self.stdout.write(
                _(
                    "Witness %(path)s: heads found in the chain: %(count)s; the latest at "
                    "position %(position)s, anchored on %(when)s (line %(line)s)."
                )
                % {
                    "path": path,
                    "count": result.witness_checked,
                    "position": latest.position,
                    "when": _anchored_when(latest),
                    "line": latest.line,
                }
            )

    def anchor(self, options) -> None:
        path = Path(options["witness"]) if options["witness"] else witnesses.witness_path()
        sealed = seal_pending()
        if sealed:
            self.stdout.write(_("Events sealed now: %(count)s.") % {"count": sealed})
        witness = _read(path)
        latest = witness.latest if witness else None
        if latest is not None and not witnesses.holds(latest):
            # Writing a new head would bury the evidence: refuse, and say what is wrong.
            raise CommandError(
                _("The audit trail has been tampered with. First bad event: %(problem)s")
                % {
                    "problem": describe_witness(
                        Problem("witness", latest.position, witness=latest), path
                    )
                }
            )
        head = witnesses.current_head()
        if head is None:
            self.stdout.write(_("The audit trail is empty: there is no head to anchor."))
            return
        try:
            line = witnesses.append(head, path)
        except OSError as exc:
            raise CommandError(
                _("The witness %(path)s cannot be written: %(error)s")
                % {"path": path, "error": exc}
            ) from exc
        self.stdout.write(
            _("Head of the chain written to the witness %(path)s: %(position)s:%(hash)s")
            % {"path": path, "position": head.position, "hash": head.hash}
        )
        recipient = settings.CROCEVIA_DPO_EMAIL
        if not recipient or options["no_mail"]:
            return
        try:
            send_mail(
                _("Crocevia: head of the audit trail, position %(position)s")
                % {"position": head.position},
                _(
                    "Head of the Crocevia audit trail, also written to %(path)s. Keep this "
                    "message: “crocevia audit verify --anchor %(position)s:%(hash)s” checks "
                    "that the trail still holds it.\n\n%(line)s"
                )
                % {"path": path, "position": head.position, "hash": head.hash, "line": line},
                None,
                [recipient],
            )
        except OSError as exc:
            raise CommandError(
                _(
                    "The head was written to the witness, but the e-mail to %(to)s could not "
                    "be sent: %(error)s"
                )
                % {"to": recipient, "error": exc}
            ) from exc
        self.stdout.write(_("Head mailed to %(to)s.") % {"to": recipient})
