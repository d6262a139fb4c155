"""Input shape of the programmes' forms; the rules live in programmes.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import PlausibleDateField, StyledFormMixin
from crocevia.network.models import Organisation

from .models import Fund, Target


class MoneyField(forms.DecimalField):
    """Euro and cents; accepts the Italian "1.234,50" as well as "1234.50"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)
        self.error_messages["max_decimal_places"] = _(
            "Amounts are in euro and cents: at most two decimals."
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("€", "").replace(" ", "")
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        return super().to_python(value)


class OrganisationChoices(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class ProgrammeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=300)
    fund = forms.ChoiceField(label=_("Fund"), choices=[("", "—"), *Fund.choices])
    start_date = PlausibleDateField(label=_("Start date"), allow_future=True)
    end_date = PlausibleDateField(label=_("End date"), allow_future=True)
    lead_organisation = OrganisationChoices(
        label=_("Lead organisation"),
        queryset=Organisation.objects.order_by("name"),
        empty_label=_("Choose the lead organisation"),
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partner organisations"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl to choose more than one."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ActionForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. a1, b4"))
    title = forms.CharField(label=_("Title"), max_length=300)
    responsible_organisation = OrganisationChoices(
        label=_("Responsible organisation"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose the organisation"),
    )
    amount = MoneyField(label=_("Budget (€)"), help_text=_("e.g. 91.774,80"))
    priority_code = forms.CharField(
        label=_("Funding priority code"),
        max_length=20,
        required=False,
        help_text=_("e.g. A.1.c.2"),
    )
    planned_quarters = forms.MultipleChoiceField(
        label=_("Planned quarters"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_organisation"].queryset = programme.organisations.order_by("name")
        self.fields["planned_quarters"].choices = [
            (q, q.replace("-Q", " T")) for q in programme.quarters
        ]


class TargetForm(StyledFormMixin, forms.Form):
    organisation = OrganisationChoices(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        empty_label=_("Choose the organisation"),
    )
    indicator = forms.ChoiceField(
        label=_("Indicator"),
        choices=Target.Indicator.choices,
        initial=Target.Indicator.TAKEN_IN_CHARGE,
    )
    target_number = forms.IntegerField(label=_("Target (persons)"), min_value=1)

    def __init__(self, *args, programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Every organisation is offered so that a wrong choice gets the service's message.


class ExpenditureForm(StyledFormMixin, forms.Form):
    action = forms.ModelChoiceField(
        label=_("Budget action"), queryset=None, empty_label=_("Choose the action")
    )
    spent_on = PlausibleDateField(label=_("Date"))
    amount = MoneyField(label=_("Amount (€)"), help_text=_("e.g. 1.250,00"))
    description = forms.CharField(label=_("Description"), max_length=300)
    document_reference = forms.CharField(
        label=_("Supporting document"),
        max_length=200,
        required=False,
        help_text=_("Invoice, payment order or decree number."),
    )
    over_budget_justification = forms.CharField(
        label=_("Over-budget justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required, and recorded, when the expenditure exceeds the action's budget."),
    )

    def __init__(self, *args, actions, show_justification=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = actions
        self.fields["action"].label_from_instance = lambda a: f"{a.code} – {a.title}"
        self.show_justification = show_justification


class EnrolForm(StyledFormMixin, forms.Form):
    case = forms.IntegerField(
        label=_("Case number"), min_value=1, help_text=_("The number shown on the case page.")
    )
