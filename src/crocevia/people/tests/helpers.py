"""Helpers shared by the registry's tests."""

import datetime

from stdnum.it.codicefiscale import calc_check_digit

from crocevia.people import services


def with_check(body15: str) -> str:
    """A codice fiscale with the right check character for its first 15 characters."""
    return body15 + calc_check_digit(body15)


# Awa Diop, woman, born 17/05/1990 in Senegal (Z343).
AWA_CF = with_check("DPIWAA90E57Z343")
AWA_BIRTH = datetime.date(1990, 5, 17)


def person_data(**overrides) -> dict:
    data = {
        "family_name": "Diop",
        "given_names": "Awa",
        "sex": "F",
        "birth_date": AWA_BIRTH,
        "citizenship": "SN",
        "birth_country": "SN",
        "codice_fiscale": "",
        "comune": None,
        "phone": "",
        "email": "",
        "languages": ["wo", "fr"],
        "needs_mediator": False,
        "permit_type": "",
        "permit_expires_on": None,
    }
    data.update(overrides)
    return data


def register(actor, confirmed_distinct=True, **overrides):
    return services.person_create(
        actor=actor, data=person_data(**overrides), confirmed_distinct=confirmed_distinct
    )


def form_post(**overrides) -> dict:
    """The POST body of the registration form."""
    data = person_data(**overrides)
    post = {}
    for key, value in data.items():
        if value is None:
            post[key] = ""
        elif isinstance(value, bool):
            if value:
                post[key] = "on"
        elif isinstance(value, datetime.date):
            post[key] = value.isoformat()
        else:
            post[key] = value
    return post
