"""The period and scope form of the report page (a GET form: `from`, `to`, `scope`)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.core.dates import previous_quarter, quarter_start
from crocevia.core.forms import PlausibleDateField, StyledFormMixin

MAX_YEARS = 5
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
PRESETS = ("this_year", "last_year", "last_12_months", "this_quarter", "last_quarter")


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def default_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """1 January of this year to today."""
    today = today or timezone.localdate()
    return today.replace(month=1, day=1), today


def preset_period(preset: str, today: datetime.date | None = None):
    """(start, end) of a preset button, or None for an unknown preset."""
    today = today or timezone.localdate()
    if preset == "this_year":
        return default_period(today)
    if preset == "last_year":
        return datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    if preset == "last_12_months":
        return _years_before(today, 1) + datetime.timedelta(days=1), today
    # The LEP table is read by zone and quarter (seed 002, "Sintesi Obiettivi LEP").
    if preset == "this_quarter":
        return quarter_start(today), today
    if preset == "last_quarter":
        return previous_quarter(today)
    return None


def preset_choices() -> list[tuple[str, str]]:
    return [
        ("this_year", _("This year to date")),
        ("last_year", _("Previous year")),
        ("last_12_months", _("Last 12 months")),
        ("this_quarter", _("This quarter to date")),
        ("last_quarter", _("Previous quarter")),
    ]


class ReportForm(StyledFormMixin, forms.Form):
    """`from` and `to` in the query string (Python names: start, end), and the scope."""

    HTML_NAMES = {"start": "from", "end": "to"}

    start = PlausibleDateField(
        label=gettext_lazy("From"), input_formats=DATE_FORMATS, allow_future=True
    )
    end = PlausibleDateField(
        label=gettext_lazy("To"), input_formats=DATE_FORMATS, allow_future=True
    )
    scope = forms.ChoiceField(label=gettext_lazy("Scope"))

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes.choices()

    def add_prefix(self, field_name):
        return self.HTML_NAMES.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end of the period comes before its start."))
            elif start <= _years_before(end, MAX_YEARS):
                self.add_error(
                    "start",
                    _("The period is longer than %(years)s years: choose a shorter one.")
                    % {"years": MAX_YEARS},
                )
        return data
