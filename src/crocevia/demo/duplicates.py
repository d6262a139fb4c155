"""The demo's possible duplicates (issue 16): the same person registered twice, at two
desks or by two organisations, as happens before a codice fiscale is known or when a
name is transliterated another way; and two different persons the queue suggests too.

Written through the services, like the rest of the demo: the second registration of each
pair is confirmed as "a different person" by its operator (as a busy desk does), which
puts the pair in the duplicates queue; `scan_duplicates` then looks over the whole demo
registry. Recognised by external id ("demo-dup-1a"): a second run adds nothing.

- El Amrani Mohamed / Amrani Mohammed: one man from Morocco, registered at the Pisa desk
  (two contacts, a phone, no code yet) and by the employment centre (his codice fiscale,
  a case opened there). Mergeable: one open case only.
- Adeyemi Oluwaseun / Oluwaseun Adeyemi: one man from Nigeria, registered at the Calci
  desk as an asylum seeker with the provisional 11-digit code, and at Pisa, names
  inverted, with the definitive code once granted refugee status. Merging keeps the
  provisional code as an alias.
- Ali Mohamed / Mohamed Ali: two different men (Somalia, Egypt) with the conventional
  birth date 1 January 1990 and a common name: to be recorded as different persons.
"""

import datetime
from dataclasses import dataclass

import holidays
from codicefiscale import codicefiscale
from stdnum import luhn

from crocevia.cases.services import case_open_direct
from crocevia.desk.models import DeskService
from crocevia.desk.services import contact_record
from crocevia.people.models import Consent, Person
from crocevia.people.pairs import scan_duplicates
from crocevia.people.services import codice_fiscale_owners, consent_record, person_create

DUPLICATE_PREFIX = "demo-dup-"


@dataclass(frozen=True)
class Registration:
    key: str  # the external id after DUPLICATE_PREFIX
    family_name: str
    given_names: str
    birth_date: datetime.date
    country: str  # citizenship and birth country
    registrar: str  # username of the operator who registers
    organisation: str  # code of the organisation that registers
    desk: str = ""  # where the contacts were (code), if any
    contacts_days_ago: tuple[int, ...] = ()
    code: str = ""  # "", "definitive" or "provisional"
    phone: str = ""
    permit_type: str = ""
    languages: tuple[str, ...] = ()
    case_at: str = ""  # code of the organisation where a case is open, if any


def registrations(sds: str, cpi: str) -> list[Registration]:
    return [
        Registration(
            "1a", "El Amrani", "Mohamed", datetime.date(1986, 7, 2), "MA", "sportello", sds,
            desk="SPI-PISA", contacts_days_ago=(150, 30), phone="351 428 7731",
            permit_type="work", languages=("ar", "fr"),
        ),
        Registration(
            "1b", "Amrani", "Mohammed", datetime.date(1986, 7, 2), "MA", "consulente", cpi,
            code="definitive", permit_type="work", languages=("ar",), case_at=cpi,
        ),
        Registration(
            "2a", "Adeyemi", "Oluwaseun", datetime.date(1995, 4, 11), "NG", "sportello.comuni",
            sds, desk="SPI-CALCI", contacts_days_ago=(210,), code="provisional",
            permit_type="asylum_seeker", languages=("en", "yo"),
        ),
        Registration(
            "2b", "Oluwaseun", "Adeyemi", datetime.date(1995, 4, 11), "NG", "sportello", sds,
            desk="SPI-PISA", contacts_days_ago=(20,), code="definitive",
            permit_type="asylum", languages=("en",),
        ),
        Registration(
            "3a", "Ali", "Mohamed", datetime.date(1990, 1, 1), "SO", "sportello", sds,
            desk="SPI-PISA", contacts_days_ago=(60,), permit_type="subsidiary",
            languages=("so", "ar"),
        ),
        Registration(
            "3b", "Mohamed", "Ali", datetime.date(1990, 1, 1), "EG", "sportello.comuni", sds,
            desk="SPI-VECCHIANO", contacts_days_ago=(90,), permit_type="work",
            languages=("ar",),
        ),
    ]  # fmt: skip


