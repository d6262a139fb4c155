"""Forms of the meetings' pages and of the case lists: the input's shape; the rules live
in services."""

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.accounts.models import Membership, User
from crocevia.cases.models import NeedClass, Stage
from crocevia.core.forms import PlausibleDateField, StyledFormMixin
from crocevia.network.models import Organisation, Zone

from .access import meeting_case_choices_for
from .models import Meeting
from .selectors import meeting_zone_ids


class CaseFilterForm(StyledFormMixin, forms.Form):
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"),
        required=False,
        choices=[("", gettext_lazy("Any open stage"))]
        + [c for c in Stage.choices if c[0] != Stage.CLOSED]
        + [(Stage.CLOSED, gettext_lazy("Closed (archive)"))],
    )
    need_class = forms.ChoiceField(
        label=gettext_lazy("Need class"),
        required=False,
        choices=[("", gettext_lazy("Any need class"))] + NeedClass.choices,
    )
    case_manager = forms.ModelChoiceField(
        label=gettext_lazy("Case manager"),
        required=False,
        queryset=User.objects.none(),
        empty_label=gettext_lazy("Any case manager"),
    )
    overdue = forms.BooleanField(label=gettext_lazy("Only with overdue items"), required=False)
    manager_to_appoint = forms.BooleanField(
        label=gettext_lazy("Only with the case manager to be appointed"), required=False
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("Order"),
        required=False,
        choices=[
            ("", gettext_lazy("Latest referral first")),
            ("priority", gettext_lazy("Access priority, then oldest referral first")),
        ],
    )

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = managers
        self.fields["case_manager"].label_from_instance = lambda u: u.get_full_name() or u.username

    def filters(self) -> dict:
        """Closed cases are archived: the lists leave them out unless the archive is asked."""
        if not self.is_valid():
            return {"open_only": True}
        filters = {k: v for k, v in self.cleaned_data.items() if v}
        return {**filters, "open_only": not filters.get("stage")}


def _textarea(rows: int, help_of: str = "") -> forms.Textarea:
    """A text area styled as StyledFormMixin styles the fields declared on the class (the
    fields added after its __init__ would otherwise miss it)."""
    attrs = {"rows": rows, "class": "form-control"}
    if help_of:
        attrs["aria-describedby"] = f"{help_of}-help"
    return forms.Textarea(attrs=attrs)


def _case_label(case) -> str:
    return _("Case %(id)s – %(person)s") % {"id": case.pk, "person": case.person.full_name}


