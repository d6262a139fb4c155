"""Thin views of section B: access → form → service → redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crocevia.cases.access import get_case_for
from crocevia.cases.models import NeedClass, Stage
from crocevia.core.forms import add_service_errors

from . import services
from .forms import AssessmentForm
from .models import Assessment
from .selectors import case_section_context


def case_url(case) -> str:
    """The case page; this app's own section page until the case page exists."""
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return reverse("assessments:case", args=[case.pk])


@require_GET
def case_assessments(request, case_pk):
    case = get_case_for(request.user, case_pk)
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
