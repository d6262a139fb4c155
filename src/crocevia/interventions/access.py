"""The one way a view obtains an intervention: through its case's access.

Obtaining an intervention records its access event (crocevia.audit.recording).
"""

from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import record_access
from crocevia.cases.access import find_case_for

from .models import Intervention


def get_intervention_for(user, pk, *, write: bool = False) -> Intervention:
    case_id = Intervention.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404(_("Intervention not found."))
    case = find_case_for(user, case_id, write=write)
    intervention = Intervention.objects.select_related("type", "provider").get(pk=pk)
    intervention.case = case
    record_access(actor=user, instance=intervention, person_id=case.person_id)
    return intervention
