import datetime
from decimal import Decimal

import pytest

from crocevia.reporting.models import PatronDay
from crocevia.reporting.workdays import Calendar, percentage, statistics, working_days
from crocevia.testing import ComuneFactory

D = datetime.date


@pytest.mark.django_db
class TestWorkingDays:
    def test_same_day_is_zero(self, actors):
        assert working_days(D(2025, 4, 22), D(2025, 4, 22), actors.pisa.pk) == 0

    def test_first_day_excluded_last_included(self):
        # Monday → Friday of an ordinary week: Tue, Wed, Thu, Fri.
        assert working_days(D(2025, 3, 3), D(2025, 3, 7), None) == 4
        # Friday → Monday: the weekend does not count.
        assert working_days(D(2025, 3, 7), D(2025, 3, 10), None) == 1

    def test_easter_monday(self):
        # Fri 18 April 2025 → Tue 22: Sat, Sun, Easter Monday, Tue.
        assert working_days(D(2025, 4, 18), D(2025, 4, 22), None) == 1

    def test_liberation_day(self):
        # Thu 24 April 2025 → Mon 28: 25 April (Friday) is a holiday.
        assert working_days(D(2025, 4, 24), D(2025, 4, 28), None) == 1

    def test_republic_day(self):
        # Fri 30 May 2025 → Tue 3 June: 2 June (Monday) is a holiday.
        assert working_days(D(2025, 5, 30), D(2025, 6, 3), None) == 1

    def test_patron_day_of_the_comune_only(self, actors):
        # San Ranieri, 17 June 2025 (Tuesday): a holiday in Pisa, not in Livorno.
        assert working_days(D(2025, 6, 16), D(2025, 6, 18), actors.pisa.pk) == 1
        assert working_days(D(2025, 6, 16), D(2025, 6, 18), actors.livorno.pk) == 2
        # Santa Giulia, 22 May 2025 (Thursday): Livorno only.
        assert working_days(D(2025, 5, 21), D(2025, 5, 23), actors.livorno.pk) == 1
        assert working_days(D(2025, 5, 21), D(2025, 5, 23), actors.pisa.pk) == 2

    def test_organisation_without_comune_has_national_holidays_only(self):
        assert working_days(D(2025, 6, 16), D(2025, 6, 18), None) == 2
        assert working_days(D(2025, 6, 1), D(2025, 6, 3), None) == 1

    def test_built_in_capital_found_by_name(self):
        grosseto = ComuneFactory(name="Grosseto", province="GR")
        # San Lorenzo, 10 August 2026 (Monday).
        assert working_days(D(2026, 8, 7), D(2026, 8, 11), grosseto.pk) == 1

    def test_configured_patron_day(self):
        cascina = ComuneFactory(name="Cascina")
        assert working_days(D(2025, 7, 2), D(2025, 7, 4), cascina.pk) == 2
        PatronDay.objects.create(comune=cascina, month=7, day=3)
        assert working_days(D(2025, 7, 2), D(2025, 7, 4), cascina.pk) == 1

    def test_across_years_and_christmas(self, actors):
        # Fri 20 Dec 2024 → Wed 8 Jan 2025: 23, 24, 27, 30, 31 Dec, 2, 3, 7, 8 Jan.
        assert working_days(D(2024, 12, 20), D(2025, 1, 8), actors.pisa.pk) == 9

    def test_a_long_span_matches_day_by_day_counting(self, actors):
        calendar = Calendar.for_comuni([actors.pisa.pk])
        start = D(2024, 1, 1)
        holidays_seen = set()
        count = 0
        for offset in range(1, 800):
            day = start + datetime.timedelta(days=offset)
            if day.weekday() < 5 and calendar.working_days(
                day - datetime.timedelta(days=1), day, actors.pisa.pk
            ):
                count += 1
            else:
                holidays_seen.add(day)
            assert calendar.working_days(start, day, actors.pisa.pk) == count
        assert D(2025, 6, 17) in holidays_seen and D(2025, 4, 21) in holidays_seen

    def test_backwards_dates_are_refused(self):
        with pytest.raises(ValueError):
            working_days(D(2025, 3, 7), D(2025, 3, 6), None)


class TestStatistics:
    def test_empty(self):
        assert statistics([]) == {"n": 0, "min": None, "median": None, "mean": None, "max": None}

    def test_even_sized_median_is_the_mean_of_the_middle_two(self):
        assert statistics([3, 10, 1, 2]) == {
            "n": 4,
            "min": 1,
            "median": Decimal("2.5"),
            "mean": Decimal("4.0"),
            "max": 10,
        }

    def test_odd_sized(self):
        result = statistics([5, 1, 4])
        assert result["median"] == Decimal("4.0") and result["mean"] == Decimal("3.3")

    def test_half_up_not_half_even(self):
        # 5 / 4 = 1.25 → 1.3 (round() would give 1.2).
        assert statistics([1, 1, 1, 2])["mean"] == Decimal("1.3")


def test_percentage():
    assert percentage(1, 3) == Decimal("33.3")
    assert percentage(2, 3) == Decimal("66.7")
    assert percentage(1, 16) == Decimal("6.3")  # 6.25, half up
    assert percentage(0, 5) == Decimal("0.0")
    assert percentage(0, 0) is None
