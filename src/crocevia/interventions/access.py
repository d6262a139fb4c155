"""The one way a view obtains an intervention: through its case's access.

Obtaining an intervention records its access event (crocevia.audit.recording).
"""

from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.audit.recording import record_access
from crocevia.cases.access import case_access_note, find_case_for
from crocevia.network.models import CasePart

from .models import Intervention


def get_intervention_for(user, pk, *, write: bool = False) -> Intervention:
    case_id = Intervention.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404(_("Intervention not found."))
    case = find_case_for(user, case_id, write=write, part=CasePart.INTERVENTIONS)
    intervention = Intervention.objects.select_related("type", "provider").get(pk=pk)
    intervention.case = case
    note = case_access_note(user, case, CasePart.INTERVENTIONS)
    record_access(actor=user, instance=intervention, person_id=case.person_id, note=note)
    return intervention
