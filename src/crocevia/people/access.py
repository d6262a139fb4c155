"""The one way a view obtains a person or a household."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Household, Person
from .selectors import persons_editable_by, persons_visible_to


def get_person_for(user, pk, *, write: bool = False) -> Person:
    """The person `pk` if `user` may see it (404 otherwise); 403 if they may not change it."""
    try:
        person = persons_visible_to(user).select_related("comune", "household").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Person not found.")) from None
    if write and not persons_editable_by(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("You may not change this person."))
    return person


def get_household_for(user, pk, *, write: bool = False) -> Household:
    """A household is visible when at least one of its members is."""
    visible = persons_visible_to(user).filter(household_id=pk)
    if not visible.exists():
        raise Http404(_("Household not found."))
    household = Household.objects.get(pk=pk)
    if write and not persons_editable_by(user).filter(household_id=pk).exists():
        raise PermissionDenied(_("You may not change this household."))
    return household
