"""`crocevia duplicates scan`: look for possible duplicates in the whole registry.

Records the pairs of live records born on the same day with a similar name (other
spellings, inverted names), and those holding back a code another record has, as open
pairs of the duplicates queue (/persone/duplicati/). Pairs already known, whatever their
state (open, different persons, merged), are left as they are. The registry's writes
(forms, imports) scan the birth dates they touch; this command is for a registry loaded
by other means, or after the matching rules change. Messages are in Italian.
"""

import time

from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crocevia.people.models import DuplicatePair
from crocevia.people.pairs import scan_duplicates


class Command(BaseCommand):
    help = "Possible duplicates in the registry: `scan` records the pairs found."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="scan")
        sub.add_parser("scan", help="scan the whole registry and record the new pairs")

    def handle(self, *args, action, **options):
        translation.activate("it")
        started = time.monotonic()
        found = scan_duplicates()
        waiting = DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).count()
        self.stdout.write(
            ngettext(
                "%(found)d new pair of possible duplicates found in %(seconds).1f s.",
                "%(found)d new pairs of possible duplicates found in %(seconds).1f s.",
                found,
            )
            % {"found": found, "seconds": time.monotonic() - started}
        )
        self.stdout.write(
            _("Pairs waiting to be checked: %(waiting)d (/persone/duplicati/).")
            % {"waiting": waiting}
        )
