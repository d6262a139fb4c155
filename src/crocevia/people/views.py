"""Views of the registry: access -> form -> service -> redirect or partial."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crocevia.core.htmx import render_page_or_partial

from . import access_report as audit_report
from . import duplicates, services
from .access import (
    code_owner_for,
    duplicate_pairs_page_for,
    get_consent_for,
    get_household_of_for,
    get_member_for,
    get_pair_for,
    get_person_for,
    get_person_report_for,
    household_candidates_for,
    household_members_for,
    person_shared_under,
    require_person_registration,
    search_persons_for,
    visible_candidates_for,
)
from .comparison import merge_comparison, merge_error_sentences
from .forms import (
    ConsentForm,
    ConsentWithdrawForm,
    DuplicateFilterForm,
    HouseholdMemberForm,
    PeriodForm,
    PersonCreateForm,
    PersonEditForm,
)
from .models import DuplicatePair, Person
from .scopes import person_sections
from .selectors import parse_person_query
from .validators import language_name


def _search_context(request, query: str) -> dict:
    query = query.strip()
    parsed = parse_person_query(query)
    return {
        "query": query,
        "parsed": parsed,
        "persons": search_persons_for(request.user, query) if query else [],
        "create_url": reverse("people:create") + (f"?{urlencode({'q': query})}" if query else ""),
    }


@require_GET
def person_search(request):
    context = _search_context(request, request.GET.get("q", ""))
    return render_page_or_partial(request, "people/search.html", "people/_results.html", context)


def _initial_from_query(query: str) -> dict:
    """Pre-fill the registration form with what the operator already searched for."""
    parsed = parse_person_query(query)
    initial = {}
    if parsed.words:
        initial["family_name"] = parsed.words[0]
        if len(parsed.words) > 1:
            initial["given_names"] = " ".join(parsed.words[1:])
    if parsed.birth_date:
        initial["birth_date"] = parsed.birth_date
    if parsed.codice_fiscale:
        initial["codice_fiscale"] = parsed.codice_fiscale
    return initial


@require_http_methods(["GET", "POST"])
def person_create(request):
    require_person_registration(request.user)
    query = request.GET.get("q", "").strip()
    visible_duplicates, hidden_duplicates, suspected = [], 0, False
    if request.method == "POST":
        form = PersonCreateForm(request.POST)
        if form.is_valid():
            try:
                person = services.person_create(
                    actor=request.user,
                    data=form.service_data(),
                    confirmed_distinct=form.cleaned_data["confirm_distinct"],
                )
            except services.DuplicateSuspected as exc:
                suspected = True
                visible_duplicates, hidden_duplicates = visible_candidates_for(
                    request.user, exc.candidates
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The person has been registered."))
                return redirect("people:detail", pk=person.pk)
    else:
        form = PersonCreateForm(initial=_initial_from_query(query))
    context = _search_context(request, query)
    context.update(
        form=form,
        duplicates_suspected=suspected,
        visible_duplicates=visible_duplicates,
        hidden_duplicates=hidden_duplicates,
        code_taken=_code_taken(request, form),
    )
    return render(request, "people/create.html", context)


def _code_taken(request, form) -> dict | None:
    """The codice fiscale typed belongs to another person (services.code_taken_error):
    that person, if the user may see them (else None: the code is taken, by no one named)."""
    for error in form.errors.as_data().get("codice_fiscale", []):
        if error.code == "cf_taken":
            return {"owner": code_owner_for(request.user, (error.params or {}).get("person_id"))}
    return None


def _household_context(request, person: Person) -> dict:
    """Members of the person's household the user may see, and how many others exist."""
    household_members, hidden_members = household_members_for(request.user, person)
    return {"household_members": household_members, "hidden_members": hidden_members}


def _detail_context(request, person: Person, **forms) -> dict:
    # The sections the apps above add (contacts, referrals): registered in scopes.py.
    sections, section_context = person_sections(request.user, person)
    return {
        **_household_context(request, person),
        "person": person,
        "aliases": list(person.aliases.all()),
        "merged_records": list(
            person.merged_records.order_by("merged_at", "pk").only("pk", "external_id", "merged_at")
        ),
        "languages": person_languages(person),
        "consents": list(person.consents.select_related("collected_by")),
        # Read under an agreement (network.sharing): no button that changes the record.
        "shared_under": person_shared_under(request.user, person),
        **section_context,
        "person_sections": sections,
        "consent_form": forms.get("consent_form") or ConsentForm(),
        "withdraw_form": ConsentWithdrawForm(),
    }


