"""Thin views of the plan: access → form → service → redirect (or the conflict view)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.cases.access import case_parts_for, get_case_for
from crocevia.core.forms import add_service_errors
from crocevia.network.models import CasePart

from . import services
from .access import (
    get_action_for,
    get_plan_for,
    get_plan_to_submit_for,
    get_plan_to_validate_for,
    get_version_for,
)
from .forms import (
    ActionFormSet,
    DecisionForm,
    ObjectiveFormSet,
    PlanForm,
    SignForm,
    SubmitForm,
    ValidateForm,
    action_choices,
    actions_initial,
    objectives_initial,
)
from .pdf import plan_pdf
from .selectors import (
    case_section_context,
    hidden_dimensions,
    objectives_by_dimension,
    operators_for_plan,
    validation_history,
    version_with_content,
)


def case_url(case) -> str:
    """The case page; this app's own section page until the case page exists."""
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return reverse("plans:case", args=[case.pk])


def _operators(case, user):
    return operators_for_plan(case, also=user)


@require_GET
def case_plan(request, case_pk):
    case = get_case_for(request.user, case_pk, part=CasePart.PLAN)
    context = {"case": case, "case_url": case_url(case)}
    context.update(case_section_context(request.user, case))
    return render(request, "plans/case.html", context)


@require_POST
def plan_create(request, case_pk):
    case = get_case_for(request.user, case_pk, write=True)
    try:
        plan = services.plan_get_or_create(actor=request.user, case=case)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(case_url(case))
    return redirect("plans:edit", plan.pk)


def _build_forms(data, case, user, version):
    operators = _operators(case, user)
    choices = action_choices(operators)
    if data is None:
        plan_form = PlanForm(
            initial={
                "person_commitments": version.person_commitments,
                "service_commitments": version.service_commitments,
                "expected_revision": version.revision,
            }
        )
        objective_formset = ObjectiveFormSet(prefix="obj", initial=objectives_initial(version))
        n_objectives = len(objective_formset.forms)
        action_formset = ActionFormSet(
            prefix="act",
            initial=actions_initial(version),
            form_kwargs={
                "operators": operators,
                "n_objectives": n_objectives,
                "choices": choices,
            },
        )
    else:
        plan_form = PlanForm(data)
        objective_formset = ObjectiveFormSet(data, prefix="obj")
        n_objectives = len(objective_formset.forms)
        action_formset = ActionFormSet(
            data,
            prefix="act",
            form_kwargs={
                "operators": operators,
                "n_objectives": n_objectives,
                "choices": choices,
            },
        )
    return plan_form, objective_formset, action_formset


def _items(objective_formset, action_formset) -> tuple[list[dict], list[dict]]:
    """Objectives and actions for the service; action→objective numbers follow the rows kept."""
    objectives, renumber = [], {}
    for index, form in enumerate(objective_formset.forms, start=1):
        if not form.has_changed() or objective_formset._should_delete_form(form):
            continue
        objectives.append(
            {"dimension": form.cleaned_data["dimension"], "text": form.cleaned_data["text"]}
        )
        renumber[index] = len(objectives)
    actions = []
    for row in action_formset.items():
        row["objective"] = renumber.get(row.get("objective"))
        actions.append(row)
    return objectives, actions


@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plan = get_plan_for(request.user, pk, write=True)
    case = plan.case
    version = version_with_content(plan)
    data = request.POST if request.method == "POST" else None
    plan_form, objective_formset, action_formset = _build_forms(data, case, request.user, version)
    conflict = None
    status = 200
    if data is not None and all(
        [plan_form.is_valid(), objective_formset.is_valid(), action_formset.is_valid()]
    ):
        objectives, actions = _items(objective_formset, action_formset)
        try:
            saved = services.plan_draft_save(
                actor=request.user,
                plan=plan,
                expected_revision=plan_form.cleaned_data["expected_revision"],
                person_commitments=plan_form.cleaned_data["person_commitments"],
                service_commitments=plan_form.cleaned_data["service_commitments"],
                objectives=objectives,
                actions=actions,
            )
        except services.ConflictError as error:
            # Keep what was typed; show what the other person saved; the next save,
            # after checking, is based on the version now current.
            conflict = version_with_content(plan, error.current.number)
            post = request.POST.copy()
            post["expected_revision"] = conflict.revision
            plan_form = PlanForm(post)
            plan_form.is_valid()
            plan_form.add_error(
                None,
                _(
                    "Someone else changed this plan while you were editing it: your changes "
                    "were not saved. Compare them with the current version shown below; "
                    "saving again will replace it with what you see in the form."
                ),
            )
            status = 200  # the page re-shown, as every form of the project does
        except ValidationError as error:
            add_service_errors(plan_form, error)
        else:
            messages.success(request, _("Plan saved (version %(n)s).") % {"n": saved.number})
            return redirect(case_url(case))
    return render(
        request,
        "plans/edit.html",
        {
            "case": case,
            "plan": plan,
            "version": version,
            "form": plan_form,
            "objective_formset": objective_formset,
            "action_formset": action_formset,
            "conflict": conflict,
            "conflict_groups": objectives_by_dimension(conflict) if conflict else [],
            "case_url": case_url(case),
        },
        status=status,
    )


