"""Thin views of the interventions: access → form → service → redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crocevia.cases.access import get_case_for
from crocevia.core.forms import add_service_errors
from crocevia.network.models import CasePart

from . import services
from .access import get_intervention_for
from .forms import EndForm, InterventionForm, StartForm
from .hooks import funding
from .selectors import case_section_context


def case_url(case) -> str:
    """The case page; this app's own section page until the case page exists."""
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return reverse("interventions:case", args=[case.pk])


@require_GET
def case_interventions(request, case_pk):
    case = get_case_for(request.user, case_pk, part=CasePart.INTERVENTIONS)
    context = {"case": case, "case_url": case_url(case)}
    context.update(case_section_context(request.user, case))
    return render(request, "interventions/case.html", context)


@require_http_methods(["GET", "POST"])
def intervention_create(request, case_pk):
    case = get_case_for(request.user, case_pk, write=True)
    rules = funding()
    choices = rules.choices(case) if rules else []
    show_justification = bool(request.POST.get("over_budget_justification"))
    form = InterventionForm(
        request.POST or None,
        funding_choices=choices,
        show_justification=show_justification,
        type_code=request.GET.get("tipo", ""),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_add(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            # A coordinator of the programme may justify a cost over the action's budget.
            action_id = form.cleaned_data.get("funding_action")
            form.show_justification = bool(rules and action_id) and (
                show_justification
                or (
                    "over_budget_justification" in error.message_dict
                    and rules.may_justify(request.user, action_id)
                )
            )
        else:
            messages.success(request, _("Intervention added."))
            return redirect(case_url(case))
    return render(
        request,
        "interventions/form.html",
        {"case": case, "form": form, "case_url": case_url(case)},
    )


@require_http_methods(["GET", "POST"])
def intervention_start(request, pk):
    intervention = get_intervention_for(request.user, pk, write=True)
    case = intervention.case
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_start(
                actor=request.user, intervention=intervention, on=form.cleaned_data["on"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Start of the intervention recorded."))
            return redirect(case_url(case))
    return render(
        request,
        "interventions/start.html",
        {"case": case, "intervention": intervention, "form": form, "case_url": case_url(case)},
    )


@require_http_methods(["GET", "POST"])
def intervention_end(request, pk):
    intervention = get_intervention_for(request.user, pk, write=True)
    case = intervention.case
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_end(
                actor=request.user,
                intervention=intervention,
                on=form.cleaned_data["on"],
                status=form.cleaned_data["status"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("End of the intervention recorded."))
            return redirect(case_url(case))
    return render(
        request,
        "interventions/end.html",
        {"case": case, "intervention": intervention, "form": form, "case_url": case_url(case)},
    )
