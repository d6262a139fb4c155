"""The cases' periodic job (CROCEVIA_PERIODIC_JOBS "notify-overdue", daily), run by the
workers; `crocevia notify_overdue` runs the same by hand. Here rather than in the
notifications app, which sits below the referrals and cases it reads."""

from django_tasks import task

from crocevia.desk.referrals import notify_overdue_referrals

from .services.reviews import notify_overdue_reviews


def run_notify_overdue() -> dict:
    """Tell, once, of the referral answers and reviews that became overdue. Safe to run
    again: each is told once (its `overdue_told_on`)."""
    return {"referrals": notify_overdue_referrals(), "reviews": notify_overdue_reviews()}


@task()
def notify_overdue() -> dict:
    return run_notify_overdue()
