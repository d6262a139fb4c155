"""What every form of Crocevia does with what an operator types (issue 15, items 10-11):
names and codes are NFC and trimmed and carry no invisible, control or direction-changing
character; every date lies in the plausible range the imports use too (core.dates).

The forms are found by walking the package, so a new form cannot skip the rules.
"""

import datetime
import importlib
import pkgutil

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone, translation

import crocevia
from crocevia.core.dates import EARLIEST_BIRTH_DATE, EARLIEST_EVENT_DATE, latest_date
from crocevia.core.forms import (
    GuardedModelForm,
    InputRulesMixin,
    PlausibleDateField,
    StyledFormMixin,
)
from crocevia.core.text import clean_line, clean_multiline, describe_character

# Forms that are not operators' data entry: the sign-in's username and password, the
# six digits of the second step and the admin's password form (Django's own fields; no
# name, code or date is kept).
NOT_DATA_ENTRY = {
    "crocevia.accounts.forms.SignInForm",
    "crocevia.accounts.forms.CodeForm",
    "crocevia.accounts.forms.EnrolCodeForm",
    "crocevia.accounts.admin.AuditedPasswordChangeForm",
}


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def crocevia_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(crocevia.__path__, "crocevia."):
        name = module.name
        if ".tests" in name or ".migrations" in name or name.endswith("__main__"):
            continue
        importlib.import_module(name)
    found = {
        f"{cls.__module__}.{cls.__qualname__}": cls
        for cls in _all_subclasses(forms.BaseForm)
        if cls.__module__.startswith("crocevia.") and ".tests" not in cls.__module__
    }
    return [found[name] for name in sorted(found)]


FORM_CLASSES = crocevia_form_classes()


def _name(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_the_walk_finds_the_forms_of_every_app():
    apps = {cls.__module__.split(".")[1] for cls in FORM_CLASSES}
    assert {"people", "desk", "cases", "network", "plans", "programmes"} <= apps
    assert len(FORM_CLASSES) > 30


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=_name)
def test_every_data_entry_form_gets_the_shared_input_rules(form_class):
    if _name(form_class) in NOT_DATA_ENTRY:
        assert not any(isinstance(f, forms.DateField) for f in form_class.base_fields.values()), (
            "a sign-in form with a date field must take StyledFormMixin"
        )
        return
    if ".admin" in form_class.__module__ or form_class is GuardedModelForm:
        assert issubclass(form_class, InputRulesMixin)  # the admin draws its own widgets
    else:
        assert issubclass(form_class, StyledFormMixin)


def test_every_form_the_admin_writes_with_gets_the_input_rules():
    writable = [
        (name, model_admin)
        for name, model_admin in (
            (f"{model._meta.label}", model_admin)
            for model, model_admin in admin.site._registry.items()
        )
        if model_admin.has_change_permission(_superuser_request())
    ]
    assert writable, "no writable model in the admin"
    for name, model_admin in writable:
        assert issubclass(model_admin.form, InputRulesMixin), name
        for inline in model_admin.inlines:
            if inline(model_admin.model, admin.site).has_change_permission(_superuser_request()):
                assert issubclass(inline.form, InputRulesMixin), f"{name}: {inline.__name__}"


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = type(
        "Superuser",
        (),
        {"is_active": True, "is_staff": True, "is_superuser": True, "has_perm": lambda *a: True},
    )()
    return request


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=_name)
def test_every_date_field_refuses_year_one_and_year_9999_and_accepts_today(form_class):
    dates = {
        name: field
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.DateField)
    }
    for name, field in dates.items():
        assert isinstance(field, PlausibleDateField), f"{_name(form_class)}.{name}"
        for implausible in ("0001-01-01", "9999-12-31"):
            with pytest.raises(ValidationError) as exc:
                field.clean(implausible)
            assert exc.value.code == "implausible_date", f"{_name(form_class)}.{name}"
        assert field.clean(timezone.localdate().isoformat()) == timezone.localdate()


