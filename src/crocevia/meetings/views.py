"""Thin views of meetings and of the case lists (access → form → service)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.cases.access import cases_shown_to, get_case_for
from crocevia.cases.models import TeamMember
from crocevia.core.forms import add_service_errors
from crocevia.core.htmx import render_page_or_partial
from crocevia.network.models import Organisation
from crocevia.plans.models import Action, Plan, PlanVersion
from crocevia.plans.selectors import operators_for_plan

from . import lists, services
from .access import can_edit_meeting, can_read_restricted_text, get_meeting_for
from .forms import CaseFilterForm, MeetingActionForm, MeetingFilterForm, MeetingForm
from .models import Meeting
from .selectors import (
    annotate_has_minutes,
    meeting_items_visible_to,
    meeting_zone_ids,
    meetings_visible_to,
)

PAGE_SIZE = 50


# --- Case lists ----------------------------------------------------------------------


def _case_list(request, *, title, base, select, url_name, intro, export_cases=False):
    form = CaseFilterForm(request.GET or None, managers=lists.case_managers_of(base))
    queryset = select(request.user, **form.filters())
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page_or_partial(
        request,
        "meetings/case_list.html",
        "meetings/_case_list_results.html",
        {
            "title": title,
            "intro": intro,
            "form": form,
            "page": page,
            "cases": cases_shown_to(request.user, page.object_list),
            "list_url": reverse(f"cases:{url_name}"),
            "query": query.urlencode(),
            "today": timezone.localdate(),
            "export_cases": export_cases,
        },
    )


@require_GET
def my_cases(request):
    return _case_list(
        request,
        title=_("My cases"),
        base=lists.my_cases_base(request.user),
        select=lists.my_cases,
        url_name="followup_my_cases",
        intro=_("Cases you manage or whose team you are on."),
    )


@require_GET
def zone_cases(request):
    if not lists.is_coordinator(request.user):
        raise PermissionDenied(_("Only zone coordinators see every case of the zone."))
    return _case_list(
        request,
        title=_("Zone cases"),
        base=lists.zone_cases_base(request.user),
        select=lists.zone_cases,
        url_name="followup_zone_cases",
        intro=_("Every case of the zones you coordinate."),
        export_cases=True,
    )


# --- Meetings ------------------------------------------------------------------------


def _require_meeting_zone(user) -> None:
    if not meeting_zone_ids(user):
        raise PermissionDenied(_("You do not work in any zone."))


@require_GET
def meeting_list(request):
    _require_meeting_zone(request.user)
    form = MeetingFilterForm(request.GET or None)
    meetings = annotate_has_minutes(
        meetings_visible_to(request.user)
        .select_related("zone")
        .annotate(
            n_attendees=Count("attendees", distinct=True),
            n_cases=Count("cases", distinct=True),
        )
    ).order_by("-held_on", "-pk")
    if form.is_valid() and form.cleaned_data["kind"]:
        meetings = meetings.filter(kind=form.cleaned_data["kind"])
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "meetings/meeting_list.html",
        {"form": form, "page": page, "meetings": page.object_list, "query": query.urlencode()},
    )


def _meeting_form_page(request, form, meeting, hidden_cases=0):
    return render(
        request,
        "meetings/meeting_form.html",
        {"form": form, "meeting": meeting, "hidden_cases": hidden_cases},
    )


@require_http_methods(["GET", "POST"])
def meeting_create(request):
    _require_meeting_zone(request.user)
    if request.method == "POST" and "refresh" in request.POST:
        # Show the minutes and decisions of the cases now selected; nothing is saved.
        form = MeetingForm(user=request.user, initial=MeetingForm.initial_from(request.POST))
        return _meeting_form_page(request, form, None)
    initial = {}
    if request.GET.get("case", "").isdigit():
        # "Record a meeting about this case", from the case page.
        initial["cases"] = [int(request.GET["case"])]
    form = MeetingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_record(actor=request.user, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("cases:followup_meeting_detail", meeting.pk)
    return _meeting_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = get_meeting_for(request.user, pk)
    if not can_edit_meeting(request.user, meeting):
        raise PermissionDenied(_("Only the author or a coordinator of the zone can change it."))
    items, hidden = meeting_items_visible_to(request.user, meeting)
    restricted = None
    if meeting.has_restricted_text and can_read_restricted_text(
        request.user, meeting, hidden_cases=hidden
    ):
        restricted = (meeting.restricted_minutes, meeting.restricted_decisions)
    options = {
        "user": request.user,
        "items": {item.case_id: item for item in items},
        "restricted": restricted,
    }
    if request.method == "POST" and "refresh" in request.POST:
        form = MeetingForm(initial=MeetingForm.initial_from(request.POST), **options)
        return _meeting_form_page(request, form, meeting, hidden)
    initial = {
        "kind": meeting.kind,
        "held_on": meeting.held_on,
        "zone": meeting.zone_id,
        "attendees": list(meeting.attendees.values_list("pk", flat=True)),
        "cases": [item.case_id for item in items],
        "notes": meeting.notes,
        "version": meeting.version,
    }
    form = MeetingForm(request.POST or None, initial=initial, **options)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(
                actor=request.user,
                meeting=meeting,
                expected_version=form.cleaned_data.get("version"),
                **form.service_data(),
            )
        except services.ConflictError as conflict:
            # Keep what was typed; the next save, after checking, is based on the new version.
            data = request.POST.copy()
            data["version"] = conflict.current.version
            form = MeetingForm(data, initial=initial, **options)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else changed this meeting while you were editing it, so your "
                    "changes were not saved. Check the meeting's page; saving again will "
                    "replace its minutes with what you see here."
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Meeting updated."))
            return redirect("cases:followup_meeting_detail", meeting.pk)
    return _meeting_form_page(request, form, meeting, hidden)


def _meeting_action_forms(user, meeting: Meeting, items: list, bound=None) -> list[dict]:
    """One "decision as plan action" form per open case discussed that has a plan.

    ``items`` are the meeting's items of the cases the user sees (hence may change,
    unless closed); ``bound`` is (case pk, bound form) when a submitted form comes back
    with errors. A fixed number of queries whatever the number of cases.
    """
    open_items = {item.case_id: item for item in items if not item.case.is_closed}
    plans = {p.case_id: p for p in Plan.objects.filter(case_id__in=open_items)}
    if not plans:
        return []
    latest: dict[int, PlanVersion] = {}
    for version in PlanVersion.objects.filter(plan__in=plans.values()).order_by("number"):
        latest[version.plan_id] = version
    already: dict[int, list] = {}
    for action in Action.objects.filter(
        from_meeting=meeting, version__in=[v.pk for v in latest.values()]
    ).select_related("version"):
        already.setdefault(action.version.plan_id, []).append(action)
    members: dict[int, list] = {}
    for member in TeamMember.objects.filter(
        case_id__in=plans, removed_on__isnull=True
    ).select_related("user"):
        members.setdefault(member.case_id, []).append(member.user)
    organisation_choices = [(o.pk, str(o)) for o in Organisation.objects.order_by("name")]
    rows = []
    for case_pk, plan in plans.items():
        item = open_items[case_pk]
        case = item.case
        people = {u.pk: u for u in members.get(case_pk, [])}
        if case.case_manager is not None:
            people[case.case_manager.pk] = case.case_manager
        people[user.pk] = user
        ordered = sorted(people.values(), key=lambda u: (u.last_name, u.first_name, u.pk))
        if bound is not None and bound[0] == case_pk:
            form = bound[1]
        else:
            form = MeetingActionForm(
                prefix=f"case{case_pk}",
                # The description starts as what the meeting decided about this case.
                initial={"description": item.decisions},
                operators=operators_for_plan(case, also=user),
                operator_choices=[(u.pk, str(u)) for u in ordered],
                organisation_choices=organisation_choices,
            )
        rows.append(
            {
                "case": case,
                "plan": plan,
                "version": latest.get(plan.pk),
                "already": already.get(plan.pk, []),
                "form": form,
            }
        )
    rows.sort(key=lambda row: row["case"].pk)
    return rows


def _meeting_detail_page(request, meeting: Meeting, *, bound=None):
    items, hidden = meeting_items_visible_to(request.user, meeting)
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "attendees": list(meeting.attendees.order_by("last_name", "first_name")),
            "items": items,
            "cases": [item.case for item in items],
            "hidden_cases": hidden,
            "show_restricted": meeting.has_restricted_text
            and can_read_restricted_text(request.user, meeting, hidden_cases=hidden),
            "can_edit": can_edit_meeting(request.user, meeting),
            "action_forms": _meeting_action_forms(request.user, meeting, items, bound),
        },
    )


@require_GET
def meeting_detail(request, pk):
    meeting = get_meeting_for(request.user, pk)
    return _meeting_detail_page(request, meeting)


def _mark_invalid(form: forms.Form) -> None:
    """Mark the fields a service refused as StyledFormMixin marks the form's own errors."""
    for name in form.errors:
        if name not in form.fields:
            continue
        attrs = form.fields[name].widget.attrs
        error_id = f"{form.add_prefix(name)}-error"
        attrs["aria-invalid"] = "true"
        described = attrs.get("aria-describedby", "").split()
        if error_id not in described:
            attrs["aria-describedby"] = " ".join([*described, error_id])
        if "is-invalid" not in attrs.get("class", "").split():
            attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


@require_POST
def meeting_action_add(request, pk, case_pk):
    """A decision of the meeting becomes an action of the plan of a case discussed there."""
    meeting = get_meeting_for(request.user, pk)
    if not meeting.cases.filter(pk=case_pk).exists():
        raise Http404(_("Case not found."))
    case = get_case_for(request.user, case_pk, write=True)
    form = MeetingActionForm(
        request.POST, prefix=f"case{case.pk}", operators=operators_for_plan(case, also=request.user)
    )
    if form.is_valid():
        try:
            version = services.plan_action_add_from_meeting(
                actor=request.user, meeting=meeting, case=case, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
            _mark_invalid(form)
        else:
            messages.success(
                request,
                _("Action added to the plan of case %(id)s (version %(n)s).")
                % {"id": case.pk, "n": version.number},
            )
            return redirect("cases:followup_meeting_detail", meeting.pk)
    return _meeting_detail_page(request, meeting, bound=(case.pk, form))
