"""Thin views of the follow-up: case lists, reviews and meetings (access → form → service)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.accounts.models import Membership, User
from crocevia.core.forms import PlausibleDateField, StyledFormMixin, add_service_errors
from crocevia.core.htmx import render_page_or_partial
from crocevia.network.models import Organisation, Zone

from . import followup, lists
from .access import cases_shown_to, get_case_for, get_meeting_for, meeting_case_choices_for
from .models import Meeting, NeedClass, Review, Stage, TeamMember

PAGE_SIZE = 50


# --- Forms ---------------------------------------------------------------------------


class CaseFilterForm(StyledFormMixin, forms.Form):
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"),
        required=False,
        choices=[("", gettext_lazy("Any open stage"))]
        + [c for c in Stage.choices if c[0] != Stage.CLOSED]
        + [(Stage.CLOSED, gettext_lazy("Closed (archive)"))],
    )
    need_class = forms.ChoiceField(
        label=gettext_lazy("Need class"),
        required=False,
        choices=[("", gettext_lazy("Any need class"))] + NeedClass.choices,
    )
    case_manager = forms.ModelChoiceField(
        label=gettext_lazy("Case manager"),
        required=False,
        queryset=User.objects.none(),
        empty_label=gettext_lazy("Any case manager"),
    )
    overdue = forms.BooleanField(label=gettext_lazy("Only with overdue items"), required=False)
    manager_to_appoint = forms.BooleanField(
        label=gettext_lazy("Only with the case manager to be appointed"), required=False
    )

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = managers
        self.fields["case_manager"].label_from_instance = lambda u: u.get_full_name() or u.username

    def filters(self) -> dict:
        """Closed cases are archived: the lists leave them out unless the archive is asked."""
        if not self.is_valid():
            return {"open_only": True}
        filters = {k: v for k, v in self.cleaned_data.items() if v}
        return {**filters, "open_only": not filters.get("stage")}


class ReviewScheduleForm(StyledFormMixin, forms.Form):
    scheduled_on = PlausibleDateField(label=gettext_lazy("Review on"), allow_future=True)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of review"), choices=Review.Kind.choices, initial="in_itinere"
    )


class ReviewRecordForm(StyledFormMixin, forms.Form):
    review = forms.ModelChoiceField(
        label=gettext_lazy("Review"), queryset=Review.objects.none(), empty_label=None
    )
    held_on = PlausibleDateField(label=gettext_lazy("Held on"))
    notes = forms.CharField(
        label=gettext_lazy("What the review found"), widget=forms.Textarea(attrs={"rows": 3})
    )
    next_on = PlausibleDateField(
        label=gettext_lazy("Next review on"),
        required=False,
        allow_future=True,
        help_text=gettext_lazy("Leave empty if no further review is planned."),
    )

    def __init__(self, *args, case=None, pending=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pending is not None:
            # The case page passes the pending reviews it already loaded (no extra query).
            self.fields["review"].queryset = Review.objects.filter(pk__in=[r.pk for r in pending])
            self.fields["review"].choices = [(r.pk, str(r)) for r in pending]
        elif case is not None:
            self.fields["review"].queryset = case.reviews.filter(held_on__isnull=True)
        self.fields["held_on"].initial = timezone.localdate()


def _textarea(rows: int, help_of: str = "") -> forms.Textarea:
    """A text area styled as StyledFormMixin styles the fields declared on the class (the
    fields added after its __init__ would otherwise miss it)."""
    attrs = {"rows": rows, "class": "form-control"}
    if help_of:
        attrs["aria-describedby"] = f"{help_of}-help"
    return forms.Textarea(attrs=attrs)


def _case_label(case) -> str:
    return _("Case %(id)s – %(person)s") % {"id": case.pk, "person": case.person.full_name}


class MeetingForm(StyledFormMixin, forms.Form):
    """A meeting: who, when, the cases discussed, each with its own minutes and decisions
    (fields `case_<pk>_minutes`, `case_<pk>_decisions`, one pair per case selected), and
    general notes. The earlier minutes (`restricted_*`) only when `restricted` is given."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind of meeting"), choices=Meeting.Kind.choices)
    held_on = PlausibleDateField(label=gettext_lazy("Date"))
    zone = forms.ModelChoiceField(label=gettext_lazy("Zone"), queryset=Zone.objects.none())
    attendees = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Attendees"), queryset=User.objects.none()
    )
    cases = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Cases discussed"),
        queryset=None,
        required=False,
        help_text=gettext_lazy(
            "Each case selected gets its own minutes and decisions below (press "
            "“Show the cases selected” after changing the selection)."
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("General notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Read by everyone who opens the meeting: never about a person. What concerns "
            "a case goes beside that case."
        ),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, user, items=None, restricted=None, **kwargs):
        super().__init__(*args, **kwargs)
        zones = followup.meeting_zone_ids(user)
        self.fields["zone"].queryset = Zone.objects.filter(pk__in=zones).order_by("name")
        members = Membership.objects.filter(
            user_id=OuterRef("pk"), active=True, organisation__zone_id__in=zones
        )
        self.fields["attendees"].queryset = User.objects.filter(
            Exists(members), is_active=True
        ).order_by("last_name", "first_name", "username")
        self.fields["attendees"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["cases"].queryset = meeting_case_choices_for(user, zones)
        self.fields["cases"].label_from_instance = _case_label
        if len(zones) == 1:
            self.fields["zone"].initial = next(iter(zones))
        if restricted is not None:
            self.fields["restricted_minutes"] = forms.CharField(
                label=gettext_lazy("Earlier minutes"),
                required=False,
                initial=restricted[0],
                widget=_textarea(6),
            )
            self.fields["restricted_decisions"] = forms.CharField(
                label=gettext_lazy("Earlier decisions"),
                required=False,
                initial=restricted[1],
                widget=_textarea(4),
            )
        self._add_item_fields(items or {})

    def _selected_case_pks(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist(self.add_prefix("cases"))
        else:
            raw = self.initial.get("cases") or []
        # Ids only (at most 18 digits: a larger number overflows the database's integer).
        return [int(v) for v in raw if str(v).isdigit() and len(str(v)) <= 18]

    def _add_item_fields(self, items: dict) -> None:
        selected = self._selected_case_pks()
        cases = (
            list(self.fields["cases"].queryset.filter(pk__in=selected).order_by("pk"))
            if selected
            else []
        )
        self.item_cases = cases
        for case in cases:
            item = items.get(case.pk)
            self.fields[f"case_{case.pk}_minutes"] = forms.CharField(
                label=gettext_lazy("Minutes"),
                required=False,
                initial=item.minutes if item else "",
                widget=_textarea(4),
            )
            self.fields[f"case_{case.pk}_decisions"] = forms.CharField(
                label=gettext_lazy("Decisions"),
                required=False,
                initial=item.decisions if item else "",
                widget=_textarea(3, help_of=self.add_prefix(f"case_{case.pk}_decisions")),
                help_text=gettext_lazy("Decisions that may become actions of the plan."),
            )

    def item_rows(self) -> list[dict]:
        """For the template: each case selected with its two fields."""
        return [
            {
                "case": case,
                "label": _case_label(case),
                "minutes": self[f"case_{case.pk}_minutes"],
                "decisions": self[f"case_{case.pk}_decisions"],
            }
            for case in self.item_cases
        ]

    @classmethod
    def initial_from(cls, data) -> dict:
        """What was typed, as the initial values of an unbound form (to show new cases'
        fields without validating a form the operator has not finished)."""
        initial = {name: data.get(name) for name in data}
        for name in ("attendees", "cases"):
            initial[name] = data.getlist(name)
        return initial

    def service_data(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in ("kind", "held_on", "zone", "attendees", "cases", "notes")
        }
        data["items"] = {
            case.pk: {
                "minutes": self.cleaned_data.get(f"case_{case.pk}_minutes", ""),
                "decisions": self.cleaned_data.get(f"case_{case.pk}_decisions", ""),
            }
            for case in self.cleaned_data["cases"]
        }
        for name in ("restricted_minutes", "restricted_decisions"):
            if name in self.fields:
                data[name] = self.cleaned_data[name]
        return data


class MeetingActionForm(StyledFormMixin, forms.Form):
    """A decision of the meeting as an action of one case's plan (rules in plans.services)."""

    description = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,  # the service says what is missing, beside the field
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Keep only the part of the decisions that concerns this case."),
    )
    responsible_user = forms.ModelChoiceField(
        label=gettext_lazy("Responsible operator"), queryset=User.objects.none(), required=False
    )
    responsible_organisation = forms.ModelChoiceField(
        label=gettext_lazy("Responsible organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
    )
    due_on = PlausibleDateField(label=gettext_lazy("Due on"), required=False, allow_future=True)

    def __init__(self, *args, operators, operator_choices=None, organisation_choices=None, **kw):
        super().__init__(*args, **kw)
        self.fields["responsible_user"].queryset = operators
        # The meeting page passes choices it loaded once for every case (constant queries).
        empty = [("", self.fields["responsible_user"].empty_label)]
        if operator_choices is not None:
            self.fields["responsible_user"].choices = empty + operator_choices
        if organisation_choices is not None:
            self.fields["responsible_organisation"].choices = empty + organisation_choices


# --- Case lists ----------------------------------------------------------------------


def _case_list(request, *, title, base, select, url_name, intro, export_cases=False):
    form = CaseFilterForm(request.GET or None, managers=lists.case_managers_of(base))
    queryset = select(request.user, **form.filters())
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page_or_partial(
        request,
        "cases/followup/case_list.html",
        "cases/followup/_case_list_results.html",
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


# --- Reviews -------------------------------------------------------------------------


def _case_url(case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:  # the case page is not mounted (yet): the review page instead
        return reverse("cases:followup_review_schedule", args=[case.pk])


def _review_form_page(request, case, *, schedule_form=None, record_form=None):
    return render(
        request,
        "cases/followup/review_form.html",
        {
            "case": case,
            "schedule_form": schedule_form,
            "record_form": record_form,
            "case_url": _case_url(case),
        },
    )


@require_http_methods(["GET", "POST"])
def review_schedule(request, case_pk):
    case = get_case_for(request.user, case_pk, write=True)
    form = ReviewScheduleForm(request.POST or None, prefix="schedule")
    if request.method == "POST" and form.is_valid():
        try:
            followup.review_schedule(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Review scheduled."))
            return redirect(_case_url(case))
    return _review_form_page(request, case, schedule_form=form)


@require_http_methods(["GET", "POST"])
def review_record(request, case_pk):
    case = get_case_for(request.user, case_pk, write=True)
    form = ReviewRecordForm(request.POST or None, case=case, prefix="record")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        review = data.pop("review")
        try:
            followup.review_record(actor=request.user, review=review, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Review recorded."))
            return redirect(_case_url(case))
    return _review_form_page(request, case, record_form=form)


# --- Meetings ------------------------------------------------------------------------


def _require_meeting_zone(user) -> None:
    if not followup.meeting_zone_ids(user):
        raise PermissionDenied(_("You do not work in any zone."))


class MeetingFilterForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of meeting"),
        required=False,
        choices=[("", gettext_lazy("Any kind"))] + Meeting.Kind.choices,
    )


@require_GET
def meeting_list(request):
    _require_meeting_zone(request.user)
    form = MeetingFilterForm(request.GET or None)
    meetings = followup.annotate_has_minutes(
        followup.meetings_visible_to(request.user)
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
        "cases/followup/meeting_list.html",
        {"form": form, "page": page, "meetings": page.object_list, "query": query.urlencode()},
    )


def _meeting_form_page(request, form, meeting, hidden_cases=0):
    return render(
        request,
        "cases/followup/meeting_form.html",
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
            meeting = followup.meeting_record(actor=request.user, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("cases:followup_meeting_detail", meeting.pk)
    return _meeting_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = get_meeting_for(request.user, pk)
    if not followup.can_edit_meeting(request.user, meeting):
        raise PermissionDenied(_("Only the author or a coordinator of the zone can change it."))
    items, hidden = followup.meeting_items_visible_to(request.user, meeting)
    restricted = None
    if meeting.has_restricted_text and followup.can_read_restricted_text(
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
            followup.meeting_update(
                actor=request.user,
                meeting=meeting,
                expected_version=form.cleaned_data.get("version"),
                **form.service_data(),
            )
        except followup.ConflictError as conflict:
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
    from crocevia.plans.models import Action, Plan, PlanVersion
    from crocevia.plans.selectors import operators_for_plan

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
    items, hidden = followup.meeting_items_visible_to(request.user, meeting)
    return render(
        request,
        "cases/followup/meeting_detail.html",
        {
            "meeting": meeting,
            "attendees": list(meeting.attendees.order_by("last_name", "first_name")),
            "items": items,
            "cases": [item.case for item in items],
            "hidden_cases": hidden,
            "show_restricted": meeting.has_restricted_text
            and followup.can_read_restricted_text(request.user, meeting, hidden_cases=hidden),
            "can_edit": followup.can_edit_meeting(request.user, meeting),
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
    from crocevia.plans.selectors import operators_for_plan
    from crocevia.plans.services import plan_action_add_from_meeting

    meeting = get_meeting_for(request.user, pk)
    if not meeting.cases.filter(pk=case_pk).exists():
        raise Http404(_("Case not found."))
    case = get_case_for(request.user, case_pk, write=True)
    form = MeetingActionForm(
        request.POST, prefix=f"case{case.pk}", operators=operators_for_plan(case, also=request.user)
    )
    if form.is_valid():
        try:
            version = plan_action_add_from_meeting(
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
