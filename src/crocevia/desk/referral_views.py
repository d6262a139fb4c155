"""Referral pages: send from the person page, the receiver's inbox and the sender's
list (each a queue: filtered, ordered, paginated), a referral's page with what its
viewer may do (answer, complete, withdraw). Thin views: access → form → service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.core.forms import add_service_errors
from crocevia.people.access import get_person_for
from crocevia.people.sharing import has_network_sharing_consent

from .access import (
    get_referral_for,
    referral_is_decidable_by,
    referral_is_withdrawable_by,
    referral_queue_for,
    referral_senders_for,
)
from .models import Referral
from .referral_forms import (
    ReferralAnswerForm,
    ReferralCompleteForm,
    ReferralQueueForm,
    ReferralSendForm,
    ReferralWithdrawForm,
)
from .referrals import (
    is_overdue,
    referral_answer,
    referral_complete,
    referral_send,
    referral_withdraw,
)


@require_http_methods(["GET", "POST"])
def referral_create(request, person_pk):
    person = get_person_for(request.user, person_pk, write=True)
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
    context = {
        "form": form,
        "person": person,
        "has_consent": has_network_sharing_consent(person),
    }
    return render(request, "desk/referrals/send.html", context)


def _queue(request, *, received: bool, template: str):
    form = ReferralQueueForm(request.GET or None)
    page, counts, due_before = referral_queue_for(
        request.user, received=received, page=request.GET.get("page"), **form.filters()
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "referrals": page.object_list,
        "counts": counts,
        "due_before": due_before,
        "received": received,
        "form": form,
        "query": query.urlencode(),
    }
    return render(request, template, context)


@require_GET
def referral_inbox(request):
    """Referrals to my organisations: waiting ones first, the oldest on top."""
    return _queue(request, received=True, template="desk/referrals/inbox.html")


@require_GET
def referral_sent_list(request):
    """Referrals from my organisations, with the receiver's answer."""
    return _queue(request, received=False, template="desk/referrals/sent.html")


def _detail(request, referral, **forms):
    received = referral_is_decidable_by(request.user, referral)
    sent = referral_is_withdrawable_by(request.user, referral)
    State = Referral.State
    if received and referral.state == State.SENT:
        forms.setdefault("answer_form", ReferralAnswerForm())
    if received and referral.state == State.ACCEPTED:
        forms.setdefault("complete_form", ReferralCompleteForm())
    if sent and referral.is_open:
        forms.setdefault("withdraw_form", ReferralWithdrawForm())
    context = {
        "referral": referral,
        "received": received,
        "overdue": is_overdue(referral),
        **forms,
    }
    return render(request, "desk/referrals/detail.html", context)


@require_GET
def referral_detail(request, pk):
    return _detail(request, get_referral_for(request.user, pk))


def _act(request, pk, form_class, form_name, act, states, side="receiver"):
    """POST of one of the referral's forms: the service, or the page again with errors.
    A referral no longer in one of `states` (answered or withdrawn meanwhile by someone
    else) is shown as it is now, with a message."""
    referral = get_referral_for(request.user, pk, write=True, side=side)
    if referral.state not in states:
        messages.error(
            request,
            _("This referral changed meanwhile: it is now “%(state)s”.")
            % {"state": referral.get_state_display()},
        )
        return redirect("desk:referral_detail", pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = act(referral, form)
        except ValidationError as error:
            current = get_referral_for(request.user, pk)
            if current.state != referral.state:
                # Answered or withdrawn meanwhile by someone else: show what happened.
                messages.error(request, " ".join(error.messages))
                return redirect("desk:referral_detail", pk=pk)
            add_service_errors(form, error)
        else:
            return result
    return _detail(request, referral, **{form_name: form})


@require_POST
def referral_answer_view(request, pk):
    def act(referral, form):
        answered = referral_answer(
            actor=request.user,
            referral=referral,
            accept=form.accepts,
            on=form.cleaned_data["on"],
            note=form.cleaned_data["note"],
        )
        if answered.opened_case is not None:
            messages.success(request, _("Referral accepted: a case has been opened."))
            return redirect("cases:detail", pk=answered.opened_case.pk)
        if form.accepts and answered.case_id is not None:
            messages.success(request, _("Referral accepted: it joins the person's open case."))
            return redirect("cases:detail", pk=answered.case_id)
        if form.accepts:
            messages.success(request, _("Referral accepted."))
        else:
            messages.success(request, _("Referral declined."))
        return redirect("desk:referral_detail", pk=pk)

    return _act(request, pk, ReferralAnswerForm, "answer_form", act, [Referral.State.SENT])


def _closing_view(service, form_class, form_name, states, side, done):
    """The view of a step that closes a referral (complete, withdraw): `service(actor=,
    referral=, on=, note=)`, then back to the referral with the message `done`."""

    @require_POST
    def view(request, pk):
        def act(referral, form):
            service(
                actor=request.user,
                referral=referral,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, done())
            return redirect("desk:referral_detail", pk=pk)

        return _act(request, pk, form_class, form_name, act, states, side)

    return view


referral_complete_view = _closing_view(
    referral_complete,
    ReferralCompleteForm,
    "complete_form",
    [Referral.State.ACCEPTED],
    "receiver",
    lambda: _("Referral completed."),
)
referral_withdraw_view = _closing_view(
    referral_withdraw,
    ReferralWithdrawForm,
    "withdraw_form",
    Referral.OPEN_STATES,
    "sender",
    lambda: _("Referral withdrawn."),
)
