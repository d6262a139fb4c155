from django.contrib import messages
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .access import PersonMerged


class MergedPersonMiddleware:
    """A page of a record merged into another (a tombstone) is the survivor's page.

    get_person_for raises PersonMerged for such a record when the user may see the
    survivor. A GET goes to the same page of the survivor (its person page, its household,
    its cases...), with a notice; anything else (a form sent from a page opened before the
    merge) writes nothing and goes to the survivor's person page, saying so.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PersonMerged):
            return None
        survivor = exception.survivor
        messages.info(
            request,
            _("This record has been merged into %(name)s: here is the record that holds it now.")
            % {"name": survivor.full_name},
        )
        target = reverse("people:detail", args=[survivor.pk])
        match = request.resolver_match
        if request.method in ("GET", "HEAD") and match is not None:
            merged = str(exception.merged_pk)
            kwargs = {
                key: survivor.pk if str(value) == merged else value
                for key, value in match.kwargs.items()
            }
            try:
                target = reverse(match.view_name, kwargs=kwargs)
            except NoReverseMatch:
                pass
            else:
                query = request.META.get("QUERY_STRING", "")
                target += f"?{query}" if query else ""
        else:
            messages.warning(
                request, _("Nothing was saved: do it again on this record if it is still needed.")
            )
        return redirect(target)
