"""`crocevia export KIND`: every record of a kind in the interchange format.

Same columns as the import, rows in key order, dates YYYY-MM-DD, lists with `;`: an
export imported into an empty database exports again byte for byte. `--pseudonymise`
needs CROCEVIA_PSEUDONYM_KEY (see interchange/README.md).

Every export is an audit event (an access to personal data), recorded as `--user` when
given. `--password-file FILE` writes an AES-256 ZIP archive protected by the password
read from FILE (never from the command line, which other users of the machine can see).
"""

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crocevia.core.archive import WeakPassword, check_archive_password, write_protected_zip
from crocevia.core.files import atomic_output
from crocevia.interchange import services
from crocevia.interchange.engine import write_export
from crocevia.interchange.kinds import kind_names
from crocevia.interchange.pseudonym import MissingKey
from crocevia.interchange.scope import Scope
from crocevia.interchange.views import FILE_NAMES


class Command(BaseCommand):
    help = "Export a kind in the interchange format (CSV or XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kind_names())
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", metavar="FILE", help="default: standard output (CSV)")
        parser.add_argument("--pseudonymise", action="store_true")
        parser.add_argument(
            "--password-file",
            metavar="FILE",
            help="write a password-protected ZIP (AES-256); the password is the first line "
            "of FILE; needs --output",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="the operator the export is recorded as in the audit trail",
        )

    def handle(self, *args, **options):
        translation.activate("it")
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output and not options["password_file"]:
            raise CommandError(_("--format xlsx needs --output FILE."))
        actor = self._actor(options["user"])
        password = self._password(options["password_file"], output)
        kind, pseudonymise = options["kind"], options["pseudonymise"]
        try:
            if password is not None:
                self._write_archive(kind, fmt, pseudonymise, output, password)
            elif output:
                self._write_file(
                    output, lambda s: write_export(kind, s, fmt=fmt, pseudonymise=pseudonymise)
                )
            else:
                sys.stdout.flush()
                write_export(kind, sys.stdout.buffer, fmt=fmt, pseudonymise=pseudonymise)
                sys.stdout.buffer.flush()
        except MissingKey as exc:
            raise CommandError(str(exc)) from None
        except BrokenPipeError:
            # Piped into `head`: the reader has gone; that is not an error of ours.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        with transaction.atomic():
            services.export_audit(
                user=actor,
                kind=kind,
                fmt=fmt,
                pseudonymise=pseudonymise,
                scope=Scope.everything(actor),
                protected=password is not None,
                channel="command",
            )

    def _actor(self, username):
        if not username:
            return None
        from django.contrib.auth import get_user_model

        actor = get_user_model().objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(_("No active user is called %(username)s.") % {"username": username})
        return actor

    def _password(self, path, output) -> str | None:
        if not path:
            return None
        if not output:
            raise CommandError(_("--password-file needs --output FILE (a .zip archive)."))
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Cannot read the password file %(file)s: %(error)s")
                % {"file": path, "error": getattr(exc, "strerror", None) or exc}
            ) from None
        password = lines[0] if lines else ""
        try:
            check_archive_password(password)
        except WeakPassword as exc:
            raise CommandError(str(exc)) from None
        return password

    def _write_file(self, output, write):
        """Whole or not at all, readable by its owner only: the export holds personal data."""
        try:
            with atomic_output(output, private=True) as stream:
                write(stream)
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s")
                % {"file": output, "error": exc.strerror or exc}
            ) from None

    def _write_archive(self, kind, fmt, pseudonymise, output, password):
        base = FILE_NAMES.get(kind, kind) + ("-pseudonimi" if pseudonymise else "")
        name = f"{base}-{timezone.localdate():%Y-%m-%d}.{fmt}"
        with tempfile.TemporaryFile() as spool:
            write_export(kind, spool, fmt=fmt, pseudonymise=pseudonymise)
            spool.seek(0)
            self._write_file(output, lambda s: write_protected_zip(s, [(name, spool)], password))
