from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crocevia.core.archive import MIN_PASSWORD_LENGTH, WeakPassword, check_archive_password
from crocevia.core.forms import StyledFormMixin

from .kinds import get_kind, kind_names
from .services import max_upload_bytes


def kind_choices() -> list[tuple[str, str]]:
    return [(name, get_kind(name).label or name) for name in kind_names()]


class ImportForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=())
    file = forms.FileField(
        label=gettext_lazy("File"),
        # .txt: Excel's "Testo Unicode" (UTF-16, tab separated) has that extension.
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
    )
    sheet = forms.CharField(
        label=gettext_lazy("Sheet (XLSX only)"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Leave empty to read the first sheet of the workbook."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.fields["file"].help_text = _(
            "CSV (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab separated) or XLSX, "
            "at most %(size)s."
        ) % {"size": filesizeformat(max_upload_bytes())}
        self.fields["file"].widget.attrs["aria-describedby"] = "file-help"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(size)s: split it into smaller files.")
                % {"size": filesizeformat(max_upload_bytes())},
                code="too_large",
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        return upload


class ProtectedExportForm(StyledFormMixin, forms.Form):
    """An export as a password-protected archive (AES-256 ZIP)."""

    kind = forms.ChoiceField(label=gettext_lazy("What to export"), choices=())
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=(("csv", "CSV"), ("xlsx", "Excel (XLSX)")),
        initial="csv",
    )
    pseudonymise = forms.BooleanField(label=gettext_lazy("Pseudonymised"), required=False)
    password = forms.CharField(
        label=gettext_lazy("Archive password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=gettext_lazy("Archive password, again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, pseudonym_available: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.fields["password"].help_text = _(
            "At least %(n)d characters. Give it to the recipient by another channel "
            "(by telephone, not in the same e-mail)."
        ) % {"n": MIN_PASSWORD_LENGTH}
        if not pseudonym_available:
            del self.fields["pseudonymise"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        try:
            check_archive_password(password)
        except WeakPassword as exc:
            raise forms.ValidationError(str(exc), code="weak") from None
        return password

    def clean(self):
        data = super().clean()
        if (
            data.get("password")
            and data.get("password_again") is not None
            and data["password"] != data["password_again"]
        ):
            self.add_error("password_again", _("The two passwords differ."))
        return data