def test_fields_a_form_adds_in_its_own_init_are_guarded_too():
    class AddsFields(StyledFormMixin, forms.Form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["day"] = forms.DateField()
            self.fields["name"] = forms.CharField()

    form = AddsFields(data={"day": "0001-01-01", "name": "Awa\u202e"})
    assert not form.is_valid()
    assert form.has_error("day", code="implausible_date")
    assert form.has_error("name", code="forbidden_character")
    form = AddsFields(data={"day": timezone.localdate().isoformat(), "name": " Awa "})
    assert form.is_valid()
    assert form.cleaned_data["name"] == "Awa"


def test_date_inputs_tell_the_browser_their_range():
    class Dates(StyledFormMixin, forms.Form):
        happened = PlausibleDateField()
        due = PlausibleDateField(allow_future=True)
        born = PlausibleDateField(earliest=EARLIEST_BIRTH_DATE)

    form = Dates()
    today = timezone.localdate()
    assert form.fields["happened"].widget.attrs["min"] == EARLIEST_EVENT_DATE.isoformat()
    assert form.fields["happened"].widget.attrs["max"] == today.isoformat()
    assert form.fields["due"].widget.attrs["max"] == latest_date(allow_future=True).isoformat()
    assert form.fields["born"].widget.attrs["min"] == "1900-01-01"


class _Texts(StyledFormMixin, forms.Form):
    name = forms.CharField()
    notes = forms.CharField(widget=forms.Textarea, required=False)
    secret = forms.CharField(widget=forms.PasswordInput, required=False, strip=False)


@pytest.mark.parametrize(
    "character",
    ["\u200b", "\u200d", "\u202e", "\u2066", "\u00ad", "\ufeff", "\x00", "\t", "\u2028"],
)
def test_a_one_line_field_refuses_every_invisible_or_control_character(character):
    form = _Texts(data={"name": f"Awa{character}Diop"})
    assert not form.is_valid()
    assert form.has_error("name", code="forbidden_character")
    with translation.override("it"):
        message = form.errors["name"][0]
    assert describe_character(character) in message


def test_free_text_keeps_line_breaks_and_joiners_but_refuses_direction_overrides():
    form = _Texts(data={"name": "Awa", "notes": "Riga uno\r\nRiga\tdue \u200d"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["notes"] == "Riga uno\r\nRiga\tdue \u200d"
    for character in ("\u202e", "\u2067", "\x07", "\u2029"):
        form = _Texts(data={"name": "Awa", "notes": f"nota{character}bene"})
        assert form.has_error("notes", code="forbidden_character")


def test_a_name_of_invisible_characters_only_is_not_an_empty_required_name():
    form = _Texts(data={"name": "\u200b"})
    assert form.has_error("name", code="forbidden_character")
    form = _Texts(data={"name": "\u00a0\u2003"})  # typographic spaces only: empty
    assert form.has_error("name", code="required")


def test_names_come_out_nfc_with_plain_spaces_and_passwords_untouched():
    form = _Texts(data={"name": " Nde\u0300ye\u00a0Diop ", "secret": " \u200bx "})
    assert form.is_valid()
    assert form.cleaned_data["name"] == "Ndèye Diop"
    assert form.cleaned_data["secret"] == " \u200bx "


@pytest.mark.parametrize("value", ["", "Awa", "N'Diaye-Fall", "Ñúñez", "Łódź", "李 小龍", "محمد"])
def test_legitimate_names_pass_unchanged(value):
    assert clean_line(value) == value
    assert clean_multiline(value) == value


def test_the_message_is_italian_and_names_the_character():
    with translation.override("it"), pytest.raises(ValidationError) as exc:
        clean_line("Awa\u202e")
    message = exc.value.messages[0]
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in message
    assert "non è ammesso" in message


def test_the_range_is_the_same_for_every_year_including_a_leap_day():
    assert latest_date(allow_future=True, today=datetime.date(2028, 2, 29)) == datetime.date(
        2038, 2, 28
    )
    assert latest_date(allow_future=False, today=datetime.date(2028, 2, 29)) == datetime.date(
        2028, 2, 29
    )