@require_GET
def version_detail(request, pk, number):
    version = get_version_for(request.user, pk, number)
    plan = version.plan
    return render(
        request,
        "plans/version.html",
        {
            "case": plan.case,
            "plan": plan,
            "version": version,
            "objective_groups": objectives_by_dimension(
                version, hidden=hidden_dimensions(request.user, plan.case)
            ),
            "later_versions": plan.versions.filter(number__gt=number).exists(),
            "case_url": case_url(plan.case),
        },
    )


@require_GET
def version_pdf(request, pk, number):
    version = get_version_for(request.user, pk, number, note="pdf")
    case = version.plan.case
    pdf = plan_pdf(
        version,
        user=request.user,
        parts=case_parts_for(request.user, case),
        hidden=hidden_dimensions(request.user, case),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="piano-{version.plan_id}-v{version.number}.pdf"'
    )
    return response


@require_http_methods(["GET", "POST"])
def version_sign(request, pk, number):
    version = get_version_for(request.user, pk, number, write=True)
    plan = version.plan
    form = SignForm(request.POST or None, operators=_operators(plan.case, request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_sign(actor=request.user, version=version, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Signature recorded: version %(n)s is frozen.") % {"n": number}
            )
            return redirect(case_url(plan.case))
    return render(
        request,
        "plans/sign.html",
        {
            "case": plan.case,
            "plan": plan,
            "version": version,
            "form": form,
            "case_url": case_url(plan.case),
        },
    )


def _validation_page(request, template, plan, form, status=200):
    version = version_with_content(plan)
    return render(
        request,
        template,
        {
            "case": plan.case,
            "plan": plan,
            "version": version,
            "objective_groups": objectives_by_dimension(
                version, hidden=hidden_dimensions(request.user, plan.case)
            ),
            "history": validation_history(plan),
            "form": form,
            "case_url": case_url(plan.case),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def plan_submit(request, pk):
    plan = get_plan_to_submit_for(request.user, pk)
    form = SubmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_submit(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Plan submitted: the coordination group will validate it."))
            return redirect(case_url(plan.case) + "#plan-section")
    return _validation_page(request, "plans/submit.html", plan, form)


@require_http_methods(["GET", "POST"])
def plan_validate(request, pk):
    """The coordination group's page of a submitted plan: read it, validate it or return
    it with comments."""
    plan = get_plan_to_validate_for(request.user, pk)
    if request.method == "POST":
        form = DecisionForm(request.POST)
    else:
        current = version_with_content(plan)
        form = DecisionForm(initial={"revision": current.revision})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = (
            services.plan_validate
            if data["decision"] == DecisionForm.VALIDATE
            else services.plan_return
        )
        try:
            service(
                actor=request.user,
                plan=plan,
                on=data["on"],
                comments=data["comments"],
                expected_revision=data["revision"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if data["decision"] == DecisionForm.VALIDATE:
                messages.success(request, _("Plan validated: it can now be signed."))
            else:
                messages.success(request, _("Plan returned to the case manager with comments."))
            return redirect(reverse("cases:coordination") + "#plans-to-validate")
    return _validation_page(request, "plans/validate.html", plan, form)


@require_POST
def action_done(request, pk, action_pk):
    action = get_action_for(request.user, pk, action_pk, write=True)
    plan = action.version.plan
    form = ValidateForm(request.POST)
    if form.is_valid():
        try:
            services.action_mark_done(actor=request.user, action=action, on=form.cleaned_data["on"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Action marked done."))
    else:
        messages.error(request, _("Enter a valid date."))
    return redirect(case_url(plan.case))
