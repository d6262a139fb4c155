from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.audit.sensitive import register_moved_model
from crocevia.cases.sections import FOLLOWUP, register_case_section


class MeetingsConfig(AppConfig):
    name = "crocevia.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        # The models lived in `cases` until issue 17: the events written then are labelled
        # "cases.meeting" and "cases.meetingitem", and still name these models.
        register_moved_model("cases.meeting", "meetings.meeting")
        register_moved_model("cases.meetingitem", "meetings.meetingitem")
        # The case page's follow-up (reviews, and the meetings that discussed the case),
        # after the sections of the apps above cases.
        from . import selectors

        # Reviews and meetings are the team's own work: no agreement's part covers them.
        register_case_section(
            "meetings/_case_section.html",
            selectors.case_section_context,
            place=FOLLOWUP,
            part=None,
        )
