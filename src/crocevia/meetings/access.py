"""The one way a view obtains a meeting, and who may change it.

Obtaining what shows personal data records its access event (crocevia.audit.recording).
"""

from django.http import Http404
from django.utils.translation import gettext as _

from crocevia.accounts.selectors import coordinated_zone_ids
from crocevia.audit.recording import NOTE_CASE_LIST, record_access, record_persons_shown
from crocevia.cases.selectors import cases_visible_to

from .models import Meeting
from .selectors import meetings_visible_to


def can_edit_meeting(user, meeting: Meeting) -> bool:
    return (
        user.is_superuser
        or meeting.created_by_id == user.pk
        or meeting.zone_id in coordinated_zone_ids(user)
    )


def can_read_restricted_text(user, meeting: Meeting, *, hidden_cases: int) -> bool:
    """The minutes written before the per-case items (migration meeting_items_per_case)
    may name any person of the cases discussed: only an editor of the meeting who sees
    every one reads them."""
    return hidden_cases == 0 and can_edit_meeting(user, meeting)


def meeting_case_choices_for(user, zone_ids):
    """The cases a meeting form offers to discuss (every case of the zones that `user` may
    see), their persons recorded as shown: the picker names them ("Caso N – name")."""
    cases = cases_visible_to(user).filter(zone_id__in=zone_ids).select_related("person")
    person_ids = list(cases.order_by("pk").values_list("person_id", flat=True))
    record_persons_shown(actor=user, person_ids=person_ids, note=NOTE_CASE_LIST)
    return cases


def get_meeting_for(user, pk) -> Meeting:
    """A meeting of a zone `user` works in, or 404; its access event recorded
    (record_meeting_shown). Who may change it: can_edit_meeting."""
    try:
        meeting = meetings_visible_to(user).select_related("zone", "created_by").get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404(_("Meeting not found.")) from None
    record_meeting_shown(user, meeting)
    return meeting


def record_meeting_shown(user, meeting: Meeting) -> None:
    """The meeting's access event, for each person of the cases discussed that `user` may
    see (the page names them and shows their part); without a person when it shows none.
    One query."""
    person_ids = list(
        cases_visible_to(user)
        .filter(meetings=meeting)
        .order_by("pk")
        .values_list("person_id", flat=True)
    )
    if person_ids:
        record_persons_shown(actor=user, instance=meeting, person_ids=person_ids)
    else:
        record_access(actor=user, instance=meeting)
