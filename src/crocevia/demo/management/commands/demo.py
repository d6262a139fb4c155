"""`crocevia demo`: load a realistic Zona Pisana to try Crocevia on.

Idempotent: rows are recognised by their codes, usernames and external ids, so a second
run adds nothing and changes nothing. The network and the operators are written with the
ORM; persons, households, consents and contacts go through the services of people and
desk, so the rules hold and the audit trail is written, as for any operator. The cases
(demo/cases.py: ~60 over ten months, at every stage of the pathway, with teams, plans,
interventions, reviews, meetings and closures) go through the services of their apps too.

Everything comes from seed 000 (the TEAMS local plan of the SdS Zona Pisana): the nine
Comuni with their population, the immigration desks with their opening hours, the 2018
service counts and the citizenships of the persons served. Dates are relative to today
and the random choices fixed (random.Random(2026)), so every run builds the same demo.
"""

import datetime
import os
import random
import time
from dataclasses import dataclass, field

import holidays
from codicefiscale import codicefiscale
from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation
from stdnum import luhn
from stdnum.it import codicefiscale as cf_check

from crocevia.accounts.models import Membership, Profile, User
from crocevia.demo.cases import DEFAULT_CASES, CaseBuilder, CaseLoader
from crocevia.demo.duplicates import DuplicateLoader
from crocevia.demo.lep import seed_lep_examples, seed_metropolitan_zone
from crocevia.demo.names import (
    CF_BIRTHPLACE,
    CITIZENSHIP_WEIGHTS,
    ITALIAN_BIRTHPLACES,
    family_names,
    given_names,
)
from crocevia.demo.network import seed_demo as seed_agreements
from crocevia.demo.programmes import seed_demo as seed_programmes
from crocevia.demo.referrals import answer_demo_referrals
from crocevia.desk.models import Contact, DeskService
from crocevia.desk.services import contact_record
from crocevia.network.models import Comune, Desk, Organisation, Zone
from crocevia.people.models import Consent, Household, Person
from crocevia.people.services import (
    consent_record,
    household_add_member,
    household_create,
    person_create,
)

SEED = 2026
DEFAULT_PERSONS = 700
DEFAULT_PASSWORD = "crocevia-demo"
PREFIX = "demo-"

# --- the network (seed 000) ----------------------------------------------------------------

ZONE_CODE, ZONE_NAME = "ZPI", "Zona Pisana"

# ISTAT code, name, residents and foreign residents on 1 January 2018 (seed 000).
COMUNI: list[tuple[str, str, int, int]] = [
    ("050026", "Pisa", 90118, 12336),
    ("050008", "Cascina", 45212, 3533),
    ("050031", "San Giuliano Terme", 31447, 1878),
    ("050037", "Vecchiano", 12082, 673),
    ("050038", "Vicopisano", 8642, 440),
    ("050003", "Calci", 6418, 283),
    ("050041", "Crespina Lorenzana", 5420, 283),
    ("050014", "Fauglia", 3672, 245),
    ("050023", "Orciano Pisano", 633, 39),
]
PISA = "050026"

SDS, COMUNE_PISA, CPI, CPIA, COOP = "SDS-PI", "COM-PISA", "CPI-PI", "CPIA1-PI", "COOP-APPRODO"
UFSMA = "UFSMA-ZPI"
# Code, name, kind, Comune of the seat.
ORGANISATIONS: list[tuple[str, str, str, str]] = [
    (SDS, "Società della Salute Zona Pisana", Organisation.Kind.SDS, PISA),
    (COMUNE_PISA, "Comune di Pisa", Organisation.Kind.COMUNE, PISA),
    (CPI, "Centro per l'Impiego di Pisa", Organisation.Kind.CPI, PISA),
    (CPIA, "CPIA 1 Pisa", Organisation.Kind.CPIA, PISA),
    (COOP, "Cooperativa sociale L'Approdo", Organisation.Kind.THIRD_SECTOR, PISA),
    # The ASL mental health service for adults: its physician joins teams (health access).
    (UFSMA, "UFSMA Zona Pisana", Organisation.Kind.ASL_SERVICE, PISA),
]

# The Region: above the zones (no zone, no seat Comune); its monitoring officer reports on
# the whole installation (issue 6).
REGION, REGION_NAME = "RT", "Regione Toscana"

WEEKDAYS_IT = ("Lunedì", "Martedì", "Mercoledì", "Giovedì", "Venerdì", "Sabato", "Domenica")


@dataclass(frozen=True)
class DeskSpec:
    code: str
    organisation: str
    name: str
    level: int
    comune: str
    hours: dict[int, tuple[str, ...]]  # weekday (0 = Monday) -> opening spans

    def opening_hours_text(self) -> str:
        return "\n".join(
            f"{WEEKDAYS_IT[day]} {', '.join(spans)}" for day, spans in self.hours.items()
        )