def person_languages(person: Person) -> list[str]:
    return [language_name(code) for code in person.languages or []]


@require_GET
def person_detail(request, pk):
    person = get_person_for(request.user, pk)
    return render(request, "people/detail.html", _detail_context(request, person))


@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = get_person_for(request.user, pk, write=True)
    if request.method == "POST":
        form = PersonEditForm(request.POST, instance=person)
        if form.is_valid():
            try:
                services.person_update(
                    actor=request.user,
                    person=person,
                    data=form.service_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except services.ConflictError as exc:
                # Keep what was typed; the next save is a deliberate choice on fresh data.
                data = request.POST.copy()
                data["version"] = exc.current.version
                form = PersonEditForm(data, instance=exc.current)
                form.is_valid()
                form.add_error(
                    None,
                    _(
                        "Someone else changed this person while you were editing, so your "
                        "changes were not saved. Check the values below against the current "
                        "record, then save again."
                    ),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The changes have been saved."))
                return redirect("people:detail", pk=person.pk)
    else:
        form = PersonEditForm(instance=person, initial={"version": person.version})
    return render(request, "people/edit.html", {"person": person, "form": form})


def _audit_report_access(request, pk, *, note: str):
    """The person whose access report `request.user` may read (get_person_report_for),
    and the period asked for."""
    person = get_person_report_for(request.user, pk, note=note)
    form = PeriodForm(request.GET or None)
    return person, form, *form.period()


@require_GET
def person_audit(request, pk):
    """Who viewed or changed the person's data, when, from which organisation."""
    person, form, start, end = _audit_report_access(request, pk, note="access report")
    merged = duplicates.merged_ids(person)
    events = audit_report.events_for_person(person, start=start, end=end, merged_ids=merged)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    context = {
        "person": person,
        "form": form,
        "start": start,
        "end": end,
        "page": page,
        "rows": audit_report.rows(page.object_list, person=person),
        "merged_ids": merged,
        "summary": audit_report.summary(events),
        "period_query": urlencode({k: v for k in ("dal", "al") if (v := request.GET.get(k))}),
    }
    return render(request, "people/audit.html", context)


@require_GET
def person_audit_pdf(request, pk):
    """The access report as a PDF, for a data-subject request."""
    person, _form, start, end = _audit_report_access(request, pk, note="access report pdf")
    pdf = audit_report.report_pdf(
        person,
        start=start,
        end=end,
        user=request.user,
        merged_ids=duplicates.merged_ids(person),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="registro-accessi-{person.pk}.pdf"'
    return response


# --- household -----------------------------------------------------------------------------


@require_GET
def household(request, pk):
    # The page that changes the household: not for a reader under an agreement (403).
    person = get_person_for(request.user, pk, write=True)
    query = request.GET.get("q", "").strip()
    candidates = []
    if query and person.household_id:
        candidates = [
            (p, HouseholdMemberForm(initial={"person": p.pk}, auto_id=f"id_m{p.pk}_%s"))
            for p in household_candidates_for(request.user, query)
        ]
    context = _household_context(request, person)
    context.update(person=person, query=query, candidates=candidates)
    return render_page_or_partial(
        request, "people/household.html", "people/_household_candidates.html", context
    )


@require_POST
def household_create(request, pk):
    person = get_person_for(request.user, pk, write=True)
    try:
        services.household_create(actor=request.user, reference_person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The household has been created."))
    return redirect("people:household", pk=person.pk)


@require_POST
def household_add_member(request, pk):
    person = get_person_for(request.user, pk, write=True)
    household_obj = get_household_of_for(request.user, person, write=True)
    form = HouseholdMemberForm(request.POST)
    if form.is_valid():
        member = get_person_for(request.user, form.cleaned_data["person"], write=True)
        try:
            services.household_add_member(
                actor=request.user,
                household=household_obj,
                person=member,
                relationship=form.cleaned_data["relationship"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("%(name)s has been added to the household.") % {"name": member}
            )
    else:
        messages.error(request, _("Choose the relationship to the reference person."))
    return redirect("people:household", pk=person.pk)


@require_POST
def household_remove_member(request, pk, member_pk):
    person = get_person_for(request.user, pk, write=True)
    member = get_member_for(request.user, person, member_pk, write=True)
    try:
        services.household_remove_member(actor=request.user, person=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(name)s has been removed from the household.") % {"name": member}
        )
    if member.pk == person.pk:
        return redirect("people:detail", pk=person.pk)
    return redirect("people:household", pk=person.pk)


# --- consents ------------------------------------------------------------------------------


@require_GET
def consent_notice(request, pk):
    """The printable notice on sharing within the network (informativa), for the person to
    read before giving the consent; with the controller's and the DPO's contacts."""
    person = get_person_for(request.user, pk)
    context = {"person": person, "dpo_email": settings.CROCEVIA_DPO_EMAIL}
    return render(request, "people/consent_notice.html", context)


@require_POST
def consent_add(request, pk):
    person = get_person_for(request.user, pk, write=True)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.consent_record(
                actor=request.user,
                person=person,
                scope=form.cleaned_data["scope"],
                given_on=form.cleaned_data["given_on"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            for name, errors in exc.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("The consent has been recorded."))
            return redirect(reverse("people:detail", args=[person.pk]) + "#consents")
    context = _detail_context(request, person, consent_form=form)
    return render(request, "people/detail.html", context, status=200)


@require_POST
def consent_withdraw(request, pk, consent_pk):
    consent = get_consent_for(request.user, pk, consent_pk, write=True)
    person = consent.person
    form = ConsentWithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.consent_withdraw(
                actor=request.user, consent=consent, withdrawn_on=form.cleaned_data["withdrawn_on"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The withdrawal of the consent has been recorded."))
    else:
        messages.error(request, _("Enter the date of withdrawal."))
    return redirect(reverse("people:detail", args=[person.pk]) + "#consents")


# --- duplicates -----------------------------------------------------------------------------


@require_GET
def duplicates_queue(request):
    """The open pairs of possible duplicates, for coordinators and administrators."""
    form = DuplicateFilterForm(request.GET or None)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    page = duplicate_pairs_page_for(
        request.user, reason=reason, page_number=request.GET.get("page")
    )
    query = urlencode({"reason": reason}) if reason else ""
    return render(request, "people/duplicates.html", {"form": form, "page": page, "query": query})


@require_http_methods(["GET", "POST"])
def duplicate_pair(request, pk):
    """Two records side by side: merge them (the coordinator picks the surviving values)
    or record that they are different persons."""
    pair = get_pair_for(request.user, pk)
    posted = request.method == "POST" and pair.status == DuplicatePair.Status.OPEN
    comparison = merge_comparison(pair, user=request.user, data=request.POST if posted else None)
    form = comparison.form
    if posted and form.is_valid():
        survivor, merged = form.survivor_and_merged()
        try:
            kept = duplicates.person_merge(
                actor=request.user,
                survivor=survivor,
                merged=merged,
                take_from_merged=form.take_from_merged(),
                expected_versions=form.expected_versions(),
            )
        except services.ConflictError:
            # Compare again on fresh data: the versions are the current ones now.
            data = request.POST.copy()
            data["version_a"], data["version_b"] = pair.person_a.version, pair.person_b.version
            comparison = merge_comparison(pair, user=request.user, data=data)
            comparison.form.is_valid()
            comparison.form.add_error(
                None,
                _(
                    "Someone changed one of the two records while you were comparing "
                    "them, so nothing was merged. Check the values below, which are the "
                    "current ones, then confirm again."
                ),
            )
        except ValidationError as exc:
            form.add_error(None, merge_error_sentences(exc))
        else:
            messages.success(
                request,
                _(
                    "The two records have been merged into this one: contacts, cases and "
                    "everything else of record n. %(merged)s are here now."
                )
                % {"merged": merged.pk},
            )
            return redirect("people:detail", pk=kept.pk)
    return render(request, "people/duplicate_pair.html", comparison.context())


@require_POST
def duplicate_distinct(request, pk):
    """The coordinator checked the pair: two different persons (it leaves the queue)."""
    pair = get_pair_for(request.user, pk)
    try:
        duplicates.pair_mark_distinct(actor=request.user, pair=pair)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:duplicate", pk=pair.pk)
    messages.success(
        request, _("Recorded: the two records are different persons. The pair has left the list.")
    )
    return redirect("people:duplicates")
