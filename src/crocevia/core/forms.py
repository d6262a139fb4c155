"""Form helpers shared by every app: Bootstrap Italia classes, accessible errors, and the
hygiene every typed value gets (plausible dates, no invisible or direction-changing
characters)."""

from django import forms
from django.core.exceptions import ValidationError

from .dates import EARLIEST_BIRTH_DATE, EARLIEST_EVENT_DATE, check_date_range, latest_date
from .text import clean_line, clean_multiline


class InputRulesMixin:
    """What every form gets, whoever wrote it: names and codes NFC, trimmed and without
    invisible or direction-changing characters (free text: no controls or overrides), and
    dates in the plausible range of core.dates. For forms drawn by someone else (the
    admin); the application's forms get it through StyledFormMixin."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _guard_field(field)

    def full_clean(self):
        # Fields a form adds in its own __init__, after this mixin's, get the rules here.
        for field in self.fields.values():
            _guard_field(field)
        super().full_clean()


class StyledFormMixin(InputRulesMixin):
    """Adds Bootstrap Italia classes, and marks invalid fields for assistive technology."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            css = widget.attrs.get("class", "")
            if isinstance(widget, forms.CheckboxInput):
                css += " form-check-input"
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                pass
            elif isinstance(widget, forms.Select):
                css += " form-select"
            else:
                css += " form-control"
            widget.attrs["class"] = css.strip()
            if field.help_text:
                widget.attrs.setdefault("aria-describedby", f"{self.add_prefix(name)}-help")

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                described = attrs.get("aria-describedby", "")
                attrs["aria-describedby"] = f"{described} {self.add_prefix(name)}-error".strip()
                attrs["class"] = attrs.get("class", "") + " is-invalid"


class GuardedModelForm(InputRulesMixin, forms.ModelForm):
    """The admin's model form with the input rules (audit.admin_writes.ServiceAdmin)."""


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PlausibleDateField(forms.DateField):
    """A date within the range imports accept too (core.dates), refused with the reason.

    `earliest`: the first plausible day (EARLIEST_BIRTH_DATE for a birth date). The field
    refuses anything after FUTURE_YEARS from today; `allow_future=False` (a day something
    happened) also sets the browser's maximum to today, while the refusal of a future day
    stays with the service, which says what the day is (a signature, a closure...).
    """

    def __init__(self, *, earliest=EARLIEST_EVENT_DATE, allow_future=False, **kwargs):
        self.earliest = earliest
        self.allow_future = allow_future
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None:
            check_date_range(value, earliest=self.earliest, allow_future=True)


def _clean_text_field(field: forms.CharField, multiline: bool) -> None:
    """Wrap the field's to_python so its value is cleaned (NFC, trimmed, no hidden characters)
    before validators and the form's own clean methods see it."""
    to_python = field.to_python
    clean = clean_multiline if multiline else clean_line

    def cleaned(value):
        value = to_python(value)
        return clean(value) if isinstance(value, str) else value

    field.to_python = cleaned


def _guard_field(field: forms.Field) -> None:
    """What every field of every form gets, whoever wrote the form (once per field)."""
    if getattr(field, "_crocevia_guarded", False):
        return
    field._crocevia_guarded = True
    if isinstance(field, forms.DateField):
        if not isinstance(field, PlausibleDateField):
            # A date field made at run time: the widest plausible range.
            field.validators.append(
                lambda day: check_date_range(day, earliest=EARLIEST_BIRTH_DATE, allow_future=True)
            )
        else:
            field.widget.attrs["min"] = field.earliest.isoformat()
            field.widget.attrs["max"] = latest_date(allow_future=field.allow_future).isoformat()
    elif isinstance(field, forms.SplitDateTimeField):  # the admin's date and time
        compress = field.compress

        def compress_plausible(data_list):
            if data_list and data_list[0] is not None:
                check_date_range(data_list[0], earliest=EARLIEST_BIRTH_DATE, allow_future=True)
            return compress(data_list)

        field.compress = compress_plausible
    elif isinstance(field, forms.DateTimeField):
        to_python = field.to_python

        def to_python_plausible(value):
            value = to_python(value)
            if value is not None:
                check_date_range(value.date(), earliest=EARLIEST_BIRTH_DATE, allow_future=True)
            return value

        field.to_python = to_python_plausible
    elif isinstance(field, forms.CharField) and not isinstance(
        field.widget, forms.PasswordInput | forms.HiddenInput
    ):
        _clean_text_field(field, multiline=isinstance(field.widget, forms.Textarea))


class BirthDateField(PlausibleDateField):
    """A birth date: from EARLIEST_BIRTH_DATE to today."""

    def __init__(self, **kwargs):
        kwargs.setdefault("earliest", EARLIEST_BIRTH_DATE)
        super().__init__(**kwargs)


class ExpiryDateField(PlausibleDateField):
    """An expiry (of a permit, a document): may lie up to FUTURE_YEARS ahead."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_future", True)
        super().__init__(**kwargs)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError beside the form's fields (the rest on top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)
