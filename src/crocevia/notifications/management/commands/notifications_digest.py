"""`crocevia notifications_digest`: the daily digest, by hand. The workers send it every
morning (the periodic job "notifications-digest": README, "The worker"). One e-mail per
operator gathering their digest notifications not yet mailed; running it twice sends
nothing twice."""

from django.core.management.base import BaseCommand

from crocevia.notifications.tasks import run_digests, send_digests


class Command(BaseCommand):
    help = "Send the daily digest e-mail of notifications (one per operator)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Leave the digest to the worker (a job) instead of sending it now.",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = send_digests.enqueue()
            self.stdout.write(f"Digest job enqueued: {result.id}")
            return
        totals = run_digests()
        self.stdout.write(
            "Digest: {users} operators, {sent} notifications mailed, {retrying} to retry, "
            "{failed} failed, {requeued} half-sent put back.".format(**totals)
        )
