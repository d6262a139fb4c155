"""The demo's referrals in every state: the desks' referrals (made by their contacts'
outcome) answered by the receiving organisations' operators, some completed, some
declined, one withdrawn by the desk; the most recent still waiting, a few of them
overdue. Through the services (desk.referrals), as an operator would."""

import datetime
import itertools

from django.db.models import Count
from django.utils import timezone

from crocevia.accounts.models import Membership, Profile
from crocevia.desk.models import Referral
from crocevia.desk.referrals import referral_answer, referral_complete, referral_withdraw

# What happens to the older referrals, in turn (the newest month stays waiting).
PATTERN = ("accept", "complete", "decline", "complete", "leave", "accept", "withdraw")
DECLINE_REASONS = (
    "La persona non è residente nel territorio del Centro: inviata al CPI competente.",
    "Il servizio richiesto non è erogato dall'ente: indicato il servizio corretto.",
    "La persona non si è presentata ai due appuntamenti fissati.",
)
COMPLETED = (
    "Iscrizione al CPI, DID rilasciata e patto di servizio sottoscritto.",
    "Inserita nel corso di italiano A2 del CPIA.",
    "Colloquio di orientamento svolto; attivata la ricerca attiva del lavoro.",
)
WAITING_DAYS = 30


def _operators() -> dict[int, object]:
    """A first operator of each organisation to answer: not a monitoring officer, nor a
    social worker (whose acceptance would open a case: the demo's cases are its own)."""
    first = {}
    for m in (
        Membership.objects.filter(active=True)
        .exclude(profile__in=(Profile.MONITORING_OFFICER, Profile.SOCIAL_WORKER))
        .select_related("user")
        .order_by("pk")
    ):
        first.setdefault(m.organisation_id, m.user)
    return first


def _day(day: datetime.date, plus: int, today: datetime.date) -> datetime.date:
    return min(day + datetime.timedelta(days=plus), today)


def answer_demo_referrals() -> dict[str, int]:
    """Answer the demo's older referrals (once: nothing is done if any is answered)."""
    counts = dict.fromkeys(Referral.State.values, 0)
    if Referral.objects.exclude(state=Referral.State.SENT).exists():
        return counts
    today = timezone.localdate()
    operators = _operators()
    older = Referral.objects.filter(
        state=Referral.State.SENT,
        to_organisation__isnull=False,
        sent_on__lt=today - datetime.timedelta(days=WAITING_DAYS),
    ).order_by("sent_on", "pk")
    reasons = itertools.cycle(DECLINE_REASONS)
    done = itertools.cycle(COMPLETED)
    for referral, step in zip(older, itertools.cycle(PATTERN), strict=False):
        receiver = operators.get(referral.to_organisation_id)
        sender = referral.sent_by or operators.get(referral.from_organisation_id)
        if receiver is None or sender is None or step == "leave":
            continue
        if step == "withdraw":
            referral_withdraw(
                actor=sender,
                referral=referral,
                on=_day(referral.sent_on, 2, today),
                note="La persona si è trasferita in un altro comune.",
            )
            continue
        referral_answer(
            actor=receiver,
            referral=referral,
            accept=step != "decline",
            on=_day(referral.sent_on, 4, today),
            note=next(reasons) if step == "decline" else "",
        )
        if step == "complete":
            referral_complete(
                actor=receiver,
                referral=referral,
                on=_day(referral.sent_on, 25, today),
                note=next(done),
            )
    for row in Referral.objects.values("state").annotate(n=Count("pk")).order_by():
        counts[row["state"]] = row["n"]
    return counts
