"""`crocevia audit verify|anchor|seal`: the audit trail's hash chain and its witness.

verify seals what is pending, walks the hash chain and names the first event altered,
removed or out of sequence, and checks every head recorded in the witness file (the
latest named first when its events are gone); exit status 1 if anything is wrong. It ends
with the head of the chain (position and hash). anchor seals what is pending and appends
that head to the witness file (CROCEVIA_AUDIT_WITNESS, or --witness), and mails it to the
DPO (CROCEVIA_DPO_EMAIL) if set. The workers run all three as periodic jobs
(audit/tasks.py); the commands are for a check by hand. Messages are in Italian.
"""

import re
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from crocevia.audit import witness as witnesses
from crocevia.audit.anchoring import (
    AnchoringError,
    anchor,
    anchored_when,
    tampered_message,
    verify,
    when,
)
from crocevia.audit.chain import STALE_AFTER, seal_pending


def _anchor(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value.strip().lower())
    if not match:
        raise CommandError(
            _("--anchor: “%(value)s” is not of the form POSITION:HASH (64 hexadecimal digits).")
            % {"value": value}
        )
    return int(match[1]), match[2]


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
        anchor_head = _anchor(options["anchor"]) if options["anchor"] else None
        path = Path(options["witness"]) if options["witness"] else witnesses.witness_path()
        started = time.perf_counter()
        try:
            result, witness = verify(
                path=None if options["no_witness"] else path,
                seal=not options["no_seal"],
                anchor_head=anchor_head,
            )
        except AnchoringError as exc:
            raise CommandError(str(exc)) from exc
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
                    "when": when(result.stale_since),
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
                "first": when(result.first_at),
                "last": when(result.last_at),
            }
        )
        self.stdout.write(
            _("Head of the chain (anchor for a later check): %(position)s:%(hash)s")
            % {"position": result.head_position, "hash": result.head_hash}
        )
        self.report_witness(options, path, witness, result)
        if not result.ok:
            raise CommandError(tampered_message(result, path))
        self.stdout.write(_("The audit trail is intact."))

    def report_witness(self, options, path, witness, result) -> None:
        if options["no_witness"]:
            self.stderr.write(_("Warning: the witness was not checked (--no-witness)."))
            return
        if path is None:
            self.stderr.write(
                _(
                    "Warning: no witness file is configured (CROCEVIA_AUDIT_WITNESS): the "
                    "removal of the newest events cannot be detected. See the README."
                )
            )
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
                    "when": anchored_when(latest),
                    "line": latest.line,
                }
            )

    def anchor(self, options) -> None:
        path = Path(options["witness"]) if options["witness"] else witnesses.witness_path()
        mail = not options["no_mail"]
        if path is None and not (mail and witnesses.dpo_email()):
            raise CommandError(
                _(
                    "No witness file is configured: set CROCEVIA_AUDIT_WITNESS (or give "
                    "--witness PATH), or CROCEVIA_DPO_EMAIL to mail the head."
                )
            )
        try:
            done = anchor(path=path, mail=mail)
        except AnchoringError as exc:
            raise CommandError(str(exc)) from exc
        if done.sealed:
            self.stdout.write(_("Events sealed now: %(count)s.") % {"count": done.sealed})
        if done.head is None:
            self.stdout.write(_("The audit trail is empty: there is no head to anchor."))
            return
        if path is not None:
            self.stdout.write(
                _("Head of the chain written to the witness %(path)s: %(position)s:%(hash)s")
                % {"path": path, "position": done.head.position, "hash": done.head.hash}
            )
        if done.mailed_to:
            self.stdout.write(_("Head mailed to %(to)s.") % {"to": done.mailed_to})
