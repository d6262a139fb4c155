"""`crocevia notify_overdue`: tell, once, of the answers and reviews that became overdue.
The workers run it every morning (the periodic job "notify-overdue": README, "The
worker"); this command runs it by hand. The referrals' receivers and senders learn of an
answer late by more than CROCEVIA_REFERRAL_ANSWER_WORKING_DAYS working days; a case
manager, of a review past its day and not recorded."""

from django.core.management.base import BaseCommand

from ...tasks import run_notify_overdue


class Command(BaseCommand):
    help = "Notify overdue referral answers and reviews (once each)."

    def handle(self, *args, **options):
        told = run_notify_overdue()
        self.stdout.write(
            f"Overdue: {told['referrals']} referral answers, {told['reviews']} reviews notified."
        )
