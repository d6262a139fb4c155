"""Thin views of sections A and B: access → form → service → redirect."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crocevia.accounts.models import Profile
from crocevia.cases.access import can_manage_case, get_case_for
from crocevia.cases.models import NeedClass, Stage
from crocevia.cases.selectors import cases_visible_to
from crocevia.cases.services import open_case_with_plan_for_household
from crocevia.core.forms import add_service_errors
from crocevia.network.models import CasePart

from . import services
from .forms import AssessmentForm, PreassessForm
from .models import Assessment
from .preassessment import case_preassess
from .selectors import case_section_context


def case_url(case) -> str:
    """The case page; this app's own section page until the case page exists."""
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return reverse("assessments:case", args=[case.pk])


@require_GET
def case_assessments(request, case_pk):
    case = get_case_for(request.user, case_pk, part=CasePart.ASSESSMENT)
    context = {"case": case, "case_url": case_url(case)}
    context.update(case_section_context(request.user, case))
    return render(request, "assessments/case.html", context)


@require_http_methods(["GET", "POST"])
def assessment_create(request, case_pk):
    case = get_case_for(request.user, case_pk, write=True)
    initial = {}
    if not case.assessments.filter(phase=Assessment.Phase.ENTRY).exists():
        initial["phase"] = Assessment.Phase.ENTRY
    else:
        initial["phase"] = Assessment.Phase.IN_ITINERE
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_record(actor=request.user, case=case, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Assessment recorded."))
            return redirect(case_url(case))
    return render(
        request,
        "assessments/form.html",
        {
            "case": case,
            "form": form,
            "case_url": case_url(case),
            "moves_to_assessed": case.need_class == NeedClass.COMPLEX
            and case.stage == Stage.TEAM_FORMED,
        },
    )


# --- section A: the pre-assessment (URL in the "cases" namespace: case_urls.py) -------------


@require_http_methods(["GET", "POST"])
def preassess(request, pk):
    case = get_case_for(request.user, pk, write=True)
    if not can_manage_case(request.user, case):
        raise PermissionDenied(_("You may not change this case."))
    if case.stage != Stage.REFERRED:
        messages.info(request, _("This case has already been pre-assessed."))
        return redirect(case_url(case))
    extend = open_case_with_plan_for_household(case)
    extend_visible = (
        extend is not None and cases_visible_to(request.user).filter(pk=extend.pk).exists()
        if extend
        else False
    )
    initial = {}
    if request.user.memberships.filter(active=True, profile=Profile.SOCIAL_WORKER).exists():
        initial["social_worker"] = request.user.pk
    form = PreassessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case_preassess(
                actor=request.user,
                case=case,
                on=data["preassessed_on"],
                need_class=data["need_class"],
                area=data["area"],
                social_worker=data["social_worker"],
                cpi_consultant=data["cpi_consultant"],
                **form.section_a(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The pre-assessment has been recorded."))
            return redirect(case_url(case))
    return render(
        request,
        "assessments/preassess.html",
        {
            "case": case,
            "person": case.person,
            "form": form,
            "extend": extend,
            "extend_visible": extend_visible,
        },
    )
