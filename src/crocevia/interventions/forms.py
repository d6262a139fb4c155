"""Input shape of the interventions' forms; the rules live in interventions.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import PlausibleDateField, StyledFormMixin
from crocevia.network.models import Organisation

from .models import Intervention, InterventionType


class InterventionTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_provider_kind_display()})"


class InterventionForm(StyledFormMixin, forms.Form):
    type = InterventionTypeChoiceField(
        label=_("Intervention"),
        queryset=InterventionType.objects.filter(active=True),
        empty_label=_("Choose an intervention"),
    )
    provider = forms.ModelChoiceField(
        label=_("Provider"),
        queryset=Organisation.objects.order_by("name"),
        empty_label=_("Choose the provider"),
    )
    starts_on = PlausibleDateField(
        label=_("Planned start"),
        required=False,
        allow_future=True,
        help_text=_("Record the actual start from the case page once it begins."),
    )
    ends_on = PlausibleDateField(label=_("Planned end"), required=False, allow_future=True)
    hours = forms.DecimalField(label=_("Hours"), required=False, min_value=0, decimal_places=1)
    cost = forms.DecimalField(label=_("Cost (€)"), required=False, min_value=0, decimal_places=2)
    funding_action = forms.TypedChoiceField(
        label=_("Paid by the budget action"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_(
            "The budget actions of the programmes in force that the case's organisations take "
            "part in. Leave empty for ordinary funds."
        ),
    )
    over_budget_justification = forms.CharField(
        label=_("Over-budget justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required, and recorded, when the cost exceeds what remains of the action."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, funding_choices=(), show_justification=False, type_code="", **kwargs):
        super().__init__(*args, **kwargs)
        # A link may name the kind to add (the LEP's parenting support: interventions.lep).
        if type_code and not self.is_bound:
            self.fields["type"].initial = (
                self.fields["type"]
                .queryset.filter(code=type_code)
                .values_list("pk", flat=True)
                .first()
            )
        # [(programme, [(action pk, label), ...]), ...] from programmes (interventions.hooks).
        self.fields["funding_action"].choices = [
            ("", _("None: ordinary funds")),
            *[(group, list(actions)) for group, actions in funding_choices],
        ]
        self.show_justification = show_justification


class StartForm(StyledFormMixin, forms.Form):
    on = PlausibleDateField(label=_("Started on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate


class EndForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome of the intervention"),
        choices=[
            (Intervention.Status.COMPLETED, Intervention.Status.COMPLETED.label),
            (Intervention.Status.INTERRUPTED, Intervention.Status.INTERRUPTED.label),
        ],
        widget=forms.RadioSelect,
        initial=Intervention.Status.COMPLETED,
    )
    on = PlausibleDateField(label=_("Ended on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate
