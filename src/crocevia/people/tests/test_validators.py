import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext

from crocevia.people.validators import (
    check_codice_fiscale,
    check_languages,
    language_choices,
    language_name,
)

from .helpers import AWA_BIRTH, AWA_CF, with_check


def _error(value, birth_date=AWA_BIRTH, sex="F") -> ValidationError:
    with translation.override("it"), pytest.raises(ValidationError) as info:
        check_codice_fiscale(value, birth_date=birth_date, sex=sex)
    return info.value


def test_valid_codice_fiscale_is_normalised():
    assert check_codice_fiscale(f" {AWA_CF.lower()} ", birth_date=AWA_BIRTH, sex="F") == AWA_CF


def test_empty_codice_fiscale_is_allowed():
    assert check_codice_fiscale("", birth_date=AWA_BIRTH, sex="F") == ""


def test_omocode_codice_fiscale_is_accepted_and_its_date_decoded():
    # Omocodia: the last digit of the place code, 3, becomes P; the day 57 becomes 5T.
    omocode = with_check("DPIWAA90E5TZ34P")
    assert check_codice_fiscale(omocode, birth_date=AWA_BIRTH, sex="F") == omocode


def test_omocode_with_a_different_day_is_a_birth_date_mismatch():
    omocode = with_check("DPIWAA90E5SZ343")  # S = 6: day 56 - 40 = 16 May
    assert _error(omocode).code == "cf_birth_date"


def test_provisional_eleven_digit_code_is_accepted_without_date_or_sex_check():
    assert check_codice_fiscale("00743110157", birth_date=AWA_BIRTH, sex="M") == "00743110157"


def test_provisional_code_with_wrong_check_digit_is_refused():
    error = _error("00743110158")
    assert error.code == "cf_checksum"


def test_bad_check_character_is_refused_with_its_own_message():
    wrong = AWA_CF[:-1] + ("A" if AWA_CF[-1] != "A" else "B")
    error = _error(wrong)
    assert error.code == "cf_checksum"
    with translation.override("it"):
        expected = gettext(
            "The check character of this codice fiscale is wrong: check for a typing error."
        )
    assert error.messages == [expected]


def test_wrong_length_is_refused_and_says_how_long_it_is():
    error = _error(AWA_CF[:-2])
    assert error.code == "cf_length"
    assert "14" in error.messages[0]


def test_wrong_format_is_refused():
    assert _error("DPIWAA9XE57Z3431").code == "cf_format"


def test_birth_date_mismatch_says_which_date_the_code_encodes():
    error = _error(AWA_CF, birth_date=datetime.date(1990, 5, 18))
    assert error.code == "cf_birth_date"
    assert "17/05/90" in error.messages[0]


def test_birth_year_compared_modulo_a_century():
    # The code holds only "90": a person born in 1890 is not contradicted by the year.
    assert check_codice_fiscale(AWA_CF, birth_date=datetime.date(1890, 5, 17), sex="F")
    assert _error(AWA_CF, birth_date=datetime.date(1991, 5, 17)).code == "cf_birth_date"


def test_sex_mismatch_is_refused():
    error = _error(AWA_CF, sex="M")
    assert error.code == "cf_sex"
    with translation.override("it"):
        expected = gettext("The codice fiscale is that of a woman, but the sex given is male.")
    assert error.messages == [expected]


def test_languages_are_iso_639_1_codes_and_unknown_ones_are_refused():
    assert check_languages(["AR", "fr", "ar", ""]) == ["ar", "fr"]
    with pytest.raises(ValidationError):
        check_languages(["xx"])
    with pytest.raises(ValidationError):
        check_languages(["ara"])


def test_language_names_are_italian_when_italian_is_active():
    with translation.override("it"):
        assert language_name("ar") == "Arabo"
        choices = dict(language_choices())
        assert choices["en"] == "Inglese"
    with translation.override("en"):
        assert language_name("ar") == "Arabic"
