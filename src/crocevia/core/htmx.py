"""Small helpers for htmx partial updates."""

from django.shortcuts import render


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_page_or_partial(request, template: str, partial: str, context: dict, status=200):
    """The whole page on a normal request; only the partial on an htmx request."""
    return render(request, partial if is_htmx(request) else template, context, status=status)
