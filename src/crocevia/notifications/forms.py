from django import forms

from crocevia.core.forms import StyledFormMixin

from .models import EmailMode, NotificationKind


class PreferencesForm(StyledFormMixin, forms.Form):
    """One choice per kind of notification: e-mail at once, in a daily digest, or none."""

    def __init__(self, *args, modes: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=EmailMode.choices,
                initial=modes[kind.value],
                widget=forms.RadioSelect,
            )

    def modes(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in NotificationKind.values}
