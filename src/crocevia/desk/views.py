"""Thin views of the desk: access → form → service → redirect or partial."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crocevia.core.forms import add_service_errors
from crocevia.core.htmx import render_page_or_partial
from crocevia.people.access import get_person_for
from crocevia.people.sharing import has_network_sharing_consent

from . import services
from .access import contact_desks_for, daily_register_for, get_contact_for, get_desk_for
from .forms import ContactForm, RegisterFilterForm
from .selectors import contacts_for_person, desks_for_register


def _person_url(person) -> str:
    return reverse("people:detail", args=[person.pk])


@require_http_methods(["GET", "POST"])
def contact_create(request, person_pk):
    person = get_person_for(request.user, person_pk, write=True)
    desks = contact_desks_for(request.user)
    form = ContactForm(request.POST or None, desks=desks)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_record(actor=request.user, person=person, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect(_person_url(person))
    context = {
        "form": form,
        "person": person,
        "contact": None,
        "has_consent": has_network_sharing_consent(person),
    }
    return render(request, "desk/contact_form.html", context)


@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    contact = get_contact_for(request.user, pk, write=True)
    person = contact.person
    desks = desks_for_register(request.user)
    form = ContactForm(request.POST or None, desks=desks, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                actor=request.user,
                contact=contact,
                expected_version=form.cleaned_data.get("version"),
                **form.service_kwargs(),
            )
        except services.ConflictError as conflict:
            # Keep what was typed; the next save, after checking, is based on the new version.
            data = request.POST.copy()
            data["version"] = conflict.current.version
            form = ContactForm(data, desks=desks, contact=conflict.current)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else changed this contact while you were editing it. "
                    "Check its current values on the person's page; saving again will "
                    "replace them with what you see here."
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contact updated."))
            return redirect(_person_url(person))
    context = {
        "form": form,
        "person": person,
        "contact": contact,
        "has_consent": has_network_sharing_consent(person),
    }
    return render(request, "desk/contact_form.html", context)


@require_GET
def person_contacts(request, person_pk):
    person = get_person_for(request.user, person_pk)
    contacts = contacts_for_person(request.user, person)
    return render_page_or_partial(
        request,
        "desk/person_contacts.html",
        "desk/_person_contacts.html",
        {"person": person, "contacts": contacts},
    )


@require_GET
def register(request):
    """Today's (or the chosen day's) contacts at one of my desks, with a count per service."""
    desks = list(desks_for_register(request.user))
    desk_param = request.GET.get("desk")
    if desk_param:
        desk = get_desk_for(request.user, desk_param)
    elif desks:
        desk = desks[0]
    else:
        desk = None
    form = RegisterFilterForm(
        {
            "desk": desk.pk if desk else "",
            "day": request.GET.get("day") or timezone.localdate().isoformat(),
        },
        desks=desks,
    )
    context = {"form": form, "desk": desk, "desks": desks, "day": None}
    if desk is not None and form.is_valid():
        day = form.cleaned_data["day"]
        contacts, counts = daily_register_for(request.user, desk=desk, day=day)
        context.update(
            day=day,
            contacts=contacts,
            counts_given=[(s, n) for s, n in counts if n],
            counts_zero=[s for s, n in counts if not n],
            total_services=sum(n for _s, n in counts),
            is_today=day == timezone.localdate(),
            previous_day=day - datetime.timedelta(days=1),
            next_day=day + datetime.timedelta(days=1),
        )
    return render_page_or_partial(
        request, "desk/register.html", "desk/_register_results.html", context
    )
