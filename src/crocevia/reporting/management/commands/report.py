"""`crocevia report --from --to [--zone CODE | --organisation CODE] --format json`.

Prints the report of ../shared/domain/INDICATORS.md "The report": one JSON object with
the period, the scope and every indicator key. Messages are in Italian.
"""

import datetime
import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from crocevia.network.models import Organisation, Zone
from crocevia.reporting.indicators import Scope, build_report, to_json_value

FORMATS = ("json", "xlsx", "pdf")
AVAILABLE_FORMATS = ("json",)


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
        if fmt not in AVAILABLE_FORMATS:
            raise CommandError(
                _("The %(format)s export is not available yet: use --format json.")
                % {"format": fmt}
            )
        top = options["top"]
        if not top.isdigit() or int(top) < 1:
            raise CommandError(
                _("--top: “%(value)s” is not a whole number of at least 1.") % {"value": top}
            )
        scope = self._scope(options["zone"], options["organisation"])
        report = build_report(start, end, scope, top=int(top))
        text = json.dumps(report, default=to_json_value, ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8") as stream:
                    stream.write(text)
            except OSError as exc:
                raise CommandError(
                    _("Cannot write %(file)s: %(error)s")
                    % {"file": options["output"], "error": exc.strerror}
                ) from None
            return
        try:
            self.stdout.write(text, ending="")
            self.stdout.flush()
        except BrokenPipeError:
            # Piped into `head`: the reader has gone; that is not an error of ours.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

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
