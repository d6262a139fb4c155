"""Geographic areas of citizenship: ISTAT's classification, by ISO 3166-1 alpha-2 code.

ISTAT publishes foreign residents by these areas (demo.istat.it, "aree geografiche di
cittadinanza"), so a figure given by area can be compared with the official ones. The
names are ISTAT's, in Italian: they are the values of a data file, not interface text,
and stay the same whatever the language of the page. Dependent territories go with the
area they lie in; XK (Kosovo, used by Italian registries) and XX (stateless, see
settings.COUNTRIES_OVERRIDE) are included. Italy is not a foreign area: `area_of("IT")`
is "IT", as Italian citizens are counted apart in every Italian statistic.
"""

EU = "Unione europea"
EASTERN_EUROPE = "Europa centro-orientale"
OTHER_EUROPE = "Altri paesi europei"
NORTHERN_AFRICA = "Africa settentrionale"
WESTERN_AFRICA = "Africa occidentale"
EASTERN_AFRICA = "Africa orientale"
CENTRAL_SOUTHERN_AFRICA = "Africa centro-meridionale"
WESTERN_ASIA = "Asia occidentale"
SOUTH_CENTRAL_ASIA = "Asia centro-meridionale"
EASTERN_ASIA = "Asia orientale"
NORTHERN_AMERICA = "America settentrionale"
LATIN_AMERICA = "America centro-meridionale"
OCEANIA = "Oceania"
STATELESS = "Apolidi"

_AREAS = {
    EU: "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE LT LU LV MT NL PL PT RO SE SI SK AX GF "
    "GP MQ RE YT MF BL",
    EASTERN_EUROPE: "AL BA BY MD ME MK RS RU TR UA XK",
    OTHER_EUROPE: "AD CH GB IS LI MC NO SM VA FO GI GG IM JE SJ",
    NORTHERN_AFRICA: "DZ EG LY MA SD TN EH",
    WESTERN_AFRICA: "BF BJ CI CV GH GM GN GW LR ML MR NE NG SL SN TG SH",
    EASTERN_AFRICA: "BI DJ ER ET KE KM MG MU MW MZ RW SC SO SS TZ UG ZM ZW IO TF",
    CENTRAL_SOUTHERN_AFRICA: "AO BW CD CF CG CM GA GQ LS NA ST SZ TD ZA",
    WESTERN_ASIA: "AE AM AZ BH GE IL IQ JO KW LB OM PS QA SA SY YE",
    SOUTH_CENTRAL_ASIA: "AF BD BT IN IR KG KZ LK MV NP PK TJ TM UZ",
    EASTERN_ASIA: "BN CN HK ID JP KH KP KR LA MM MN MO MY PH SG TH TL TW VN",
    NORTHERN_AMERICA: "CA US BM GL PM UM",
    LATIN_AMERICA: "AG AR BB BO BR BS BZ CL CO CR CU DM DO EC GD GT GY HN HT JM KN LC MX NI PA "
    "PE PY SR SV TT UY VC VE AI AW BQ CW FK GS KY MS PR SX TC VG VI",
    OCEANIA: "AU FJ FM KI MH NR NZ PG PW SB TO TV VU WS AS CK CC CX GU HM MP NC NF NU PF PN "
    "TK WF AQ BV",
    STATELESS: "XX",
}

AREA_BY_COUNTRY: dict[str, str] = {
    code: area for area, codes in _AREAS.items() for code in codes.split()
}

# The continent of each area: the next step up when an area is still too small.
CONTINENT_BY_AREA = {
    EU: "Europa",
    EASTERN_EUROPE: "Europa",
    OTHER_EUROPE: "Europa",
    NORTHERN_AFRICA: "Africa",
    WESTERN_AFRICA: "Africa",
    EASTERN_AFRICA: "Africa",
    CENTRAL_SOUTHERN_AFRICA: "Africa",
    WESTERN_ASIA: "Asia",
    SOUTH_CENTRAL_ASIA: "Asia",
    EASTERN_ASIA: "Asia",
    NORTHERN_AMERICA: "America",
    LATIN_AMERICA: "America",
    OCEANIA: "Oceania",
    STATELESS: STATELESS,
}

UNKNOWN = "Non classificato"


def area_of(code: str) -> str:
    """ISTAT's area of a country code ("IT" stays "IT", empty stays empty)."""
    if not code or code == "IT":
        return code
    return AREA_BY_COUNTRY.get(code.upper(), UNKNOWN)


def continent_of(code: str) -> str:
    """The continent of a country code ("IT" stays "IT", empty stays empty)."""
    area = area_of(code)
    if not area or area == "IT":
        return area
    return CONTINENT_BY_AREA.get(area, UNKNOWN)
