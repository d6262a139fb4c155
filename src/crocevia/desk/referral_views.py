"""Referral pages: send from the person page, the receiver's inbox and decision, the
sender's list. Thin views: access → form → service → redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.core.forms import add_service_errors
from crocevia.people.access import get_person_for

from .access import (
    get_referral_for,
    referral_is_decidable_by,
    referral_senders_for,
    referrals_received_for,
    referrals_sent_for,
)
from .models import Referral
from .referral_forms import ReferralDecideForm, ReferralSendForm
from .referrals import referral_decide, referral_send


@require_http_methods(["GET", "POST"])
def referral_create(request, person_pk):
    person = get_person_for(request.user, person_pk)
    senders = referral_senders_for(request.user)
    form = ReferralSendForm(request.POST or None, senders=senders)
    if request.method == "POST" and form.is_valid():
        try:
            referral_send(actor=request.user, person=person, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Referral sent."))
            return redirect("people:detail", pk=person.pk)
    return render(request, "desk/referrals/send.html", {"form": form, "person": person})


def _list_context(referrals: list[Referral]) -> dict:
    """The referrals and how many per status (counted from the list: no second query)."""
    counts = {status.value: 0 for status in Referral.Status}
    for referral in referrals:
        counts[referral.status] += 1
    return {"referrals": referrals, "counts": {"total": len(referrals), **counts}}


@require_GET
def referral_inbox(request):
    """Referrals to my organisations: waiting ones first, then those decided."""
    context = _list_context(referrals_received_for(request.user))
    return render(request, "desk/referrals/inbox.html", {**context, "received": True})


@require_GET
def referral_sent_list(request):
    """Referrals from my organisations, with the receiver's decision."""
    context = _list_context(referrals_sent_for(request.user))
    return render(request, "desk/referrals/sent.html", {**context, "received": False})


def _detail(request, referral, form=None):
    received = referral_is_decidable_by(request.user, referral)
    can_decide = received and referral.status == referral.Status.PENDING
    if can_decide and form is None:
        form = ReferralDecideForm()
    return render(
        request,
        "desk/referrals/detail.html",
        {"referral": referral, "received": received, "form": form if can_decide else None},
    )


@require_GET
def referral_detail(request, pk):
    return _detail(request, get_referral_for(request.user, pk))


@require_POST
def referral_decide_view(request, pk):
    referral = get_referral_for(request.user, pk, write=True)
    form = ReferralDecideForm(request.POST)
    if form.is_valid():
        try:
            decided = referral_decide(
                actor=request.user,
                referral=referral,
                accept=form.accepts,
                on=form.cleaned_data["decided_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            current = get_referral_for(request.user, pk, write=True)
            if current.status != current.Status.PENDING:
                # Decided meanwhile by someone else: show what they decided.
                messages.error(request, " ".join(error.messages))
                return redirect("desk:referral_detail", pk=pk)
            add_service_errors(form, error)
        else:
            if decided.case is not None:
                messages.success(request, _("Referral accepted: a case has been opened."))
                return redirect("cases:detail", pk=decided.case.pk)
            if form.accepts:
                messages.success(request, _("Referral accepted."))
            else:
                messages.success(request, _("Referral refused."))
            return redirect(reverse("desk:referral_inbox"))
    return _detail(request, referral, form=form)
