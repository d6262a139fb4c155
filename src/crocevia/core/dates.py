"""The plausible range of a date typed on a form or read from an import.

One definition for every path, so that a form cannot accept what an import refuses (an
agreement signed on 0001-01-01, a contact in 2099):

- a date of the services' work (a contact, a case's milestone, a meeting, an agreement,
  a programme) is not before `EARLIEST_EVENT_DATE`;
- a birth date is not before `EARLIEST_BIRTH_DATE`;
- a date that may lie ahead (a due date, an expiry, an agreement's end) is at most
  `FUTURE_YEARS` years from today; any other date is not after today.

And the one way a service checks a day it is given (`check_day`) and names a day in a
message (`format_day`).
"""

import datetime

import holidays
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

EARLIEST_EVENT_DATE = datetime.date(2000, 1, 1)
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
FUTURE_YEARS = 10


def latest_date(*, allow_future: bool, today: datetime.date | None = None) -> datetime.date:
    """The last plausible day: today, or FUTURE_YEARS years from today."""
    today = today or timezone.localdate()
    if not allow_future:
        return today
    try:
        return today.replace(year=today.year + FUTURE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + FUTURE_YEARS, day=28)


def date_range_error(
    day: datetime.date,
    *,
    earliest: datetime.date = EARLIEST_EVENT_DATE,
    allow_future: bool = False,
    today: datetime.date | None = None,
) -> str | None:
    """The Italian reason `day` is outside its plausible range, or None."""
    latest = latest_date(allow_future=allow_future, today=today)
    if day < earliest:
        return _("The date cannot be before %(date)s.") % {"date": earliest.strftime("%d/%m/%Y")}
    if day > latest:
        if not allow_future:
            return _("The date cannot be in the future.")
        return _("The date cannot be after %(date)s.") % {"date": latest.strftime("%d/%m/%Y")}
    return None


def check_date_range(
    day: datetime.date,
    *,
    earliest: datetime.date = EARLIEST_EVENT_DATE,
    allow_future: bool = False,
) -> datetime.date:
    """`day`, or ValidationError with the reason it is not plausible."""
    reason = date_range_error(day, earliest=earliest, allow_future=allow_future)
    if reason:
        raise ValidationError(reason, code="implausible_date")
    return day


def is_day(value) -> bool:
    """True for a date that is not a datetime."""
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def format_day(day: datetime.date) -> str:
    """`day` as the active language writes a short date (15/03/2026)."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def check_day(errors: dict, field: str, day, *, not_before=None, label="") -> None:
    """Put in `errors[field]` why `day` is not a valid day of the services' work: not a
    date, in the future, or before `not_before` (what it is: `label`, "the referral")."""
    if not is_day(day):
        errors[field] = _("Enter a valid date.")
    elif day > timezone.localdate():
        errors[field] = _("The date (%(day)s) cannot be in the future.") % {"day": format_day(day)}
    elif not_before is not None and day < not_before:
        errors[field] = _("The date (%(day)s) cannot be before %(what)s (%(previous)s).") % {
            "day": format_day(day),
            "what": label,
            "previous": format_day(not_before),
        }


def working_days_before(day: datetime.date, count: int) -> datetime.date:
    """The day `count` working days before `day` (Monday–Friday, not an Italian national
    holiday; a Comune's patron day is the report's finer count, reporting.workdays). An
    answer is overdue when asked before this day: `sent_on < working_days_before(today, n)`
    means more than n working days have passed."""
    national = holidays.country_holidays("IT", years={day.year - 1, day.year})
    current = day
    left = count
    while left > 0:
        current -= datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in national:
            left -= 1
    return current


def quarter_start(day: datetime.date) -> datetime.date:
    """The first day of the calendar quarter of `day` (1 January, April, July, October)."""
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def previous_quarter(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar quarter before the one of `day`."""
    end = quarter_start(day) - datetime.timedelta(days=1)
    return quarter_start(end), end