MORNING = "9:00–12:00"
# The immigration desks run by the SdS in Pisa and four Comuni, with the seed's hours.
DESKS: list[DeskSpec] = [
    DeskSpec(
        "SPI-PISA",
        SDS,
        "Sportello immigrati Pisa",
        1,
        PISA,
        {
            0: (MORNING,),
            1: (MORNING, "15:00–17:00"),
            3: (MORNING, "15:00–17:00"),
            4: (MORNING,),
            5: (MORNING,),
        },
    ),
    DeskSpec(
        "SPI-SGT", SDS, "Sportello immigrati San Giuliano Terme", 1, "050031", {1: ("15:00–17:00",)}
    ),
    DeskSpec("SPI-CALCI", SDS, "Sportello immigrati Calci", 1, "050003", {3: ("14:30–17:30",)}),
    DeskSpec(
        "SPI-VECCHIANO", SDS, "Sportello immigrati Vecchiano", 1, "050037", {3: ("15:00–16:00",)}
    ),
    DeskSpec(
        "SPI-VICOPISANO", SDS, "Sportello immigrati Vicopisano", 1, "050038", {5: ("9:00–11:00",)}
    ),
    # Level 2: the PUA opens cases; by appointment (not in the seed).
    DeskSpec(
        "PUA-ZPI",
        SDS,
        "PUA Zona Pisana (su appuntamento)",
        2,
        PISA,
        {1: ("9:00–13:00",), 3: ("9:00–13:00",)},
    ),
]
LEVEL1_DESKS = [d for d in DESKS if d.level == 1]
# Where the residents of each Comune go: their own desk if there is one, else Pisa.
HOME_DESK = {d.comune: d.code for d in LEVEL1_DESKS}


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    organisation: str | None
    profile: str | None
    desks: tuple[str, ...] = ()
    superuser: bool = False


# One operator per professional profile (two desk operators: Pisa, and the Comuni desks).
USERS: list[UserSpec] = [
    UserSpec("admin", "Sandro", "Puccinelli", None, None, superuser=True),
    UserSpec("sportello", "Giulia", "Bernardini", SDS, Profile.DESK_OPERATOR, ("SPI-PISA",)),
    UserSpec(
        "sportello.comuni",
        "Luca",
        "Pardini",
        SDS,
        Profile.DESK_OPERATOR,
        ("SPI-SGT", "SPI-CALCI", "SPI-VECCHIANO", "SPI-VICOPISANO"),
    ),
    UserSpec("assistente", "Chiara", "Lombardi", SDS, Profile.SOCIAL_WORKER, ("PUA-ZPI",)),
    UserSpec("consulente", "Marco", "Galli", CPI, Profile.CPI_CONSULTANT),
    UserSpec("mediatrice", "Elena", "Niccolai", SDS, Profile.CULTURAL_MEDIATOR, ("SPI-PISA",)),
    UserSpec("educatore", "Matteo", "Fontana", COOP, Profile.EDUCATOR),
    UserSpec("tutor", "Sara", "Lenzi", CPIA, Profile.TUTOR),
    UserSpec("tutor.coop", "Irene", "Bacci", COOP, Profile.TUTOR),
    UserSpec("esperto.lavoro", "Andrea", "Bertini", CPI, Profile.LABOUR_POLICY_EXPERT),
    UserSpec("medico", "Francesca", "Del Corso", SDS, Profile.PHYSICIAN),
    UserSpec("medico.ufsma", "Lorenzo", "Cecchi", UFSMA, Profile.PHYSICIAN),
    UserSpec("program.manager", "Stefano", "Baldacci", SDS, Profile.PROGRAM_MANAGER),
    UserSpec("amministrativo", "Paola", "Menichetti", COMUNE_PISA, Profile.ADMINISTRATIVE),
    UserSpec("coordinatore", "Roberta", "Giannini", SDS, Profile.COORDINATOR),
    UserSpec("monitoraggio", "Davide", "Orsini", SDS, Profile.MONITORING_OFFICER),
    UserSpec("monitoraggio.regione", "Giovanna", "Mariani", REGION, Profile.MONITORING_OFFICER),
]
DESK_OPERATOR_OF = {
    code: u.username for u in USERS for code in u.desks if u.profile == "desk_operator"
}

# --- the persons ---------------------------------------------------------------------------

