"""Thin views of the programmes: access → form → service → redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.cases.access import cases_shown_to
from crocevia.core.forms import add_service_errors

from . import services
from .access import (
    can_create_programmes,
    can_manage,
    case_to_enrol_for,
    expenditure_actions_for,
    get_action_for,
    get_case_to_unenrol_for,
    get_programme_for,
    programme_list_for,
    require_programme_creation,
)
from .export import programme_workbook
from .forms import (
    ActionForm,
    EnrolForm,
    ExpenditureForm,
    ProgrammeForm,
    TargetForm,
)
from .selectors import enrolled_cases, programme_page_context, recordable_actions

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
def programme_list(request):
    programmes = programme_list_for(request.user)
    return render(
        request,
        "programmes/list.html",
        {"programmes": programmes, "can_create": can_create_programmes(request.user)},
    )


def _detail_context(request, programme, *, expenditure_form=None, enrol_form=None):
    manager = can_manage(request.user, programme)
    context = programme_page_context(programme, manager=manager)
    actions = recordable_actions(request.user, programme, manager=manager)
    if expenditure_form is None:
        expenditure_form = ExpenditureForm(actions=actions)
    context["expenditure_form"] = expenditure_form
    context["can_record"] = context["can_manage"] or actions.exists()
    if context["can_manage"]:
        context["enrol_form"] = enrol_form or EnrolForm()
        context["enrolled_cases"] = cases_shown_to(
            request.user, enrolled_cases(request.user, programme)
        )
    return context


@require_GET
def programme_detail(request, pk):
    programme = get_programme_for(request.user, pk)
    return render(request, "programmes/detail.html", _detail_context(request, programme))


def _programme_fields(form) -> dict:
    data = dict(form.cleaned_data)
    data["partners"] = list(data.get("partners") or [])
    return data


@require_http_methods(["GET", "POST"])
def programme_create(request):
    require_programme_creation(request.user)
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(actor=request.user, **_programme_fields(form))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Programme created."))
            return redirect("programmes:detail", programme.pk)
    return render(request, "programmes/programme_form.html", {"form": form, "programme": None})


@require_http_methods(["GET", "POST"])
def programme_edit(request, pk):
    programme = get_programme_for(request.user, pk, manage=True)
    initial = {
        "code": programme.code,
        "name": programme.name,
        "fund": programme.fund,
        "start_date": programme.start_date,
        "end_date": programme.end_date,
        "lead_organisation": programme.lead_organisation,
        "partners": list(programme.organisations.exclude(pk=programme.lead_organisation_id)),
        "description": programme.description,
    }
    form = ProgrammeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_update(
                actor=request.user, programme=programme, **_programme_fields(form)
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("programmes:detail", programme.pk)
    return render(request, "programmes/programme_form.html", {"form": form, "programme": programme})


@require_http_methods(["GET", "POST"])
def action_create(request, pk):
    programme = get_programme_for(request.user, pk, manage=True)
    form = ActionForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_create(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Budget action added."))
            return redirect("programmes:detail", programme.pk)
    return render(
        request,
        "programmes/action_form.html",
        {"form": form, "programme": programme, "action": None},
    )


@require_http_methods(["GET", "POST"])
def action_edit(request, pk):
    action = get_action_for(request.user, pk, manage=True)
    programme = action.programme
    initial = {
        "code": action.code,
        "title": action.title,
        "responsible_organisation": action.responsible_organisation,
        "amount": action.amount,
        "priority_code": action.priority_code,
        "planned_quarters": action.planned_quarters,
    }
    form = ActionForm(request.POST or None, initial=initial, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Budget action saved."))
            return redirect("programmes:detail", programme.pk)
    return render(
        request,
        "programmes/action_form.html",
        {"form": form, "programme": programme, "action": action},
    )


@require_http_methods(["GET", "POST"])
def target_set(request, pk):
    programme = get_programme_for(request.user, pk, manage=True)
    form = TargetForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_set(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Target saved."))
            return redirect("programmes:detail", programme.pk)
    return render(request, "programmes/target_form.html", {"form": form, "programme": programme})


@require_http_methods(["GET", "POST"])
def expenditure_create(request, pk):
    programme = get_programme_for(request.user, pk)
    manager, actions = expenditure_actions_for(request.user, programme)
    show_justification = manager and bool(request.POST.get("over_budget_justification"))
    form = ExpenditureForm(
        request.POST or None, actions=actions, show_justification=show_justification
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.expenditure_record(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            # A coordinator may justify an expenditure over the budget: show the field.
            form.show_justification = manager and (
                show_justification or "over_budget_justification" in error.message_dict
            )
        else:
            messages.success(request, _("Expenditure recorded."))
            return redirect("programmes:detail", programme.pk)
    return render(
        request, "programmes/expenditure_form.html", {"form": form, "programme": programme}
    )


@require_POST
def case_enrol(request, pk):
    programme = get_programme_for(request.user, pk, manage=True)
    form = EnrolForm(request.POST)
    if form.is_valid():
        case = case_to_enrol_for(request.user, form.cleaned_data["case"])
        if case is None:
            form.add_error("case", _("No case with this number among those you can see."))
        else:
            try:
                services.case_enrol(actor=request.user, programme=programme, case=case)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Case enrolled in the programme."))
                return redirect("programmes:detail", programme.pk)
    return render(
        request,
        "programmes/detail.html",
        _detail_context(request, programme, enrol_form=form),
        status=400,
    )


@require_POST
def case_unenrol(request, pk, case_pk):
    programme = get_programme_for(request.user, pk, manage=True)
    case = get_case_to_unenrol_for(request.user, case_pk)
    services.case_unenrol(actor=request.user, programme=programme, case=case)
    messages.success(request, _("Case removed from the programme."))
    return redirect("programmes:detail", programme.pk)


@require_GET
def programme_export(request, pk):
    programme = get_programme_for(request.user, pk, note="export xlsx")
    response = HttpResponse(programme_workbook(programme), content_type=XLSX)
    filename = f"budget-{slugify(programme.code)}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
