"""`crocevia import KIND FILE`: load a file of the interchange format, all or nothing.

Every bad row is printed (line, column, value, reason, in Italian) and nothing is written;
the exit status is then 1. `--errors FILE` writes the full report as CSV. On a terminal a
progress bar shows rows per second and time left; otherwise plain log lines. For a CSV
the encoding and separator found come first, so a file read wrongly shows why.
"""

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crocevia.audit import chain
from crocevia.audit.models import AuditEvent
from crocevia.core.spreadsheets import csv_writer
from crocevia.interchange.charset import delimiter_label, encoding_label
from crocevia.interchange.engine import run_import
from crocevia.interchange.errors import WRITE_REFUSED
from crocevia.interchange.kinds import kind_names


class ProgressPrinter:
    """A progress bar on a TTY; a log line every few seconds otherwise (stdlib only)."""

    def __init__(self, stream, tty: bool):
        self.stream = stream
        self.tty = tty
        self.phase = None
        self.started = time.monotonic()  # the rate counts from the start of the import
        self.last = 0.0

    def __call__(self, phase: str, rows: int, fraction: float) -> None:
        now = time.monotonic()
        if phase != self.phase:
            if self.phase is not None and self.tty:
                self.stream.write("\n")
            self.phase, self.last = phase, 0.0
        elapsed = max(now - self.started, 1e-6)
        rate = rows / elapsed
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else 0
        label = _("import")
        # Translated outside the f-strings: makemessages does not read inside them.
        rows_word = _("rows")
        if self.tty:
            width = 30
            done = int(width * min(fraction, 1.0))
            self.stream.write(
                f"\r{label:<10} [{'#' * done}{'.' * (width - done)}] {fraction:4.0%} "
                f"{rows:>9,} {rows_word} {rate:>8,.0f}/s  ~{left:4.0f}s "
            )
            self.stream.flush()
        elif now - self.last >= 5 or fraction >= 1.0:
            self.last = now
            self.stream.write(f"{label}: {rows} {rows_word}, {rate:.0f}/s, {fraction:.0%}\n")

    def end(self):
        if self.tty and self.phase is not None:
            self.stream.write("\n")


logger = logging.getLogger(__name__)

SEALING_QUIET_S = 1.0  # a sealing shorter than this goes unannounced


class Command(BaseCommand):
    help = "Import a file of the interchange format (CSV or XLSX), all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kind_names())
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate, write nothing")
        parser.add_argument("--sheet", help="XLSX sheet (default: the first)")
        parser.add_argument("--errors", metavar="FILE", help="write the error report as CSV")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="the operator the import is recorded as: author of its audit events and "
            "registrant of its new records (default: none, the system; never needed: "
            "imported cases past team formation wait for the coordination group to "
            "appoint their case manager)",
        )

    def handle(self, *args, **options):
        translation.activate("it")
        actor = None
        if options["user"]:
            from django.contrib.auth import get_user_model

            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(
                    _("No active user is called %(username)s.") % {"username": options["user"]}
                )
        progress = ProgressPrinter(self.stderr._out, tty=self.stderr.isatty())
        try:
            report = run_import(
                options["kind"],
                options["file"],
                dry_run=options["dry_run"],
                sheet=options["sheet"],
                progress=progress,
                actor=actor,
            )
        except IntegrityError as exc:
            progress.end()
            logger.warning("import refused by the database: %s", exc)
            raise CommandError(str(WRITE_REFUSED)) from exc
        progress.end()
        if report.encoding:
            self.stdout.write(
                _("Encoding: %(encoding)s · Separator: %(delimiter)s")
                % {
                    "encoding": encoding_label(report.encoding),
                    "delimiter": delimiter_label(report.delimiter),
                }
            )
        if options["errors"]:
            with open(options["errors"], "w", encoding="utf-8", newline="") as f:
                csv_writer(f).writerows(report.error_rows())
        if report.file_error is not None:
            raise CommandError(report.file_error.message)
        if report.errors:
            for e in report.errors:
                self.stdout.write(
                    _("line %(line)d, column %(column)s, value %(value)r: %(reason)s")
                    % {"line": e.line, "column": e.column, "value": e.value, "reason": e.reason}
                )
            raise CommandError(
                _("%(count)d errors in %(rows)d rows: nothing was written.")
                % {"count": len(report.errors), "rows": report.rows}
            )
        c = report.counts
        summary = _(
            "%(rows)d rows in %(seconds).1f s: %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged."
        ) % {
            "rows": report.rows,
            "seconds": report.seconds,
            "created": c.created,
            "updated": c.updated,
            "unchanged": c.unchanged,
        }
        if report.dry_run:
            summary += " " + _("Dry run: nothing was written.")
        self.stdout.write(summary)
        for notice in report.notices():
            self.stdout.write(notice)
        # The audit events of a large import are left to a sealing job of the queue: wait a
        # moment for it, then seal what is left here rather than exit with the trail
        # unsealed, saying so, since the data are saved already (about 9 s per 200,000
        # contacts).
        started = time.monotonic()
        quick = chain.wait_for_sealing(timeout=SEALING_QUIET_S)
        if not quick:
            self.stderr.write(_("The data are saved; sealing the audit trail of the import..."))
            chain.wait_for_sealing()
        # Sealing may fail (the database gone, say): the events then wait for the next
        # sealing, and the operator is told.
        pending = AuditEvent.objects.unsealed().count()
        if pending:
            self.stderr.write(
                ngettext(
                    "%(count)d audit trail event is still to be sealed: "
                    "“crocevia audit seal” seals it.",
                    "%(count)d audit trail events are still to be sealed: "
                    "“crocevia audit seal” seals them.",
                    pending,
                )
                % {"count": pending}
            )
        elif not quick:
            self.stderr.write(
                _("Audit trail sealed in %(seconds).1f s.")
                % {"seconds": time.monotonic() - started}
            )
