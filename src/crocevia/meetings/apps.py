from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crocevia.audit.sensitive import register_moved_model


class MeetingsConfig(AppConfig):
    name = "crocevia.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        # The models lived in `cases` until issue 17: the events written then are labelled
        # "cases.meeting" and "cases.meetingitem", and still name these models.
        register_moved_model("cases.meeting", "meetings.meeting")
        register_moved_model("cases.meetingitem", "meetings.meetingitem")
