"""Thin views of a case: access -> form -> service -> redirect or page."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.accounts.models import Profile
from crocevia.accounts.selectors import active_memberships, coordinated_zone_ids
from crocevia.core.forms import add_service_errors
from crocevia.core.paging import first_rows
from crocevia.desk.access import get_contact_for
from crocevia.network.models import CasePart, Organisation
from crocevia.people.access import get_person_for, person_shared_under
from crocevia.people.sharing import (
    LEGAL_BASES,
    has_network_sharing_consent,
    network_sharing_consent,
)

from . import services
from .access import (
    HEADER,
    can_form_team,
    can_manage_case,
    can_read_health,
    can_set_priority,
    case_view_for,
    cases_shown_to,
    get_case_for,
    is_zone_coordinator_of,
)
from .forms import (
    CloseForm,
    DayForm,
    ManagerForm,
    MemberForm,
    OpenDirectForm,
    OpenSharingForm,
    PriorityForm,
    ReviewRecordForm,
    ReviewScheduleForm,
    SendBackForm,
    membership_choices,
    network_memberships,
)
from .models import Case, NeedClass, Review, Stage, TeamMember
from .sections import case_sections, coordination_sections
from .selectors import (
    managers_to_appoint,
    person_cases,
    preassessed_complex_waiting,
)
from .workflow import allowed_targets

# The button at the top of the case page for each stage a case may move to next
# (workflow.allowed_targets), for those who steer the case: (URL name, label, style).
# The other steps are taken in their sections: the team is formed in the team section,
# the assessment, the plan's signature and its start in theirs.
STEP_BUTTONS = {
    Stage.PREASSESSED: (
        "cases:preassess",
        gettext_lazy("Record the pre-assessment"),
        "btn btn-primary",
    ),
    Stage.CLOSED: ("cases:close", gettext_lazy("Close the case"), "btn btn-outline-danger"),
}

# Rows of each list of the coordination page (oldest first); an import can put thousands
# there: the others are in the zone's case list, filtered the same way.
COORDINATION_ROWS = 50

# The steps shown on the case page, with the milestone that dates each.
STEPS = [
    (Stage.REFERRED, "referred_on"),
    (Stage.PREASSESSED, "preassessed_on"),
    (Stage.TEAM_FORMED, "team_formed_on"),
    (Stage.ASSESSED, "assessed_on"),
    (Stage.PLAN_SIGNED, "plan_signed_on"),
    (Stage.IN_PROGRESS, "plan_started_on"),
    (Stage.CLOSED, "closed_on"),
]


def _case_url(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _render_sections(request, case, view) -> list[str]:
    """The sections the apps above add to the page (cases.sections), each rendered with
    its context: those of the parts `view` covers (access.case_view_for)."""
    rendered = []
    for section in case_sections():
        if view.shared and (section.part is None or section.part not in view.parts):
            continue
        context = {**section.context(request.user, case), "case": case, "user": request.user}
        rendered.append(mark_safe(render_to_string(section.template, context, request=request)))  # noqa: S308
    return rendered


def _render_coordination_sections(request) -> list[str]:
    """The sections the apps above add to the coordination page (cases.sections)."""
    rendered = []
    for section in coordination_sections():
        context = {**section.context(request.user), "user": request.user}
        rendered.append(mark_safe(render_to_string(section.template, context, request=request)))  # noqa: S308
    return rendered


def _step_buttons(case, targets) -> list[dict]:
    """The buttons of the steps the case may take next (STEP_BUTTONS), in workflow order."""
    buttons = []
    for target in targets:
        if target in STEP_BUTTONS:
            url_name, label, style = STEP_BUTTONS[target]
            # Our own msgid's translation, unescaped as {% translate %} renders it.
            label = mark_safe(label)  # noqa: S308
            buttons.append(
                {"url": reverse(url_name, args=[case.pk]), "label": label, "style": style}
            )
    return buttons


def _intake_of(case):
    """The case's section A (the assessments app's intake, through its reverse relation)
    with its mini-team, or None: one query."""
    loaded = Case.objects.select_related("intake__social_worker", "intake__cpi_consultant").get(
        pk=case.pk
    )
    try:
        return loaded.intake
    except ObjectDoesNotExist:
        return None


def _steps(case) -> list[dict]:
    steps = []
    reached = True
    for stage, milestone in STEPS:
        day = getattr(case, milestone)
        if case.stage == Stage.CLOSED and stage != Stage.CLOSED and day is None:
            # Closed before reaching this step: it was never done and never will be.
            continue
        if stage == case.stage:
            state = "current"
            reached = False
        elif reached:
            state = "done"
        else:
            state = "todo"
        if (
            case.need_class
            and case.need_class != NeedClass.COMPLEX
            and stage
            in (
                Stage.TEAM_FORMED,
                Stage.ASSESSED,
            )
        ):
            continue
        steps.append(
            {"label": Stage(stage).label, "day": day, "state": state, "milestone": milestone}
        )
    return steps


def _detail_context(request, case, **forms) -> dict:
    user = request.user
    # Read under an agreement (access.case_view_for): the header, and the parts it covers.
    view = case_view_for(user, case)
    team = []
    if not view.shared:  # who is on the team is the team's own business
        team = list(
            TeamMember.objects.filter(case=case)
            .select_related("user", "organisation")
            .order_by("removed_on", "added_on", "pk")
        )
    intake = _intake_of(case) if CasePart.INTAKE in view.parts else None
    manage = not case.is_closed and can_manage_case(user, case)
    coordinator = not case.is_closed and is_zone_coordinator_of(user, case)
    targets = allowed_targets(case)
    memberships = list(network_memberships()) if (manage or coordinator) else []
    choices = membership_choices(memberships)  # once for both selects
    return {
        "case": case,
        "person": case.person,
        "shared_view": view.shared,
        "shared_under": view.agreements(HEADER),
        "shared_parts": [label for value, label in CasePart.choices if value in view.parts],
        "shows_intake": CasePart.INTAKE in view.parts,
        "shows_registry": CasePart.REGISTRY in view.parts,
        "sharing_consent": network_sharing_consent(case.person),
        "legal_basis": case.sharing_basis in LEGAL_BASES,
        "intake": intake,
        "health_readable": can_read_health(user, case),
        "team": [m for m in team if m.removed_on is None],
        "former_team": [m for m in team if m.removed_on is not None],
        "steps": _steps(case),
        "can_manage": manage,
        "step_buttons": _step_buttons(case, targets) if manage else [],
        "may_form_team": Stage.TEAM_FORMED in targets and can_form_team(user, case),
        "is_coordinator": coordinator,
        "member_form": forms.get("member_form")
        or MemberForm(memberships=memberships, choices=choices),
        "manager_form": forms.get("manager_form")
        or ManagerForm(memberships=memberships, choices=choices),
        "team_form": forms.get("team_form") or DayForm(prefix="team"),
        "remove_form": DayForm(prefix="remove"),
        "may_set_priority": not case.is_closed and can_set_priority(user, case),
        "priority_form": forms.get("priority_form")
        or PriorityForm(initial={"priority": case.priority, "note": case.priority_note}),
        "sections": _render_sections(request, case, view),
        "role_labels": dict(Profile.choices),
        "can_send_back": services.can_send_back(user, case),
        "send_back_form": forms.get("send_back_form") or SendBackForm(prefix="back"),
    }


@require_GET
def case_detail(request, pk):
    case = get_case_for(request.user, pk, part=HEADER)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _rerender(request, case, **forms):
    return render(request, "cases/detail.html", _detail_context(request, case, **forms))


# --- opening --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def open_from_contact(request, contact_pk):
    contact = get_contact_for(request.user, contact_pk)
    existing = Case.objects.filter(source_contact=contact).first()
    if existing is not None:
        # The link shows on every contact sent to level 2: lead to its case when it exists.
        return redirect(_case_url(get_case_for(request.user, existing.pk)))
    form = OpenSharingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open_from_contact(
                actor=request.user, contact=contact, sharing=form.sharing_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The case has been opened."))
            return redirect(_case_url(case))
    context = {
        "contact": contact,
        "person": contact.person,
        "form": form,
        "has_consent": has_network_sharing_consent(contact.person),
    }
    return render(request, "cases/open_from_contact.html", context)


def _social_work_organisations(user):
    if user.is_superuser:
        return Organisation.objects.filter(zone__isnull=False).order_by("name")
    ids = [
        m.organisation_id for m in active_memberships(user) if m.profile == Profile.SOCIAL_WORKER
    ]
    return Organisation.objects.filter(pk__in=ids).order_by("name")


@require_http_methods(["GET", "POST"])
def open_direct(request, person_pk):
    person = get_person_for(request.user, person_pk, write=True)
    organisations = _social_work_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only a social worker opens a case directly."))
    form = OpenDirectForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open_direct(
                actor=request.user,
                person=person,
                organisation=form.cleaned_data["organisation"],
                referred_on=form.cleaned_data["referred_on"],
                sharing=form.sharing_kwargs(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The case has been opened."))
            return redirect(_case_url(case))
    context = {"form": form, "person": person, "has_consent": has_network_sharing_consent(person)}
    return render(request, "cases/open_direct.html", context)


@require_GET
def person_case_list(request, person_pk):
    person = get_person_for(request.user, person_pk)
    cases = list(person_cases(request.user, person))
    # A person read under an agreement only: read, never a case opened for them.
    can_open = (
        not person_shared_under(request.user, person)
        and bool(_social_work_organisations(request.user).exists())
        and not any(not c.is_closed for c in cases)
    )
    return render(
        request,
        "cases/person_cases.html",
        {"person": person, "cases": cases, "can_open": can_open},
    )


# --- coordination and team ------------------------------------------------------------------


@require_GET
def coordination(request):
    if not (request.user.is_superuser or coordinated_zone_ids(request.user)):
        raise Http404(_("Page not found."))
    user = request.user
    waiting, waiting_total = first_rows(preassessed_complex_waiting(user), COORDINATION_ROWS)
    to_appoint, to_appoint_total = first_rows(managers_to_appoint(user), COORDINATION_ROWS)
    cases_shown_to(user, waiting + to_appoint)
    zone_list = reverse("cases:followup_zone_cases")
    context = {
        "cases": waiting,
        "waiting_total": waiting_total,
        "waiting_url": zone_list
        + "?"
        + urlencode(
            {
                "stage": Stage.PREASSESSED.value,
                "need_class": NeedClass.COMPLEX.value,
                "sort": "priority",
            }
        ),
        "to_appoint": to_appoint,
        "to_appoint_total": to_appoint_total,
        "to_appoint_url": f"{zone_list}?manager_to_appoint=on&sort=priority",
        "sections": _render_coordination_sections(request),
    }
    return render(request, "cases/coordination.html", context)


@require_POST
def set_manager(request, pk):
    case = get_case_for(request.user, pk, write=True)
    if not is_zone_coordinator_of(request.user, case):
        raise PermissionDenied(_("Only a coordinator of the zone names the case manager."))
    form = ManagerForm(request.POST, memberships=network_memberships())
    if form.is_valid():
        membership = form.cleaned_data["manager"]
        try:
            services.case_set_manager(actor=request.user, case=case, user=membership.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
            if "user" in exc.message_dict or "organisation" in exc.message_dict:
                form.add_error("manager", exc.messages)
        else:
            messages.success(request, _("The case manager has been named."))
            return redirect(_case_url(case) + "#team")
    return _rerender(request, case, manager_form=form)


@require_POST
def set_priority(request, pk):
    case = get_case_for(request.user, pk, write=True)
    if not is_zone_coordinator_of(request.user, case):
        raise PermissionDenied(_("Only a coordinator of the case's zone sets its priority."))
    form = PriorityForm(request.POST)
    if form.is_valid():
        try:
            services.case_set_priority(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Access priority set: %(priority)s.") % {"priority": case.get_priority_display()},
            )
            return redirect(_case_url(case) + "#priority")
    return _rerender(request, case, priority_form=form)


@require_POST
def send_back(request, pk):
    """The employment centre sends the person back to the team: the pact was not kept."""
    case = get_case_for(request.user, pk, write=True)
    if not services.can_send_back(request.user, case):
        raise PermissionDenied(
            _("Only an employment centre's member of the team sends the person back.")
        )
    form = SendBackForm(request.POST, prefix="back")
    if form.is_valid():
        try:
            services.case_send_back(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The person has been sent back to the case's team."))
            return redirect(_case_url(case))
    return _rerender(request, case, send_back_form=form)


@require_POST
def team_add(request, pk):
    case = get_case_for(request.user, pk, write=True)
    if not can_manage_case(request.user, case):
        raise PermissionDenied(_("You may not change this case."))
    form = MemberForm(request.POST, memberships=network_memberships())
    if form.is_valid():
        membership = form.cleaned_data["membership"]
        try:
            services.team_member_add(
                actor=request.user,
                case=case,
                user=membership.user,
                organisation=membership.organisation,
                role=membership.profile,
                on=form.cleaned_data["on"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                name = "on" if field == "on" else "membership"
                form.add_error(name, errors)
        else:
            messages.success(
                request, _("%(user)s has joined the team.") % {"user": membership.user}
            )
            return redirect(_case_url(case) + "#team")
    return _rerender(request, case, member_form=form)


@require_POST
def team_remove(request, pk, member_pk):
    case = get_case_for(request.user, pk, write=True)
    if not can_manage_case(request.user, case):
        raise PermissionDenied(_("You may not change this case."))
    member = TeamMember.objects.filter(case=case, pk=member_pk).select_related("user").first()
    if member is None:
        raise Http404(_("Team member not found."))
    form = DayForm(request.POST, prefix="remove")
    if form.is_valid():
        try:
            services.team_member_remove(
                actor=request.user, member=member, on=form.cleaned_data["on"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(user)s has left the team.") % {"user": member.user})
    else:
        messages.error(request, _("Enter the date the operator leaves the team."))
    return redirect(_case_url(case) + "#team")


@require_POST
def form_team(request, pk):
    case = get_case_for(request.user, pk, write=True)
    form = DayForm(request.POST, prefix="team")
    if form.is_valid():
        try:
            services.case_form_team(actor=request.user, case=case, on=form.cleaned_data["on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            if "team_formed_on" in exc.message_dict:
                form.add_error("on", exc.message_dict["team_formed_on"])
        else:
            messages.success(request, _("The team has been formed."))
            return redirect(_case_url(case))
    return _rerender(request, case, team_form=form)


# --- closure --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def close(request, pk):
    case = get_case_for(request.user, pk, write=True)
    if not can_manage_case(request.user, case):
        raise PermissionDenied(_("You may not change this case."))
    open_items = services.closure_open_items(case)
    form = CloseForm(request.POST or None, open_items=open_items)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_close(
                actor=request.user,
                case=case,
                on=form.cleaned_data["closed_on"],
                outcome=form.cleaned_data["outcome"],
                closing_note=form.cleaned_data["closing_note"],
                open_items_reason=form.cleaned_data.get("open_items_reason", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            # Something may have opened while the page was shown: list what is open now.
            open_items = services.closure_open_items(case)
        else:
            messages.success(request, _("The case has been closed."))
            return redirect(_case_url(case))
    return render(
        request,
        "cases/close.html",
        {"case": case, "person": case.person, "form": form, "open_items": open_items},
    )


# --- Reviews -------------------------------------------------------------------------


def _review_form_page(request, case, *, schedule_form=None, record_form=None):
    return render(
        request,
        "cases/review_form.html",
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
    # The closure page links here for the final review: ?kind=exit chooses it.
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in Review.Kind.values else None
    form = ReviewScheduleForm(request.POST or None, prefix="schedule", initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_schedule(actor=request.user, case=case, **form.cleaned_data)
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
            services.review_record(actor=request.user, review=review, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Review recorded."))
            return redirect(_case_url(case))
    return _review_form_page(request, case, record_form=form)
