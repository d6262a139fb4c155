"""Thin views of the income-support applications: the list (filtered, paginated, exported),
an application's page with its forms (INPS's outcome, the follow-up, opening the case),
and an application recorded by hand from its applicant's page. Access → form → service →
redirect, or the page again with the errors."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.core.forms import add_service_errors
from crocevia.people.access import get_person_for

from . import services
from .access import (
    application_export_for,
    application_page_context,
    application_page_for,
    can_record_benefit_applications,
    case_organisations_for,
    follows_up_households_of,
    get_application_for,
    require_benefit_pages,
)
from .export import EXPORT_TYPES, applications_file
from .forms import ApplicationFilterForm, ApplicationForm, FollowUpForm, OpenCaseForm, OutcomeForm
from .models import Status
from .opening import case_open_from_benefit
from .selectors import comuni_of_applications_for

# --- the list -------------------------------------------------------------------------------


@require_GET
def application_list(request):
    """The applications the user sees: 50 a page, newest first, filtered by GET;
    `formato=csv` or `formato=xlsx` gives the whole filtered list as a file."""
    require_benefit_pages(request.user)
    form = ApplicationFilterForm(
        request.GET or None, comuni=comuni_of_applications_for(request.user)
    )
    filters = form.filters()
    fmt = request.GET.get("formato")
    if fmt:
        if fmt not in EXPORT_TYPES:
            return HttpResponse(_("Unknown format."), status=400, content_type="text/plain")
        if form.is_bound and not form.is_valid():
            # The list shows every application then, with the errors: a file of the whole
            # zone is not what was asked.
            return HttpResponse(
                _("The filters are not valid: correct them on the list, then export again."),
                status=400,
                content_type="text/plain",
            )
        return applications_file(fmt, application_export_for(request.user, filters=filters))
    page, counts = application_page_for(request.user, filters=filters, page=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("formato", None)
    # The counts link to their status within the other filters.
    others = query.copy()
    others.pop("stato", None)
    others.pop("da_affiancare", None)
    return render(
        request,
        "benefits/list.html",
        {
            "form": form,
            "page": page,
            "applications": page.object_list,
            "counts": counts,
            "statuses": [(value, label, counts[value]) for value, label in Status.choices],
            "query": query.urlencode(),
            "others_query": others.urlencode(),
        },
    )


# --- an application's page ------------------------------------------------------------------


def _page(request, application, **forms):
    context = application_page_context(request.user, application)
    context["outcome_form"] = forms.get("outcome_form") or OutcomeForm.for_application(application)
    if context["may_follow_up"]:
        context["follow_up_form"] = forms.get("follow_up_form") or FollowUpForm(
            initial={"on": timezone.localdate(), "version": application.version}
        )
    if "open_case_form" in forms:
        context["open_case_form"] = forms["open_case_form"]
    elif context["may_open_case"]:
        context["open_case_form"] = OpenCaseForm.for_organisations(
            request.user, application, context["case_organisations"]
        )
    return render(request, "benefits/detail.html", context)


@require_GET
def application_detail(request, pk):
    return _page(request, get_application_for(request.user, pk))


def _conflict(request, pk, form_class, form_name, conflict, **kwargs):
    """The page as it is now, with what the operator typed and why it was not saved."""
    data = request.POST.copy()
    data["version"] = conflict.current.version
    form = form_class(data, **kwargs)
    form.is_valid()
    form.add_error(
        None,
        _(
            "Someone else changed this application while you were reading it, so nothing "
            "was saved. Check its outcome below; saving again records what you see in the "
            "form."
        ),
    )
    return _page(request, get_application_for(request.user, pk), **{form_name: form})


@require_POST
def record_outcome(request, pk):
    application = get_application_for(request.user, pk, write=True)
    return _save(
        request,
        application,
        OutcomeForm,
        "outcome_form",
        services.benefit_application_record_outcome,
        _("Outcome recorded."),
    )


def _save(request, application, form_class, form_name, service, done):
    """Bind `form_class`, call `service` with its values, and answer: the page again with
    the errors, the conflict's page, or the application's page with `done`."""
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, application=application, **form.service_kwargs())
        except services.ConflictError as conflict:
            return _conflict(request, application.pk, form_class, form_name, conflict)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("benefits:detail", pk=application.pk)
    return _page(request, application, **{form_name: form})


@require_POST
def follow_up(request, pk):
    application = get_application_for(request.user, pk)
    if not follows_up_households_of(request.user, application):
        raise PermissionDenied(
            _("Only a social worker or a coordinator of the zone follows a household up.")
        )
    if not application.is_negative:
        # Accepted or back in processing since the page was read: nothing to follow up.
        messages.error(
            request,
            _(
                "This application is no longer lapsed, suspended or rejected: there is no "
                "negative outcome to follow up."
            ),
        )
        return redirect("benefits:detail", pk=pk)
    return _save(
        request,
        application,
        FollowUpForm,
        "follow_up_form",
        services.benefit_application_follow_up,
        _("Follow-up recorded."),
    )


@require_POST
def open_case(request, pk):
    application = get_application_for(request.user, pk)
    organisations = case_organisations_for(request.user, application)
    if not organisations.exists():
        raise PermissionDenied(_("You may not open a case in the zone of this application."))
    form = OpenCaseForm(request.POST, organisations=organisations)
    if form.is_valid():
        try:
            case = case_open_from_benefit(
                actor=request.user,
                application=application,
                organisation=form.cleaned_data["organisation"],
                referred_on=form.cleaned_data["referred_on"],
                sharing=form.sharing_kwargs(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The case has been opened from the application."))
            return redirect("cases:detail", pk=case.pk)
    return _page(request, application, open_case_form=form)


# --- an application recorded by hand --------------------------------------------------------


@require_http_methods(["GET", "POST"])
def application_create(request, person_pk):
    """Record the application a person (the applicant) submitted for their household."""
    require_benefit_pages(request.user)
    person = get_person_for(request.user, person_pk, write=True)
    comuni = comuni_of_applications_for(request.user)
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        comuni=comuni,
        initial={"comune": person.comune_id},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if person.household is None:
            form.add_error(
                None,
                _(
                    "%(person)s belongs to no household: record the household on the "
                    "person's page first."
                )
                % {"person": person.full_name},
            )
        elif not can_record_benefit_applications(request.user, data["comune"]):
            form.add_error("comune", _("You may not record applications for this Comune."))
        else:
            try:
                application = services.benefit_application_add(
                    actor=request.user,
                    household=person.household,
                    applicant=person,
                    **data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Application recorded: record INPS's outcome here when it comes."),
                )
                return redirect("benefits:detail", pk=application.pk)
    return render(request, "benefits/create.html", {"form": form, "person": person})
