"""The printable plan (PDF, WeasyPrint) that the beneficiary and the operators sign.

The document is rendered in the site's language (Italian) whatever the browser asks for.
Its styles live inside the HTML given to WeasyPrint (not a browser page: no CSP applies)
and use fonts installed on the system (DejaVu Sans, Liberation Sans).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crocevia.network.models import CasePart
from crocevia.network.sharing import ALL_PARTS

from .models import PlanVersion
from .selectors import objectives_by_dimension, operators_for_plan, version_with_content


def plan_pdf(
    version: PlanVersion,
    *,
    user,
    parts: frozenset,
    hidden: frozenset,
) -> bytes:
    """The PDF of one version of a plan, as bytes.

    `parts`: the parts of the case `user` reads (cases.access.case_parts_for): a reader
    under an agreement gets the registry block only with the registry part, the case's
    interventions only with theirs, and no team (an agreement never opens it: a draft's
    signature lines are then the beneficiary's only). `hidden`: the objectives' dimensions
    left out (plans.selectors.hidden_dimensions: health, unless they read it)."""
    from weasyprint import HTML  # heavy import, only when printing

    plan = version.plan
    case = plan.case
    full = parts >= ALL_PARTS
    if not hasattr(version, "_prefetched_objects_cache"):
        version = version_with_content(plan, version.number)
        version.plan = plan
    signers = list(version.signed_by_operators.all())
    if not signers and full:
        # Unsigned draft: one line for each operator who can sign (the team).
        signers = list(operators_for_plan(case))
    interventions = []
    if CasePart.INTERVENTIONS in parts:
        interventions = list(
            case.interventions.select_related("type", "provider").order_by("starts_on", "id")
        )
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "plans/pdf.html",
            {
                "plan": plan,
                "case": case,
                "person": case.person,
                "version": version,
                "shows_registry": CasePart.REGISTRY in parts,
                "hidden_dimensions": sorted(hidden),
                "objective_groups": objectives_by_dimension(version, hidden=hidden),
                "actions": list(version.actions.all()),
                "interventions": interventions,
                "signers": signers,
                "printed_by": user,
                "printed_at": timezone.localtime(),
            },
        )
    return HTML(string=html, base_url=None).write_pdf()
