"""Input shape of section B; the rules live in assessments.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import PlausibleDateField, StyledFormMixin

from .models import Assessment, Dimension

SCORE_CHOICES = [("", _("Choose"))] + [(str(n), str(n)) for n in range(1, 6)]


class AssessmentForm(StyledFormMixin, forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=Assessment.Phase.choices)
    assessed_on = PlausibleDateField(label=_("Assessed on"))
    notes = forms.CharField(
        label=_("General notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, show_health_notes: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate
        for dimension in Dimension:
            self.fields[f"score_{dimension.value}"] = forms.TypedChoiceField(
                label=_("Score: %(dimension)s") % {"dimension": dimension.label},
                choices=SCORE_CHOICES,
                coerce=int,
                help_text=_("1 = severe need, 5 = no need."),
            )
            self.fields[f"notes_{dimension.value}"] = forms.CharField(
                label=_("Notes: %(dimension)s") % {"dimension": dimension.label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        # Re-run the styling for the fields added above.
        for name in list(self.fields):
            if name.startswith(("score_", "notes_")):
                widget = self.fields[name].widget
                css = "form-select" if name.startswith("score_") else "form-control"
                widget.attrs["class"] = css
                if self.fields[name].help_text:
                    widget.attrs["aria-describedby"] = f"{self.add_prefix(name)}-help"

    def dimension_fields(self):
        return [(d.label, self[f"score_{d.value}"], self[f"notes_{d.value}"]) for d in Dimension]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "phase": data["phase"],
            "assessed_on": data["assessed_on"],
            "notes": data["notes"],
            "scores": {
                d.value: (data[f"score_{d.value}"], data[f"notes_{d.value}"]) for d in Dimension
            },
        }
