"""`crocevia audit verify [--no-seal] [--anchor POSITION:HASH]` and `crocevia audit seal`.

verify seals what is pending, walks the hash chain and names the first event altered,
removed or out of sequence; exit status 1 if anything is wrong. It ends with the head
of the chain (position and hash): written down outside the database, it is an anchor
that a later verify checks with --anchor. Messages are in Italian.
"""

import re
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from crocevia.audit.chain import STALE_AFTER, Problem, seal_pending, verify_chain


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "d/m/Y H:i:s") if value else "–"


def describe(problem: Problem) -> str:
    """One Italian sentence naming the first bad event and what is wrong with it."""
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


class Command(BaseCommand):
    help = "Seal the audit trail into its hash chain, or verify the chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="verify|seal")
        verify = sub.add_parser("verify", help="verify the hash chain of the audit trail")
        verify.add_argument(
            "--no-seal", action="store_true", help="do not seal pending events first"
        )
        verify.add_argument(
            "--anchor", metavar="POSITION:HASH", help="a head printed by an earlier verify"
        )
        sub.add_parser("seal", help="seal the events written since the last sealing")

    def handle(self, *args, **options):
        translation.activate("it")
        if options["action"] == "seal":
            started = time.perf_counter()
            count = seal_pending()
            self.stdout.write(
                _("Events sealed: %(count)s, in %(seconds).1f s.")
                % {"count": count, "seconds": time.perf_counter() - started}
            )
            return
        anchor = _anchor(options["anchor"]) if options["anchor"] else None
        started = time.perf_counter()
        result = verify_chain(seal=not options["no_seal"], anchor=anchor)
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
        if not result.ok:
            message = _("The audit trail has been tampered with. First bad event: %(problem)s") % {
                "problem": describe(result.first_problem)
            }
            if result.problems > 1:
                message += " " + (
                    _("(Problems found in all: %(count)s.)") % {"count": result.problems}
                )
            raise CommandError(message)
        self.stdout.write(_("The audit trail is intact."))
