"""Input shape of the plan's forms; the rules live in plans.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crocevia.assessments.models import Dimension
from crocevia.core.forms import PlausibleDateField, StyledFormMixin
from crocevia.network.models import Organisation

from .models import PlanVersion


class PlanForm(StyledFormMixin, forms.Form):
    person_commitments = forms.CharField(
        label=_("Commitments of the person"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    service_commitments = forms.CharField(
        label=_("Commitments of the services"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # The revision the operator started from: a concurrent change is refused.
    expected_revision = forms.IntegerField(widget=forms.HiddenInput)


class ObjectiveForm(StyledFormMixin, forms.Form):
    dimension = forms.ChoiceField(
        label=_("Dimension"), choices=[("", _("Choose a dimension"))] + list(Dimension.choices)
    )
    text = forms.CharField(label=_("Objective"), widget=forms.Textarea(attrs={"rows": 2}))


class ActionForm(StyledFormMixin, forms.Form):
    description = forms.CharField(label=_("Action"), widget=forms.Textarea(attrs={"rows": 2}))
    objective = forms.TypedChoiceField(
        label=_("For objective"), coerce=int, empty_value=None, required=False
    )
    responsible_user = forms.ModelChoiceField(
        label=_("Responsible operator"), queryset=None, required=False
    )
    responsible_organisation = forms.ModelChoiceField(
        label=_("Responsible organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
    )
    due_on = PlausibleDateField(label=_("Due on"), required=False, allow_future=True)
    # Carried through an edit so a new version keeps progress and provenance.
    done_on = PlausibleDateField(required=False, widget=forms.HiddenInput())
    from_meeting = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, operators=None, n_objectives=0, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_user"].queryset = operators
        if choices is not None:
            # The lists of action_choices(), the same for every row of the formset: read
            # once per page, not once per select (a plan of ten actions drew twenty).
            for name, values in choices.items():
                self.fields[name].choices = values
        self.fields["objective"].choices = [("", _("None in particular"))] + [
            (str(n), _("Objective %(n)s") % {"n": n}) for n in range(1, n_objectives + 1)
        ]


def action_choices(operators) -> dict[str, list]:
    """The operator and organisation choices of an action row, read once for a formset
    (validation still checks a submitted value against the fields' querysets)."""
    fields = ActionForm(operators=operators).fields
    return {name: list(fields[name].choices) for name in ACTION_CHOICE_FIELDS}


ACTION_CHOICE_FIELDS = ("responsible_user", "responsible_organisation")


class _BaseFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def items(self) -> list[dict]:
        """The filled-in rows, minus deleted and untouched ones."""
        rows = []
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form):
                continue
            data = {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            rows.append(data)
        return rows


ObjectiveFormSet = forms.formset_factory(
    ObjectiveForm, formset=_BaseFormSet, extra=2, can_delete=True
)
ActionFormSet = forms.formset_factory(ActionForm, formset=_BaseFormSet, extra=2, can_delete=True)


def objectives_initial(version: PlanVersion) -> list[dict]:
    return [{"dimension": o.dimension, "text": o.text} for o in version.objectives.all()]


def actions_initial(version: PlanVersion) -> list[dict]:
    positions = {o.pk: i for i, o in enumerate(version.objectives.all(), start=1)}
    return [
        {
            "description": a.description,
            "objective": positions.get(a.objective_id),
            "responsible_user": a.responsible_user_id,
            "responsible_organisation": a.responsible_organisation_id,
            "due_on": a.due_on,
            "done_on": a.done_on,
            "from_meeting": a.from_meeting_id,
        }
        for a in version.actions.all()
    ]


class SignForm(StyledFormMixin, forms.Form):
    signed_on = PlausibleDateField(label=_("Signed on"))
    operators = forms.ModelMultipleChoiceField(
        label=_("Operators who signed"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the operators who signed the plan.")},
    )

    def __init__(self, *args, operators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operators"].queryset = operators
        self.fields["signed_on"].initial = timezone.localdate


class ValidateForm(StyledFormMixin, forms.Form):
    on = PlausibleDateField(label=_("Validated on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate


class SubmitForm(StyledFormMixin, forms.Form):
    """The case manager's submission of the draft to the coordination group."""

    on = PlausibleDateField(label=_("Submitted on"))
    note = forms.CharField(
        label=_("Note for the coordination group (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate


class DecisionForm(StyledFormMixin, forms.Form):
    """The coordination group's decision on a submitted draft: the button pressed
    (`decision`: validate or return) says which."""

    VALIDATE, RETURN = "validate", "return"

    on = PlausibleDateField(label=_("Date of the decision"))
    comments = forms.CharField(
        label=_("Comments (required to return the plan)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    decision = forms.ChoiceField(
        choices=[(VALIDATE, _("Validate")), (RETURN, _("Return with comments"))],
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose whether to validate or return the plan.")},
    )
    # The version's revision the coordinator read: a plan changed since is refused.
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate
