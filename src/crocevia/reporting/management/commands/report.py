"""`crocevia report --from --to [--zone CODE | --organisation CODE] --format json|xlsx|pdf`.

Prints the report of ../shared/domain/INDICATORS.md "The report": one JSON object with
the period, the scope and every indicator key; or the same report as an XLSX workbook or
a PDF (binary: to --output, or to standard output only when it is not a terminal).
`--masked` gives the version for monitoring officers ("<3" for small counts by
citizenship) and exists only for XLSX and PDF: the JSON is the unmasked contract.
A file given with --output is written whole or not at all (temporary file, then rename).
Messages are in Italian. With a database replica configured (DATABASE_REPLICA_URL) the
report is read from it (core.dbrouter): the XLSX and the PDF say so, and how far behind
it was; for the JSON (the contract's object, which has no place for it) the standard
error does.
"""

import datetime
import errno
import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from crocevia.core.dbrouter import read_from_replica
from crocevia.core.files import atomic_output
from crocevia.network.models import Organisation, Zone
from crocevia.reporting.indicators import Scope, build_report, to_json_value

FORMATS = ("json", "xlsx", "pdf")
BINARY_FORMATS = ("xlsx", "pdf")


def _date(value: str, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s: “%(value)s” is not a date in the form YYYY-MM-DD.")
            % {"option": option, "value": value}
        ) from None


class Command(BaseCommand):
    help = "Print the monitoring indicators of a period and a scope (INDICATORS.md)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--zone", metavar="CODE")
        parser.add_argument("--organisation", metavar="CODE")
        parser.add_argument("--format", default="json", metavar="|".join(FORMATS))
        parser.add_argument("--output", metavar="FILE", help="default: standard output")
        parser.add_argument(
            "--masked",
            action="store_true",
            help='xlsx/pdf for monitoring officers: counts below 3 by citizenship as "<3"',
        )
        parser.add_argument(
            "--top",
            default="5",
            metavar="N",
            help="length of desk.top_citizenships (default 5)",
        )

    def handle(self, *args, **options):
        translation.activate("it")
        start = _date(options["start"], "--from")
        end = _date(options["end"], "--to")
        if start > end:
            raise CommandError(
                _("The start of the period (%(start)s) is after its end (%(end)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            )
        fmt = options["format"]
        if fmt not in FORMATS:
            raise CommandError(
                _("Unknown format “%(format)s”: use json, xlsx or pdf.") % {"format": fmt}
            )
        if options["masked"] and fmt not in BINARY_FORMATS:
            raise CommandError(
                _("--masked is for the xlsx and pdf exports: the JSON report is never masked.")
            )
        output = options["output"]
        if output:
            _check_output(output)
        elif fmt in BINARY_FORMATS and self._stdout_is_terminal():
            raise CommandError(
                _(
                    "The %(format)s export is binary: give --output FILE, or redirect "
                    "the standard output to a file."
                )
                % {"format": fmt}
            )
        top = options["top"]
        if not top.isdigit() or int(top) < 1:
            raise CommandError(
                _("--top: “%(value)s” is not a whole number of at least 1.") % {"value": top}
            )
        scope = self._scope(options["zone"], options["organisation"])
        data, note = read_from_replica(
            lambda source: _produce(fmt, start, end, scope, int(top), options["masked"], source)
        )
        if note and fmt == "json" and options["verbosity"] > 0:
            self.stderr.write(note)
        if output:
            _write_atomically(output, data)
            return
        try:
            if fmt == "json":
                self.stdout.write(data.decode("utf-8"), ending="")
            else:
                self.stdout.flush()
                self.stdout.buffer.write(data)
                self.stdout.buffer.flush()
            self.stdout.flush()
        except BrokenPipeError:
            # Piped into `head`: the reader has gone; that is not an error of ours.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    def _stdout_is_terminal(self) -> bool:
        """True when binary bytes would go to a terminal, or the stream takes no bytes."""
        if not hasattr(self.stdout, "buffer"):
            return True
        try:
            return self.stdout.isatty()
        except ValueError:  # a closed stream
            return True

    def _scope(self, zone_code, organisation_code) -> Scope:
        if zone_code and organisation_code:
            raise CommandError(_("Give --zone or --organisation, not both."))
        if zone_code:
            zone = Zone.objects.filter(code=zone_code).first()
            if zone is None:
                raise CommandError(
                    _("There is no zone with code “%(code)s”.") % {"code": zone_code}
                )
            return Scope(zone=zone)
        if organisation_code:
            organisation = Organisation.objects.filter(code=organisation_code).first()
            if organisation is None:
                raise CommandError(
                    _("There is no organisation with code “%(code)s”.")
                    % {"code": organisation_code}
                )
            return Scope(organisation=organisation)
        return Scope()


def _produce(fmt, start, end, scope, top: int, masked: bool, source) -> tuple[bytes, str]:
    """The file's bytes and the note on where its data was read."""
    note = source.note()
    # The JSON is the contract's object (INDICATORS.md); the files add the referrals.
    report = build_report(start, end, scope, top=top, with_referrals=fmt != "json")
    if fmt == "json":
        text = json.dumps(report, default=to_json_value, ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8"), note
    if fmt == "xlsx":
        from crocevia.reporting.xlsx import report_xlsx

        return report_xlsx(report, mask=masked, data_note=note), note
    from crocevia.reporting.pdf import report_pdf

    return report_pdf(report, mask=masked, data_note=note), note


def _cannot_write(path: str, error: str) -> CommandError:
    return CommandError(_("Cannot write %(file)s: %(error)s") % {"file": path, "error": error})


def _check_output(path: str) -> None:
    """Refuse an --output that cannot be written before computing the report (which may
    take seconds); `_write_atomically` still handles what changes in between."""
    if os.path.isdir(path):
        raise _cannot_write(path, os.strerror(errno.EISDIR))
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise _cannot_write(path, os.strerror(errno.ENOENT))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise _cannot_write(path, os.strerror(errno.EACCES))


def _write_atomically(path: str, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (core.files.atomic_output)."""
    try:
        with atomic_output(path) as stream:
            stream.write(data)
    except OSError as exc:
        raise _cannot_write(path, exc.strerror or str(exc)) from None
