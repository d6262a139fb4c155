from django import forms
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import PlausibleDateField, StyledFormMixin


class PeriodForm(StyledFormMixin, forms.Form):
    """The period of a person's access report; both ends optional, both included."""

    dal = PlausibleDateField(label=_("From"), required=False, allow_future=True)
    al = PlausibleDateField(label=_("To"), required=False, allow_future=True)

    def clean(self):
        data = super().clean()
        start, end = data.get("dal"), data.get("al")
        if start and end and start > end:
            self.add_error("al", _("The end of the period comes before its start."))
        return data

    def period(self):
        """(start, end) if the form is valid, else (None, None): the whole trail."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("dal"), self.cleaned_data.get("al")
        return None, None
