"""Thin views of the network pages: zones, organisations, agreements (/rete/)."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import services
from .access import (
    agreement_editable_by,
    agreements_for,
    get_agreement_document_for,
    get_agreement_for,
    get_organisation_for,
    get_zone_for,
    may_create_agreements,
    may_see_agreements,
    may_see_zone_of,
    require_agreement_creation,
    require_network,
)
from .forms import AgreementForm, add_service_errors, party_formset
from .lep import zone_norms
from .models import Agreement, CasePart, Desk, Organisation
from .sections import organisation_sections, zone_sections
from .selectors import (
    ACCESS_POINT_NORM,
    EXPIRY_ALERT_DAYS,
    SOCIAL_WORKER_NORM,
    agreements_visible_to,
    figures_of,
    lep_by_zone,
    organisation_lep,
    staff_counts,
    with_parties,
    zones_visible_to,
)

AGREEMENTS_PER_PAGE = 50


def _norms() -> dict:
    return {"social_worker_norm": SOCIAL_WORKER_NORM, "access_point_norm": ACCESS_POINT_NORM}


def _agreement_rows(agreements, today) -> list[Agreement]:
    """Agreements with what a list shows: days left, expired, about to expire."""
    rows = list(agreements)
    for agreement in rows:
        agreement.left = agreement.days_left(today)
        agreement.expired = agreement.is_expired(today)
        agreement.expiring = agreement.expires_within(EXPIRY_ALERT_DAYS, today)
        agreement.not_started = not agreement.is_started(today)
    return rows


@require_GET
def index(request):
    require_network(request.user)
    zones = list(zones_visible_to(request.user))
    figures = lep_by_zone([z.pk for z in zones])
    for zone in zones:
        zone.lep = figures[zone.pk]
    return render(
        request,
        "network/index.html",
        {
            "zones": zones,
            "may_see_agreements": may_see_agreements(request.user),
            **_norms(),
        },
    )


@require_GET
def zone_detail(request, pk):
    zone = get_zone_for(request.user, pk)
    today = timezone.localdate()
    agreements = []
    show_agreements = may_see_agreements(request.user)
    if show_agreements:
        agreements = _agreement_rows(
            with_parties(
                agreements_visible_to(request.user)
                .filter(parties__organisation__zone=zone)
                .distinct()
            ),
            today,
        )
    # The Comuni with the access-point rule of each, and the figures of the LEP table
    # computed from the same rows (network.lep): what the report's lep.* keys read.
    norms = zone_norms([zone.pk])[zone.pk]
    context = {
        "zone": zone,
        "norms": norms,
        "organisations": Organisation.objects.filter(zone=zone).order_by("name"),
        "lep": figures_of(norms),
        "show_agreements": show_agreements,
        "agreements": agreements,
        "today": today,
        **_norms(),
    }
    # What the apps above add (the LEP obligations met by the zone's cases): network.sections.
    sections, section_context = zone_sections(request.user, zone)
    context.update(section_context, zone_sections=sections)
    return render(request, "network/zone.html", context)


@require_GET
def organisation_detail(request, pk):
    organisation = get_organisation_for(request.user, pk)
    today = timezone.localdate()
    show_agreements = may_see_agreements(request.user)
    agreements = []
    if show_agreements:
        agreements = _agreement_rows(
            with_parties(
                agreements_visible_to(request.user).filter(parties__organisation=organisation)
            ),
            today,
        )
    may_see_zone = may_see_zone_of(request.user, organisation)
    context = {
        "organisation": organisation,
        "desks": Desk.objects.filter(organisation=organisation).select_related("comune"),
        "staff": staff_counts(organisation),
        # A zone's staffing figures are for those who see the zone, not for every party
        # to an agreement with one of its organisations.
        "lep": organisation_lep(organisation) if may_see_zone else None,
        "show_agreements": show_agreements,
        "agreements": agreements,
        "may_see_zone": may_see_zone,
        **_norms(),
    }
    # What the apps above add to the page (the organisation's programmes): network.sections.
    sections, section_context = organisation_sections(request.user, organisation)
    context.update(section_context, organisation_sections=sections)
    return render(request, "network/organisation.html", context)


@require_GET
def agreement_list(request):
    queryset = agreements_for(request.user)
    today = timezone.localdate()
    status = request.GET.get("status", "")
    q = (request.GET.get("q") or "").strip()
    if status == "in_force":
        queryset = queryset.filter(valid_from__lte=today).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )
    elif status == "expiring":
        queryset = queryset.filter(
            valid_until__gte=today,
            valid_until__lte=today + datetime.timedelta(days=EXPIRY_ALERT_DAYS),
        )
    elif status == "expired":
        queryset = queryset.filter(valid_until__lt=today)
    else:
        status = ""
    if q:
        queryset = queryset.filter(
            Q(title__icontains=q)
            | Q(reference__icontains=q)
            | Q(parties__organisation__name__icontains=q)
        ).distinct()
    page = Paginator(with_parties(queryset.order_by("-valid_from", "title")), AGREEMENTS_PER_PAGE)
    page_obj = page.get_page(request.GET.get("page"))
    return render(
        request,
        "network/agreement_list.html",
        {
            "agreements": _agreement_rows(page_obj.object_list, today),
            "page_obj": page_obj,
            "status": status,
            "q": q,
            "may_create": may_create_agreements(request.user),
            "alert_days": EXPIRY_ALERT_DAYS,
        },
    )


def _sharing_table(agreement: Agreement) -> list[dict]:
    parties = list(agreement.parties.all())
    return [
        {
            "party": party,
            "parts": [(value, party.may_see(value)) for value in CasePart.values],
            "sentence": _sharing_sentence(party, [p for p in parties if p.pk != party.pk]),
        }
        for party in parties
    ]


def _sharing_sentence(party, others) -> str:
    """What the party's members may read of the others' data, in words (network.sharing)."""
    labels = [str(label) for value, label in CasePart.choices if party.may_see(value)]
    names = ", ".join(other.organisation.name for other in others)
    if not labels:
        return _("%(party)s sees nothing of what the other parties (%(others)s) record.") % {
            "party": party.organisation.name,
            "others": names,
        }
    return _(
        "While the agreement is in force, the members of %(party)s may read these parts of "
        "the persons and cases of the other parties (%(others)s) who consent to sharing "
        "within the network: %(parts)s."
    ) % {"party": party.organisation.name, "others": names, "parts": ", ".join(labels)}


@require_GET
def agreement_detail(request, pk):
    agreement = get_agreement_for(request.user, pk)
    today = timezone.localdate()
    _agreement_rows([agreement], today)
    amounts = [p.amount for p in agreement.parties.all() if p.amount is not None]
    total = sum(amounts, Decimal(0)) if amounts else None
    return render(
        request,
        "network/agreement.html",
        {
            "agreement": agreement,
            "parts": CasePart.choices,
            "sharing": _sharing_table(agreement),
            "total_amount": total,
            "may_edit": agreement_editable_by(request.user, agreement),
            "alert_days": EXPIRY_ALERT_DAYS,
        },
    )


def _render_form(request, form, formset, agreement=None, status=200):
    return render(
        request,
        "network/agreement_form.html",
        {"form": form, "formset": formset, "agreement": agreement},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def agreement_create(request):
    require_agreement_creation(request.user)
    data = request.POST if request.method == "POST" else None
    form = AgreementForm(data, request.FILES or None)
    formset = party_formset(data)
    if data is not None and form.is_valid() & formset.is_valid():
        try:
            agreement = services.agreement_create(
                actor=request.user, parties=formset.parties(), **form.service_data()
            )
        except ValidationError as error:
            add_service_errors(form, error, formset)
        else:
            messages.success(request, _("Agreement recorded."))
            return redirect("network:agreement_detail", pk=agreement.pk)
    return _render_form(request, form, formset)


@require_http_methods(["GET", "POST"])
def agreement_edit(request, pk):
    agreement = get_agreement_for(request.user, pk, write=True)
    has_document = bool(agreement.document)
    if request.method == "POST":
        form = AgreementForm(request.POST, request.FILES or None, has_document=has_document)
        formset = party_formset(request.POST, agreement=agreement)
        if form.is_valid() & formset.is_valid():
            data = form.service_data()
            expected = form.cleaned_data.get("version")
            try:
                services.agreement_update(
                    actor=request.user,
                    agreement=agreement,
                    expected_version=expected,
                    parties=formset.parties(),
                    **data,
                )
            except services.ConflictError as error:
                post = request.POST.copy()
                post["version"] = error.current.version
                form = AgreementForm(post, has_document=has_document)
                form.is_valid()
                form.add_error(
                    None,
                    _(
                        "Someone else changed this agreement while you were editing it, so "
                        "your changes were not saved. Check the agreement's page, then save "
                        "again."
                    ),
                )
            except ValidationError as error:
                add_service_errors(form, error, formset)
            else:
                messages.success(request, _("The changes have been saved."))
                return redirect("network:agreement_detail", pk=agreement.pk)
    else:
        form = AgreementForm(
            initial={
                "title": agreement.title,
                "kind": agreement.kind,
                "reference": agreement.reference,
                "signed_on": agreement.signed_on,
                "valid_from": agreement.valid_from,
                "valid_until": agreement.valid_until,
                "renewable": agreement.renewable,
                "renewal_terms": agreement.renewal_terms,
                "notes": agreement.notes,
                "version": agreement.version,
            },
            has_document=has_document,
        )
        formset = party_formset(agreement=agreement)
    return _render_form(request, form, formset, agreement)


@require_GET
def agreement_document(request, pk):
    agreement, handle = get_agreement_document_for(request.user, pk)
    suffix = "." + agreement.document.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=agreement.document_name or f"agreement-{agreement.pk}{suffix}",
        content_type=services.DOCUMENT_TYPES.get(suffix, "application/octet-stream"),
    )
    # Streamed from the file storage (the database's chunks or the bucket), 64 KiB at a
    # time rather than 4 KiB: never the whole file in memory.
    response.block_size = 64 * 1024
    return response
