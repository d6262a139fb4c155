"""Patron saints' days of Comuni other than the provincial capitals built into workdays.py."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class PatronDay(models.Model):
    """The patron saint's day of a Comune: not a working day for its organisations' cases."""

    comune = models.ForeignKey(
        "network.Comune",
        on_delete=models.CASCADE,
        related_name="patron_days",
        verbose_name=_("Comune"),
    )
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))

    class Meta:
        ordering = ["comune__name", "month", "day"]
        verbose_name = _("patron saint's day")
        verbose_name_plural = _("patron saints' days")
        constraints = [
            models.UniqueConstraint(
                fields=["comune", "month", "day"], name="patron_day_comune_date_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="patron_day_valid_range",
            ),
        ]

    def __str__(self):
        return f"{self.comune} – {self.day:02d}/{self.month:02d}"

    def clean(self):
        try:
            # 2024 is a leap year: 29 February is a valid (if unusual) patron day.
            datetime.date(2024, self.month or 0, self.day or 0)
        except (TypeError, ValueError):
            raise ValidationError({"day": _("This day does not exist in that month.")}) from None
