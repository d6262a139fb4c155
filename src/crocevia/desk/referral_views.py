"""Referral pages: send from the person page, the receiver's inbox and decision, the
sender's list. Thin views: access → form → service → redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.accounts.selectors import is_monitoring_only, organisations_of
from crocevia.network.models import Organisation
from crocevia.people.access import get_person_for
from crocevia.people.services import person_access_record

from .forms import add_service_errors
from .referral_forms import ReferralDecideForm, ReferralSendForm
from .referral_selectors import (
    get_referral_for,
    referral_counts,
    referral_is_decidable_by,
    referrals_received,
    referrals_sent,
)
from .referrals import referral_decide, referral_send


def _senders(user):
    if user.is_superuser:
        return Organisation.objects.order_by("name")
    return organisations_of(user).order_by("name")


@require_http_methods(["GET", "POST"])
def referral_create(request, person_pk):
    person = get_person_for(request.user, person_pk)
    senders = _senders(request.user)
    if is_monitoring_only(request.user) or not senders.exists():
        raise PermissionDenied(_("You do not work for any organisation of the network."))
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


def _list_context(referrals) -> dict:
    return {"referrals": list(referrals), "counts": referral_counts(referrals)}


@require_GET
def referral_inbox(request):
    """Referrals to my organisations: waiting ones first, then those decided."""
    context = _list_context(referrals_received(request.user))
    return render(request, "desk/referrals/inbox.html", {**context, "received": True})


@require_GET
def referral_sent_list(request):
    """Referrals from my organisations, with the receiver's decision."""
    context = _list_context(referrals_sent(request.user))
    return render(request, "desk/referrals/sent.html", {**context, "received": False})


def _detail(request, referral, form=None):
    person_access_record(actor=request.user, person=referral.person)
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
