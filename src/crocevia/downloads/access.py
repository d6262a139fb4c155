"""The one door of the prepared files: a file is its user's only.

No access event here: what a prepared file holds was recorded when it was asked for (an
export's event, by the app that asked), and its page shows only its title and state.
"""

from django.http import Http404
from django.utils.translation import gettext as _

from .models import PreparedFile


def get_prepared_file_for(user, pk) -> PreparedFile:
    """One of `user`'s own prepared files; 404 for anyone else's (administrators
    included): it does not exist for them."""
    try:
        return PreparedFile.objects.get(pk=pk, user=user)
    except (PreparedFile.DoesNotExist, ValueError):
        raise Http404(_("Page not found.")) from None