class DuplicateLoader:
    """Registers the pairs through the services, then scans the demo registry."""

    def __init__(self, users: dict, network: dict, opening: dict, log, today: datetime.date):
        self.users = users
        self.orgs = network["organisations"]
        self.desks = network["desks"]
        self.opening = opening  # desk code -> weekdays open
        self.log = log
        self.today = today
        self.closed = holidays.Italy(years=range(today.year - 1, today.year + 1), subdiv="PI")

    def _open_day(self, desk: str, days_ago: int) -> datetime.date:
        """The last day the desk was open, `days_ago` days ago or before."""
        day = self.today - datetime.timedelta(days=days_ago)
        while day.weekday() not in self.opening[desk] or day in self.closed:
            day -= datetime.timedelta(days=1)
        return day

    def _code(self, spec: Registration, birthplace: str) -> str:
        if spec.code == "definitive":
            code = codicefiscale.encode(
                lastname=spec.family_name,
                firstname=spec.given_names,
                gender="M",
                birthdate=spec.birth_date.isoformat(),
                birthplace=birthplace,
            )
            return "" if codice_fiscale_owners([code]) else code
        if spec.code == "provisional":
            serial = 7300000
            while True:
                body = f"{serial}050"
                code = body + luhn.calc_check_digit(body)
                if not codice_fiscale_owners([code]):
                    return code
                serial += 1
        return ""

    def load(self, *, sds: str, cpi: str, birthplaces: dict) -> tuple[int, int]:
        """(persons registered, new pairs found by the scan of the whole registry).
        `sds`, `cpi`: the codes of the organisations; `birthplaces`: country -> the
        Belfiore code of the codice fiscale."""
        specs = registrations(sds=sds, cpi=cpi)
        keys = [DUPLICATE_PREFIX + s.key for s in specs]
        existing = set(
            Person.objects.filter(external_id__in=keys).values_list("external_id", flat=True)
        )
        service = DeskService.objects.get(code="information")
        registered = 0
        for spec in specs:
            external_id = DUPLICATE_PREFIX + spec.key
            if external_id in existing:
                continue
            registrar = self.users[spec.registrar]
            permit_expires = (
                self.today + datetime.timedelta(days=400)
                if spec.permit_type not in ("", "eu_long_term")
                else None
            )
            person = person_create(
                actor=registrar,
                data={
                    "family_name": spec.family_name,
                    "given_names": spec.given_names,
                    "sex": "M",
                    "birth_date": spec.birth_date,
                    "citizenship": spec.country,
                    "birth_country": spec.country,
                    "codice_fiscale": self._code(spec, birthplaces[spec.country]),
                    "comune": self.desks[spec.desk or "SPI-PISA"].comune,
                    "phone": spec.phone,
                    "email": "",
                    "languages": list(spec.languages),
                    "needs_mediator": False,
                    "permit_type": spec.permit_type,
                    "permit_expires_on": permit_expires,
                    "external_id": external_id,
                },
                organisation=self.orgs[spec.organisation],
                # A busy desk ticks "a different person": the pair waits in the queue.
                confirmed_distinct=True,
            )
            registered += 1
            days = [self._open_day(spec.desk, n) for n in spec.contacts_days_ago]
            consent_record(
                actor=registrar,
                person=person,
                scope=Consent.Scope.PROCESSING,
                given_on=min(days) if days else self.today - datetime.timedelta(days=15),
            )
            for day in sorted(days):
                contact_record(
                    actor=registrar,
                    person=person,
                    desk=self.desks[spec.desk],
                    date=day,
                    services=[service],
                )
            if spec.case_at:
                case_open_direct(
                    actor=self.users["admin"],
                    person=person,
                    organisation=self.orgs[spec.case_at],
                    referred_on=self.today - datetime.timedelta(days=15),
                    # The team will share across organisations: the person consents.
                    sharing={"consent_now": True},
                )
        return registered, scan_duplicates()
