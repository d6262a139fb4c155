from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .lockout import active_lock, client_address, locked_message
from .services import login_failure_record


class SignInForm(AuthenticationForm):
    """The password step, with the lockout: a locked username or address is refused
    before the password is even checked, and every wrong password is counted."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        address = client_address(self.request)
        if active_lock(username=username, address=address):
            raise forms.ValidationError(locked_message(), code="locked")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            if login_failure_record(username=username, address=address):
                raise forms.ValidationError(locked_message(), code="locked")
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 digits shown by the authenticator app, or a recovery code."),
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "off",
                "spellcheck": "false",
                "aria-describedby": "code-help",
            }
        ),
    )


class EnrolCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code shown by the app"),
        max_length=10,
        help_text=_("The 6 digits the app shows now for Crocevia."),
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "aria-describedby": "code-help",
            }
        ),
    )
