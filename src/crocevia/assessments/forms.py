"""Input shape of sections A and B; the rules live in assessments.preassessment and
assessments.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.accounts.models import Profile, User
from crocevia.cases.models import NeedClass, ServiceArea
from crocevia.core.forms import PlausibleDateField, StyledFormMixin

from .models import Assessment, Dimension, Intake
from .preassessment import SECTION_A_FIELDS

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


def _today():
    return timezone.localdate()


class PreassessForm(StyledFormMixin, forms.ModelForm):
    need_class = forms.ChoiceField(
        label=_("Need class"), choices=NeedClass.choices, widget=forms.RadioSelect
    )
    area = forms.ChoiceField(
        label=_("Service area"),
        choices=[("", _("Choose the service area")), *ServiceArea.choices],
        help_text=_("The area of the social services the case belongs to (reported to SIUSS)."),
    )
    preassessed_on = PlausibleDateField(label=_("Pre-assessed on"), initial=_today)
    social_worker = forms.ModelChoiceField(label=_("Social worker of the mini-team"), queryset=None)
    cpi_consultant = forms.ModelChoiceField(
        label=_("CPI consultant of the mini-team"), queryset=None
    )

    class Meta:
        model = Intake
        fields = list(SECTION_A_FIELDS)
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in [
                "household_composition",
                "income_and_benefits",
                "work_history",
                "skills",
                "housing_notes",
                "health_declared",
                "legal_status",
                "services_involved",
            ]
        }
        help_texts = {
            "health_declared": _(
                "Restricted: only the case manager and health professionals of the team read it."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["social_worker"].queryset = _operators_with(Profile.SOCIAL_WORKER)
        self.fields["cpi_consultant"].queryset = _operators_with(Profile.CPI_CONSULTANT)

    def _post_clean(self):
        # The rules are the service's.
        pass

    def section_a(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in self.Meta.fields}


def _operators_with(profile):
    return (
        User.objects.filter(is_active=True, memberships__active=True, memberships__profile=profile)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
