"""The printable plan (PDF, WeasyPrint) that the beneficiary and the operators sign.

The document is rendered in the site's language (Italian) whatever the browser asks for.
Its styles live inside the HTML given to WeasyPrint (not a browser page: no CSP applies)
and use fonts installed on the system (DejaVu Sans, Liberation Sans).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import PlanVersion
from .selectors import objectives_by_dimension, version_with_content


def plan_pdf(version: PlanVersion, *, user) -> bytes:
    """The PDF of one version of a plan, as bytes."""
    from weasyprint import HTML  # heavy import, only when printing

    plan = version.plan
    case = plan.case
    if not hasattr(version, "_prefetched_objects_cache"):
        version = version_with_content(plan, version.number)
        version.plan = plan
    signers = list(version.signed_by_operators.all())
    if not signers:
        # Unsigned draft: one line for each operator who can sign.
        from .selectors import operators_for_plan

        signers = list(operators_for_plan(case))
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "plans/pdf.html",
            {
                "plan": plan,
                "case": case,
                "person": case.person,
                "version": version,
                "objective_groups": objectives_by_dimension(version),
                "actions": list(version.actions.all()),
                "interventions": list(
                    case.interventions.select_related("type", "provider").order_by(
                        "starts_on", "id"
                    )
                ),
                "signers": signers,
                "printed_by": user,
                "printed_at": timezone.localtime(),
            },
        )
    return HTML(string=html, base_url=None).write_pdf()
