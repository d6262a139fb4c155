"""ISTAT's geographic areas of citizenship: every country has exactly one."""

import pycountry

from crocevia.core.areas import (
    AREA_BY_COUNTRY,
    CONTINENT_BY_AREA,
    STATELESS,
    WESTERN_AFRICA,
    area_of,
    continent_of,
)


def test_every_iso_country_but_italy_has_an_area_and_a_continent():
    codes = {c.alpha_2 for c in pycountry.countries}
    assert codes - {"IT"} <= set(AREA_BY_COUNTRY)
    assert set(AREA_BY_COUNTRY.values()) == set(CONTINENT_BY_AREA)


def test_italy_stays_italy_and_the_registries_own_codes_have_areas():
    assert area_of("IT") == continent_of("IT") == "IT"
    assert area_of("") == ""
    assert area_of("SN") == WESTERN_AFRICA and continent_of("SN") == "Africa"
    assert area_of("XK") == "Europa centro-orientale"
    assert area_of("XX") == continent_of("XX") == STATELESS