class MeetingForm(StyledFormMixin, forms.Form):
    """A meeting: who, when, the cases discussed, each with its own minutes and decisions
    (fields `case_<pk>_minutes`, `case_<pk>_decisions`, one pair per case selected), and
    general notes. The earlier minutes (`restricted_*`) only when `restricted` is given."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind of meeting"), choices=Meeting.Kind.choices)
    held_on = PlausibleDateField(label=gettext_lazy("Date"))
    zone = forms.ModelChoiceField(label=gettext_lazy("Zone"), queryset=Zone.objects.none())
    attendees = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Attendees"), queryset=User.objects.none()
    )
    cases = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Cases discussed"),
        queryset=None,
        required=False,
        help_text=gettext_lazy(
            "Each case selected gets its own minutes and decisions below (press "
            "“Show the cases selected” after changing the selection)."
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("General notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Read by everyone who opens the meeting: never about a person. What concerns "
            "a case goes beside that case."
        ),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, user, items=None, restricted=None, **kwargs):
        super().__init__(*args, **kwargs)
        zones = meeting_zone_ids(user)
        self.fields["zone"].queryset = Zone.objects.filter(pk__in=zones).order_by("name")
        members = Membership.objects.filter(
            user_id=OuterRef("pk"), active=True, organisation__zone_id__in=zones
        )
        self.fields["attendees"].queryset = User.objects.filter(
            Exists(members), is_active=True
        ).order_by("last_name", "first_name", "username")
        self.fields["attendees"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["cases"].queryset = meeting_case_choices_for(user, zones)
        self.fields["cases"].label_from_instance = _case_label
        if len(zones) == 1:
            self.fields["zone"].initial = next(iter(zones))
        if restricted is not None:
            self.fields["restricted_minutes"] = forms.CharField(
                label=gettext_lazy("Earlier minutes"),
                required=False,
                initial=restricted[0],
                widget=_textarea(6),
            )
            self.fields["restricted_decisions"] = forms.CharField(
                label=gettext_lazy("Earlier decisions"),
                required=False,
                initial=restricted[1],
                widget=_textarea(4),
            )
        self._add_item_fields(items or {})

    def _selected_case_pks(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist(self.add_prefix("cases"))
        else:
            raw = self.initial.get("cases") or []
        # Ids only (at most 18 digits: a larger number overflows the database's integer).
        return [int(v) for v in raw if str(v).isdigit() and len(str(v)) <= 18]

    def _add_item_fields(self, items: dict) -> None:
        selected = self._selected_case_pks()
        cases = (
            list(self.fields["cases"].queryset.filter(pk__in=selected).order_by("pk"))
            if selected
            else []
        )
        self.item_cases = cases
        for case in cases:
            item = items.get(case.pk)
            self.fields[f"case_{case.pk}_minutes"] = forms.CharField(
                label=gettext_lazy("Minutes"),
                required=False,
                initial=item.minutes if item else "",
                widget=_textarea(4),
            )
            self.fields[f"case_{case.pk}_decisions"] = forms.CharField(
                label=gettext_lazy("Decisions"),
                required=False,
                initial=item.decisions if item else "",
                widget=_textarea(3, help_of=self.add_prefix(f"case_{case.pk}_decisions")),
                help_text=gettext_lazy("Decisions that may become actions of the plan."),
            )

    def item_rows(self) -> list[dict]:
        """For the template: each case selected with its two fields."""
        return [
            {
                "case": case,
                "label": _case_label(case),
                "minutes": self[f"case_{case.pk}_minutes"],
                "decisions": self[f"case_{case.pk}_decisions"],
            }
            for case in self.item_cases
        ]

    @classmethod
    def initial_from(cls, data) -> dict:
        """What was typed, as the initial values of an unbound form (to show new cases'
        fields without validating a form the operator has not finished)."""
        initial = {name: data.get(name) for name in data}
        for name in ("attendees", "cases"):
            initial[name] = data.getlist(name)
        return initial

    def service_data(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in ("kind", "held_on", "zone", "attendees", "cases", "notes")
        }
        data["items"] = {
            case.pk: {
                "minutes": self.cleaned_data.get(f"case_{case.pk}_minutes", ""),
                "decisions": self.cleaned_data.get(f"case_{case.pk}_decisions", ""),
            }
            for case in self.cleaned_data["cases"]
        }
        for name in ("restricted_minutes", "restricted_decisions"):
            if name in self.fields:
                data[name] = self.cleaned_data[name]
        return data


class MeetingActionForm(StyledFormMixin, forms.Form):
    """A decision of the meeting as an action of one case's plan (rules in plans.services)."""

    description = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,  # the service says what is missing, beside the field
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Keep only the part of the decisions that concerns this case."),
    )
    responsible_user = forms.ModelChoiceField(
        label=gettext_lazy("Responsible operator"), queryset=User.objects.none(), required=False
    )
    responsible_organisation = forms.ModelChoiceField(
        label=gettext_lazy("Responsible organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
    )
    due_on = PlausibleDateField(label=gettext_lazy("Due on"), required=False, allow_future=True)

    def __init__(self, *args, operators, operator_choices=None, organisation_choices=None, **kw):
        super().__init__(*args, **kw)
        self.fields["responsible_user"].queryset = operators
        # The meeting page passes choices it loaded once for every case (constant queries).
        empty = [("", self.fields["responsible_user"].empty_label)]
        if operator_choices is not None:
            self.fields["responsible_user"].choices = empty + operator_choices
        if organisation_choices is not None:
            self.fields["responsible_organisation"].choices = empty + organisation_choices


class MeetingFilterForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of meeting"),
        required=False,
        choices=[("", gettext_lazy("Any kind"))] + Meeting.Kind.choices,
    )
