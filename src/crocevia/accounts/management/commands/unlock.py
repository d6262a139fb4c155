"""crocevia unlock USERNAME | --address IP: lift a sign-in lock (see the README)."""

import ipaddress

from django.core.management.base import BaseCommand, CommandError

from crocevia.accounts.services import login_unlock


class Command(BaseCommand):
    help = "Lift the sign-in lock of a username, or of an address with --address."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="")
        parser.add_argument("--address", default="", help="an IPv4 or IPv6 address")

    def handle(self, *args, username="", address="", **options):
        if bool(username) == bool(address):
            raise CommandError("Give a USERNAME or --address IP (one of the two).")
        if address:
            try:
                address = str(ipaddress.ip_address(address.strip()))
            except ValueError as error:
                raise CommandError(f"Not an IP address: {address}") from error
        # From the command line: the audit event has no actor (the server's operator).
        lifted = login_unlock(actor=None, username=username, address=address)
        what = username or address
        self.stdout.write(f"{lifted} active lock(s) lifted for {what}; its failure count is reset.")
