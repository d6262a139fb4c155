"""`crocevia notify_overdue`: tell, once, of the answers and reviews that became overdue
(run it once a day, beside the digest: README, Production). The referrals' receivers and
senders learn of an answer late by more than CROCEVIA_REFERRAL_ANSWER_WORKING_DAYS working
days; a case manager, of a review past its day and not recorded."""

from django.core.management.base import BaseCommand

from crocevia.desk.referrals import notify_overdue_referrals

from ...services.reviews import notify_overdue_reviews


class Command(BaseCommand):
    help = "Notify overdue referral answers and reviews (once each)."

    def handle(self, *args, **options):
        referrals = notify_overdue_referrals()
        reviews = notify_overdue_reviews()
        self.stdout.write(f"Overdue: {referrals} referral answers, {reviews} reviews notified.")