# Share of a country's persons who live in a household with others they registered.
HOUSEHOLD_SHARE = {
    "AL": 0.55, "MK": 0.5, "MA": 0.45, "CN": 0.45, "IN": 0.4, "TN": 0.35, "EG": 0.35,
    "BD": 0.35, "EC": 0.35, "LK": 0.35, "PK": 0.3, "PE": 0.3, "RO": 0.3, "NG": 0.3,
    "IT": 0.3, "BR": 0.3, "CO": 0.3, "AF": 0.3, "PH": 0.25, "GH": 0.25, "CM": 0.25,
    "MD": 0.2, "CI": 0.2, "SO": 0.2, "UA": 0.15, "GE": 0.15, "SN": 0.15, "ER": 0.15,
    "GM": 0.05, "ML": 0.05,
}  # fmt: skip
# Share of men among the adults who come alone (labour and asylum migration differ).
MALE_SHARE = {
    "GM": 0.95, "ML": 0.95, "SN": 0.9, "PK": 0.85, "BD": 0.85, "AF": 0.85, "EG": 0.8,
    "TN": 0.75, "CI": 0.75, "IN": 0.7, "MA": 0.7, "GH": 0.6, "SO": 0.6, "ER": 0.6,
    "AL": 0.68, "MK": 0.65, "NG": 0.6, "CM": 0.55, "CN": 0.5, "LK": 0.5, "IT": 0.5,
    "RO": 0.4, "PE": 0.35, "EC": 0.35, "CO": 0.35, "PH": 0.3, "BR": 0.3, "MD": 0.25,
    "GE": 0.25, "UA": 0.15,
}  # fmt: skip
# Languages spoken (ISO 639-1), first the usual mother tongues, then a second language.
LANGUAGES = {
    "AL": ("sq",), "SN": ("wo", "fr"), "MA": ("ar", "fr"), "MK": ("mk", "sq"),
    "PH": ("tl", "en"), "RO": ("ro",), "UA": ("uk", "ru"), "NG": ("en", "yo", "ig"),
    "TN": ("ar", "fr"), "PE": ("es",), "CN": ("zh",), "PK": ("ur", "pa", "en"),
    "BD": ("bn",), "IT": ("it",), "EG": ("ar",), "LK": ("si", "ta"), "GE": ("ka", "ru"),
    "MD": ("ro", "ru"), "EC": ("es",), "CI": ("fr",), "GM": ("en", "wo", "ff"),
    "IN": ("pa", "hi", "en"), "ML": ("bm", "fr"), "BR": ("pt",), "CM": ("fr", "en"),
    "GH": ("en", "ak"), "AF": ("fa", "ps"), "CO": ("es",), "SO": ("so", "ar"),
    "ER": ("ti", "ar"),
}  # fmt: skip
EU = {"IT", "RO"}
ASYLUM_ROUTE = {"NG", "PK", "BD", "GM", "ML", "CI", "AF", "SO", "ER", "GH", "CM", "SN"}
ITALIAN_CLOSE = {"AL", "MK", "RO", "MD", "PE", "EC", "CO", "BR"}
ITALIAN_FAR = {"CN", "PK", "BD", "LK", "IN", "AF", "SO", "ER", "GM", "ML"}

LEVELS = ("none", "pre_a1", "A1", "A2", "B1", "B2", "C1")
LEVEL_WEIGHTS = {
    "close": (2, 2, 12, 25, 33, 18, 8),
    "medium": (5, 8, 22, 28, 24, 10, 3),
    "far": (12, 20, 28, 22, 13, 4, 1),
}
PERMITS_ASYLUM = {
    "asylum_seeker": 25, "asylum": 10, "subsidiary": 10, "special": 10, "work": 25,
    "family": 10, "eu_long_term": 10,
}  # fmt: skip
PERMITS_LABOUR = {
    "eu_long_term": 40, "work": 30, "family": 20, "study": 3, "special": 3, "health": 1,
    "other": 3,
}  # fmt: skip
# Ukrainians since 2022: temporary protection, recorded as "other".
PERMITS_UA = {"other": 40, "eu_long_term": 30, "work": 20, "family": 10}
SECTORS = {
    "M": {"construction": 25, "agriculture": 20, "logistics": 18, "manufacturing": 14,
          "catering": 12, "cleaning": 6, "retail": 5},
    "F": {"care": 40, "cleaning": 20, "catering": 15, "health": 10, "retail": 10,
          "manufacturing": 5},
}  # fmt: skip

# Desk services given in 2018 (seed 000), plus the catalogue codes the seed does not count.
SERVICE_WEIGHTS = {
    "information": 1011, "legal_advice": 289, "form_filling": 143, "liaison": 126,
    "permit_kit": 125, "job_search": 125, "other": 113, "complex_documents": 96,
    "citizenship_application": 92, "referral_public_services": 82,
    "referral_social_services": 62, "housing_search": 42, "family_reunification": 30,
    "referral_third_sector": 26, "cv_writing": 25, "language_test": 20, "mediation": 15,
    "housing_accompaniment": 10, "translation": 10, "appeal": 8, "accompaniment": 6,
}  # fmt: skip
# What an EU citizen never needs.
PERMIT_SERVICES = {"permit_kit", "citizenship_application", "family_reunification", "language_test"}
NOTES = {
    "permit_kit": "Kit per il rinnovo del permesso compilato; appuntamento in Questura da fissare.",
    "citizenship_application": "Verificati i requisiti di residenza e reddito per la domanda.",
    "job_search": "Aggiornato il CV; indicate le offerte del Centro per l'Impiego.",
    "housing_search": "Orientamento sul bando per l'emergenza abitativa.",
    "legal_advice": "Consulenza sul rinnovo in caso di lavoro irregolare.",
    "family_reunification": "Elenco dei documenti per il nulla osta al ricongiungimento.",
    "referral_third_sector": "Inviato per pacco alimentare e vestiario.",
    "referral_social_services": "Segnalato al servizio sociale per la situazione familiare.",
}
CONTACTS_PER_ADULT = {1: 18, 2: 22, 3: 22, 4: 14, 5: 10, 6: 6, 7: 4, 8: 2, 10: 2}


