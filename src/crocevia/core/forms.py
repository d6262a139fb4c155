"""Form helpers shared by every app: Bootstrap Italia classes and accessible errors."""

from django import forms


class StyledFormMixin:
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


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
