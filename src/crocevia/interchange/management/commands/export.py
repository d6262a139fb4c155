"""`crocevia export KIND`: every record of a kind in the interchange format.

Same columns as the import, rows in key order, dates YYYY-MM-DD, lists with `;`: an
export imported into an empty database exports again byte for byte. `--pseudonymise`
needs CROCEVIA_PSEUDONYM_KEY (see interchange/README.md).
"""

import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from crocevia.interchange.engine import write_export
from crocevia.interchange.kinds import kind_names
from crocevia.interchange.pseudonym import MissingKey


class Command(BaseCommand):
    help = "Export a kind in the interchange format (CSV or XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kind_names())
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", metavar="FILE", help="default: standard output (CSV)")
        parser.add_argument("--pseudonymise", action="store_true")

    def handle(self, *args, **options):
        translation.activate("it")
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise CommandError("--format xlsx needs --output FILE.")
        try:
            if output:
                with open(output, "wb") as stream:
                    write_export(
                        options["kind"], stream, fmt=fmt, pseudonymise=options["pseudonymise"]
                    )
            else:
                sys.stdout.flush()
                write_export(
                    options["kind"],
                    sys.stdout.buffer,
                    fmt=fmt,
                    pseudonymise=options["pseudonymise"],
                )
                sys.stdout.buffer.flush()
        except MissingKey as exc:
            raise CommandError(str(exc)) from None
        except BrokenPipeError:
            # Piped into `head`: the reader has gone; that is not an error of ours.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