@dataclass
class ContactSpec:
    external_id: str
    desk: str
    date: datetime.date
    services: list[str]
    outcome: str = "solved"
    referred_to: str | None = None
    notes: str = ""
    language_need: dict | None = None


@dataclass
class PersonSpec:
    external_id: str
    data: dict
    relationship: str = ""
    network_consent: bool = True
    contacts: list[ContactSpec] = field(default_factory=list)


@dataclass
class UnitSpec:
    """A person alone, or a household (the reference person first)."""

    household_id: str | None
    members: list[PersonSpec]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _quotas(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainder), keeping the order."""
    whole = sum(weights.values())
    raw = {k: total * w / whole for k, w in weights.items()}
    counts = {k: int(v) for k, v in raw.items()}
    left = total - sum(counts.values())
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[:left]:
        counts[k] += 1
    return counts


class PlanBuilder:
    """Builds the persons, households and contacts of the demo as plain data.

    Deterministic for a given size and day; nothing here touches the database.
    """

    def __init__(self, persons: int, today: datetime.date, seed: int = SEED):
        self.rng = random.Random(seed)
        self.size = persons
        self.today = today
        self.start = today - datetime.timedelta(days=364)
        self.used_codes: set[str] = set()
        self.opening_days = {d.code: self._opening_days(d) for d in DESKS}
        foreign = {istat: f for istat, _n, _p, f in COMUNI}
        self.residence_weights = foreign

    def _opening_days(self, desk: DeskSpec) -> list[datetime.date]:
        years = range(self.start.year, self.today.year + 1)
        closed = holidays.Italy(years=years, subdiv="PI" if desk.comune == PISA else None)
        days = []
        day = self.start
        while day <= self.today:
            if day.weekday() in desk.hours and day not in closed:
                days.append(day)
            day += datetime.timedelta(days=1)
        return days

    # -- units ------------------------------------------------------------------------------

    def build(self) -> list[UnitSpec]:
        rng = self.rng
        shapes: list[tuple[str, int]] = []  # (country, size): size 1 = alone
        for country, count in _quotas(self.size, CITIZENSHIP_WEIGHTS).items():
            in_households = round(count * HOUSEHOLD_SHARE[country])
            while in_households >= 2:
                size = min(_weighted(rng, {2: 30, 3: 28, 4: 25, 5: 12, 6: 5}), in_households)
                if in_households - size == 1:
                    size += 1 if size < 6 else -1
                shapes.append((country, size))
                in_households -= size
                count -= size
            shapes.extend((country, 1) for _ in range(count))
        rng.shuffle(shapes)

        units, number, households = [], 0, 0
        for country, size in shapes:
            comune = _weighted(rng, self.residence_weights)
            if size == 1:
                members = [self._adult(country, comune, self._sex_alone(country), None)]
                household_id = None
            else:
                households += 1
                household_id = f"{PREFIX}h-{households:03d}"
                members = self._household(country, comune, size)
            for person in members:
                number += 1
                person.external_id = f"{PREFIX}p-{number:04d}"
            self._contacts(members, comune)
            units.append(UnitSpec(household_id, members))
        return units

    def _sex_alone(self, country: str) -> str:
        return "M" if self.rng.random() < MALE_SHARE[country] else "F"

    def _household(self, country: str, comune: str, size: int) -> list[PersonSpec]:
        rng = self.rng
        single_parent = rng.random() < 0.2
        if single_parent:
            ref_sex = "F" if rng.random() < 0.85 else "M"
        else:
            ref_sex = "M" if rng.random() < 0.8 else "F"
        ref_age = rng.randint(26, 58)
        ref = self._adult(country, comune, ref_sex, "reference", age=ref_age)
        members = [ref]
        father_family = ref.data["family_name"] if ref_sex == "M" else None
        if not single_parent:
            partner_sex = "F" if ref_sex == "M" else "M"
            age = max(18, min(70, ref_age + rng.randint(-6, 6)))
            partner = self._adult(country, comune, partner_sex, "partner", age=age)
            members.append(partner)
            if partner_sex == "M":
                father_family = partner.data["family_name"]
        family = father_family or ref.data["family_name"]
        mother = next((m for m in members if m.data["sex"] == "F"), ref)
        mother_age = mother.data["age"]
        while len(members) < size:
            if size >= 4 and len(members) == size - 1 and rng.random() < 0.15:
                age = rng.randint(18, 45)
                relative = rng.choice(("sibling", "other_relative"))
                members.append(
                    self._adult(country, comune, self._sex_alone(country), relative, age=age)
                )
                continue
            age = rng.randint(0, max(0, min(mother_age - 19, 24)))
            members.append(self._child(country, comune, family, age))
        return members

    # -- persons ----------------------------------------------------------------------------

    def _birth_date(self, age: int) -> datetime.date:
        born = _years_before(self.today, age) - datetime.timedelta(days=self.rng.randint(0, 364))
        return born

    def _level(self, country: str) -> str:
        if country == "IT":
            return "C2"
        kind = (
            "close" if country in ITALIAN_CLOSE else "far" if country in ITALIAN_FAR else "medium"
        )
        return self.rng.choices(LEVELS, weights=LEVEL_WEIGHTS[kind])[0]

    def _adult(self, country, comune, sex, relationship, *, age=None) -> PersonSpec:
        rng = self.rng
        if age is None:
            age = min(70, max(18, round(rng.triangular(18, 70, 31))))
        birth_date = self._birth_date(age)
        family = rng.choice(family_names(country, sex))
        given = rng.choice(given_names(country, sex))
        level = self._level(country)
        permit, expires = self._permit(country, adult=True)
        native = LANGUAGES[country]
        languages = [native[0]]
        if len(native) > 1 and rng.random() < 0.6:
            languages.append(rng.choice(native[1:]))
        if country != "IT" and level not in ("none", "pre_a1", "A1"):
            languages.append("it")
        needs_mediator = level in ("none", "pre_a1") or (level == "A1" and rng.random() < 0.4)
        data = {
            "family_name": family,
            "given_names": given,
            "sex": sex,
            "birth_date": birth_date,
            "citizenship": country,
            "birth_country": country,
            "codice_fiscale": self._codice_fiscale(family, given, sex, birth_date, country, permit),
            "comune": comune,
            "phone": self._phone() if rng.random() < 0.85 else "",
            "email": "",
            "languages": languages,
            "needs_mediator": needs_mediator,
            "permit_type": permit,
            "permit_expires_on": expires,
            "age": age,  # planning only, dropped before the service is called
            "italian_level": level,  # idem
        }
        return PersonSpec("", data, relationship or "", rng.random() < 0.7)

    def _child(self, country, comune, family, age) -> PersonSpec:
        rng = self.rng
        sex = rng.choice("MF")
        birth_date = self._birth_date(age)
        born_here = age < 12 and rng.random() < 0.6
        birth_country = "IT" if born_here else country
        permit, expires = ("", None) if country in EU else self._permit(country, adult=False)
        languages = [LANGUAGES[country][0]] + (["it"] if age >= 6 and country != "IT" else [])
        data = {
            "family_name": family,
            "given_names": rng.choice(given_names(country, sex)),
            "sex": sex,
            "birth_date": birth_date,
            "citizenship": country,
            "birth_country": birth_country,
            "comune": comune,
            "phone": "",
            "email": "",
            "languages": languages,
            "needs_mediator": False,
            "permit_type": permit,
            "permit_expires_on": expires,
            "age": age,
            "italian_level": "",
        }
        data["codice_fiscale"] = self._codice_fiscale(
            data["family_name"], data["given_names"], sex, birth_date, birth_country, permit
        )
        return PersonSpec("", data, "child", rng.random() < 0.7)

    def _permit(self, country: str, *, adult: bool) -> tuple[str, datetime.date | None]:
        rng = self.rng
        if country in EU:
            return "", None
        if not adult:
            permit = "family" if rng.random() < 0.75 else "eu_long_term"
        elif country == "UA":
            permit = _weighted(rng, PERMITS_UA)
        elif country in ASYLUM_ROUTE:
            permit = _weighted(rng, PERMITS_ASYLUM)
        else:
            permit = _weighted(rng, PERMITS_LABOUR)
        if permit == "eu_long_term":
            return permit, None
        if permit == "asylum_seeker":
            return permit, self.today + datetime.timedelta(days=rng.randint(-30, 180))
        # Some have already expired: the renewal kit is what brings them to the desk.
        return permit, self.today + datetime.timedelta(days=rng.randint(-90, 720))

    def _codice_fiscale(self, family, given, sex, birth_date, birth_country, permit) -> str:
        """A valid code for ~60% of persons; the provisional 11 digits for asylum seekers."""
        rng = self.rng
        if permit == "asylum_seeker":
            return self._provisional_code() if rng.random() < 0.8 else ""
        if rng.random() >= (0.95 if birth_country == "IT" else 0.62):
            return ""
        place = (
            rng.choice(ITALIAN_BIRTHPLACES)
            if birth_country == "IT"
            else CF_BIRTHPLACE[birth_country]
        )
        code = codicefiscale.encode(
            lastname=family,
            firstname=given,
            gender=sex,
            birthdate=birth_date.isoformat(),
            birthplace=place,
        )
        if code in self.used_codes:
            # Omocodia: the Agenzia delle Entrate gives the second person a variant.
            code = next(
                c for c in codicefiscale.decode(code)["omocodes"] if c not in self.used_codes
            )
        cf_check.validate(code)
        self.used_codes.add(code)
        return code

    def _provisional_code(self) -> str:
        """11 digits: serial, the office code of the province of Pisa (050), Luhn check."""
        while True:
            body = f"{self.rng.randint(1000000, 9999999)}050"
            code = body + luhn.calc_check_digit(body)
            if code not in self.used_codes:
                cf_check.validate(code)
                self.used_codes.add(code)
                return code

    def _phone(self) -> str:
        rng = self.rng
        return f"3{rng.randint(20, 93)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"

    # -- contacts ---------------------------------------------------------------------------

    def _contacts(self, members: list[PersonSpec], comune: str) -> None:
        rng = self.rng
        home = HOME_DESK.get(comune)
        for position, person in enumerate(members):
            if person.data["age"] < 18:
                continue
            if position > 0 and rng.random() < 0.5:
                continue  # registered with the household, never came alone
            desk = home if home and rng.random() < 0.7 else "SPI-PISA"
            days = self.opening_days[desk]
            count = min(_weighted(rng, CONTACTS_PER_ADULT), len(days))
            dates = sorted(rng.sample(days, count))
            language_at = rng.randrange(count) if rng.random() < 0.3 else None
            for n, day in enumerate(dates, start=1):
                contact = self._contact(person, desk, day, first=n == 1)
                contact.external_id = f"{person.external_id}-c{n:02d}"
                if language_at == n - 1 and person.data["italian_level"]:
                    contact.language_need = self._language_need(person)
                person.contacts.append(contact)

    def _contact(self, person: PersonSpec, desk: str, day: datetime.date, *, first: bool):
        rng = self.rng
        country = person.data["citizenship"]
        allowed = {
            k: w
            for k, w in SERVICE_WEIGHTS.items()
            if not (country in EU and k in PERMIT_SERVICES)
            # Citizenship takes ten years of legal residence: long-term, work or family permits.
            and not (
                k == "citizenship_application"
                and person.data["permit_type"] not in ("eu_long_term", "work", "family")
            )
        }
        services = [_weighted(rng, allowed)]
        if first and "information" not in services and rng.random() < 0.5:
            services.insert(0, "information")
        elif rng.random() < 0.25:
            extra = _weighted(rng, allowed)
            if extra not in services:
                services.append(extra)
        contact = ContactSpec("", desk, day, services)
        referral = {
            "referral_third_sector": COOP,
            "referral_social_services": SDS,
            "referral_public_services": rng.choice((CPI, CPIA, COMUNE_PISA)),
        }
        for code in services:
            if code in referral:
                contact.outcome, contact.referred_to = "referred", referral[code]
        if contact.outcome == "solved":
            if "job_search" in services and rng.random() < 0.25:
                contact.outcome, contact.referred_to = "referred", CPI
            elif {"legal_advice", "job_search", "housing_search"} & set(services) and (
                rng.random() < 0.12
            ):
                contact.outcome = "second_level"
        for code in services:
            if code in NOTES and rng.random() < 0.3:
                contact.notes = NOTES[code]
        return contact

    def _language_need(self, person: PersonSpec) -> dict:
        rng = self.rng
        level = person.data["italian_level"]
        needs_job = level in ("pre_a1", "A1", "A2", "B1") and rng.random() < 0.5
        sector = (
            _weighted(rng, SECTORS[person.data["sex"]]) if needs_job or rng.random() < 0.4 else ""
        )
        return {"italian_level": level, "needs_job_italian": needs_job, "work_sector": sector}


# --- loading -------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Load the Zona Pisana demo (network, operators, persons, a year of contacts)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--persons",
            type=int,
            default=DEFAULT_PERSONS,
            help=f"How many persons to register (default {DEFAULT_PERSONS}).",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=DEFAULT_CASES,
            help=f"How many level-2 cases to open for them (default {DEFAULT_CASES}).",
        )

    def handle(self, *args, persons, cases, **options):
        if persons < 0 or cases < 0:
            raise CommandError("--persons and --cases cannot be negative.")
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        started = time.monotonic()
        with transaction.atomic():
            network = self._load_network()
            users, new_users = self._load_users(password, network)
            units = self._load_people(persons, users, network)
            # The programmes first: the cases' interventions are paid by their budget
            # actions. Loaded again after the cases, which it then enrols (idempotent).
            seed_programmes(coordinator=users["coordinatore"], zone=network["zone"])
            self._answer_referrals()
            self._load_cases(units, cases, users, network)
            self._load_lep_examples()
            self._load_duplicates(users, network)
            self._load_programmes_and_agreements(users, network)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        self._print_logins(users, new_users, password)

    def _load_programmes_and_agreements(self, users: dict, network: dict) -> None:
        """TEAMS (seed 000) and the Pistoia Poverty Fund plan (seed 002), the TEAMS
        convention and the Livorno protocol (seed 004), through their services."""
        coordinator = users["coordinatore"]
        seed_programmes(coordinator=coordinator, zone=network["zone"])
        seed_agreements(coordinator=coordinator)
        self._log("Programmes, budgets, targets and agreements: loaded.")

    def _answer_referrals(self) -> None:
        counts = answer_demo_referrals()
        self._log(
            "Referrals: {sent} waiting, {accepted} accepted, {completed} completed, "
            "{declined} declined, {withdrawn} withdrawn.".format(**counts)
        )

    def _log(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    # -- network and operators (ORM) --------------------------------------------------------

    def _load_network(self) -> dict:
        zone, _ = Zone.objects.get_or_create(code=ZONE_CODE, defaults={"name": ZONE_NAME})
        comuni = {}
        for istat, name, population, _foreign in COMUNI:
            comuni[istat], _ = Comune.objects.get_or_create(
                istat_code=istat,
                defaults={"name": name, "province": "PI", "population": population, "zone": zone},
            )
        organisations = {}
        for code, name, kind, seat in ORGANISATIONS:
            organisations[code], _ = Organisation.objects.get_or_create(
                code=code,
                defaults={"name": name, "kind": kind, "zone": zone, "comune": comuni[seat]},
            )
        organisations[REGION], _ = Organisation.objects.get_or_create(
            code=REGION,
            defaults={"name": REGION_NAME, "kind": Organisation.Kind.REGION, "zone": None},
        )
        desks = {}
        for spec in DESKS:
            desks[spec.code], _ = Desk.objects.get_or_create(
                code=spec.code,
                defaults={
                    "organisation": organisations[spec.organisation],
                    "name": spec.name,
                    "level": spec.level,
                    "comune": comuni[spec.comune],
                    "opening_hours": spec.opening_hours_text(),
                },
            )
        self._log(
            f"Network: {ZONE_NAME}, {len(comuni)} Comuni, {len(organisations)} organisations, "
            f"{len(desks)} desks."
        )
        return {"zone": zone, "comuni": comuni, "organisations": organisations, "desks": desks}

    def _load_users(self, password: str, network: dict) -> tuple[dict[str, User], set[str]]:
        hashed = None  # one hash for the shared password: hashing is slow on purpose
        users, created = {}, set()
        for spec in USERS:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                hashed = hashed or make_password(password)
                user = User(
                    username=spec.username,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=f"{spec.username}@demo.crocevia.invalid",
                    is_staff=spec.superuser,
                    is_superuser=spec.superuser,
                    password=hashed,
                )
                user.save()
                created.add(spec.username)
            if spec.organisation:
                membership, new = Membership.objects.get_or_create(
                    user=user,
                    organisation=network["organisations"][spec.organisation],
                    profile=spec.profile,
                )
                if new and spec.desks:
                    membership.desks.set([network["desks"][c] for c in spec.desks])
            users[spec.username] = user
        self._log(f"Operators: {len(users)} ({len(created)} new).")
        return users, created

    # -- persons, households, consents, contacts (services) ---------------------------------

    def _load_people(self, size: int, users: dict, network: dict) -> None:
        today = timezone.localdate()
        units = PlanBuilder(size, today).build()
        existing = set(
            Person.objects.filter(external_id__startswith=PREFIX).values_list(
                "external_id", flat=True
            )
        ) | set(
            Household.objects.filter(external_id__startswith=PREFIX).values_list(
                "external_id", flat=True
            )
        )
        services = {s.code: s for s in DeskService.objects.all()}
        missing = set(SERVICE_WEIGHTS) - set(services)
        if missing:
            raise CommandError(f"Desk services missing from the catalogue: {sorted(missing)}")
        organisations, desks, comuni = (
            network["organisations"],
            network["desks"],
            network["comuni"],
        )
        operators = {code: users[name] for code, name in DESK_OPERATOR_OF.items()}
        counts = dict(persons=0, households=0, consents=0, contacts=0, skipped=0)
        total = sum(len(u.members) for u in units)
        done, next_report = 0, 100
        for unit in units:
            done += len(unit.members)
            if done >= next_report:
                self._log(f"  persons {done}/{total}…")
                next_report += 100
            if unit.household_id in existing or any(
                p.external_id in existing for p in unit.members
            ):
                counts["skipped"] += len(unit.members)
                continue
            first_contacts = [c for p in unit.members for c in p.contacts[:1]]
            first = min(first_contacts, key=lambda c: c.date)
            registrar = operators[first.desk]
            created = []
            for spec in unit.members:
                data = {k: v for k, v in spec.data.items() if k not in ("age", "italian_level")}
                data["comune"] = comuni[data["comune"]]
                data["external_id"] = spec.external_id
                person = person_create(
                    actor=registrar,
                    data=data,
                    organisation=organisations[SDS],
                    confirmed_distinct=True,
                )
                created.append((spec, person))
                counts["persons"] += 1
            if unit.household_id:
                reference = created[0][1]
                household = household_create(
                    actor=registrar, reference_person=reference, external_id=unit.household_id
                )
                for spec, person in created[1:]:
                    household_add_member(
                        actor=registrar,
                        household=household,
                        person=person,
                        relationship=spec.relationship,
                    )
                counts["households"] += 1
            for spec, person in created:
                own_first = spec.contacts[0] if spec.contacts else first
                given_on = own_first.date
                note = "Espresso dal genitore." if spec.data["age"] < 18 else ""
                consent_record(
                    actor=operators[own_first.desk],
                    person=person,
                    scope=Consent.Scope.PROCESSING,
                    given_on=given_on,
                    notes=note,
                )
                counts["consents"] += 1
                if spec.network_consent:
                    consent_record(
                        actor=operators[own_first.desk],
                        person=person,
                        scope=Consent.Scope.NETWORK_SHARING,
                        given_on=given_on,
                        notes=note,
                    )
                    counts["consents"] += 1
                for contact in spec.contacts:
                    contact_record(
                        actor=operators[contact.desk],
                        person=person,
                        desk=desks[contact.desk],
                        date=contact.date,
                        services=[services[c] for c in contact.services],
                        outcome=contact.outcome,
                        referred_to=organisations[contact.referred_to]
                        if contact.referred_to
                        else None,
                        notes=contact.notes,
                        language_need=contact.language_need,
                        external_id=contact.external_id,
                        # Sent to another organisation: the person consents there.
                        consent_now=contact.outcome == Contact.Outcome.REFERRED,
                    )
                    counts["contacts"] += 1
        self._log(
            "Persons: {persons} new ({skipped} already there), households: {households}, "
            "consents: {consents}, contacts: {contacts}.".format(**counts)
        )
        return units

    # -- cases: the pathway at every stage (services) -----------------------------------------

    def _load_cases(self, units, count: int, users: dict, network: dict) -> None:
        today = timezone.localdate()
        specs = CaseBuilder(units, today, count).build()
        loader = CaseLoader(users, network, self._log, today)
        loader.load(specs)
        meetings = loader.meetings(specs)
        self._log(
            "Cases: {cases} new ({skipped} already there), assessments: {assessments}, "
            "plans: {plans} ({versions} signed versions, {validations} validated), "
            "interventions: {interventions}, reviews: {reviews}, "
            "access priorities: {priorities}, ".format(**loader.counts)
            + f"meetings: {meetings} new."
        )

    def _load_lep_examples(self) -> None:
        """A zone of the Metropolitan City of Florence; a child in its first 1,000 days in
        two households of complex cases: one LEP obligation left open, one met
        (demo/lep.py)."""
        zone = seed_metropolitan_zone()
        added = seed_lep_examples(today=timezone.localdate())
        self._log(
            f"LEP: {zone.name} (Metropolitan City of Florence), {added} children in their "
            "first 1,000 days registered."
        )

    # -- possible duplicates (services) -------------------------------------------------------

    def _load_duplicates(self, users: dict, network: dict) -> None:
        """Persons registered twice, and the scan of the registry for the duplicates queue
        (demo/duplicates.py)."""
        opening = {d.code: set(d.hours) for d in DESKS}
        loader = DuplicateLoader(users, network, opening, self._log, timezone.localdate())
        registered, pairs = loader.load(sds=SDS, cpi=CPI, birthplaces=CF_BIRTHPLACE)
        self._log(
            f"Possible duplicates: {registered} persons registered twice, {pairs} new pairs "
            "found by the scan."
        )

    # -- the logins -------------------------------------------------------------------------

    def _print_logins(self, users: dict, new_users: set[str], password: str) -> None:
        profiles = dict(Profile.choices)
        rows = []
        for spec in USERS:
            with translation.override("en"):  # the log is in English, like the code
                role = (
                    "administrator (superuser)" if spec.superuser else str(profiles[spec.profile])
                )
            where = ORG_NAMES.get(spec.organisation, "")
            if spec.desks:
                where += " – " + ", ".join(DESK_NAMES[c] for c in spec.desks)
            rows.append((spec.username, f"{spec.first_name} {spec.last_name}", role, where))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {password})")
        header = ("username", "name", "profile")
        self.stdout.write(
            "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  where"
        )
        for row in rows:
            self.stdout.write(
                "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
            )
        # Existing accounts are left alone; say so if the password was changed since.
        sample = users.get("sportello")
        if (
            sample
            and "sportello" not in new_users
            and not check_password(password, sample.password)
        ):
            self.stdout.write(
                "Note: the demo accounts existed already and keep the password they had."
            )


ORG_NAMES = {code: name for code, name, _kind, _seat in ORGANISATIONS} | {REGION: REGION_NAME}
DESK_NAMES = {d.code: d.name for d in DESKS}
