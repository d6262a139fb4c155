"""The fixture network of the reporting tests (test_indicators.py computes every value by hand).

The period is the calendar year 2025. Zone ZPI (Pisa, Cascina) has the SdS (desk
SPI-PISA) and the CPI (no desk); zone ZLI (Livorno) has the Comune di Livorno (desk
SPI-LIVORNO). Persons: p1 F IT, p2 M RO (EU), p3 F SN, p4 M unknown, p5 F SN, p6 M MA.
"""

import datetime
from decimal import Decimal

import pytest

from crocevia.accounts.models import Profile
from crocevia.benefits.models import BenefitApplication
from crocevia.cases.models import Case
from crocevia.desk.models import Contact, DeskService, LanguageNeed
from crocevia.meetings.models import Meeting
from crocevia.people.models import Household
from crocevia.programmes.models import BudgetAction, Expenditure, Fund, Programme, Target
from crocevia.testing import ComuneFactory, PersonFactory, make_member

D = datetime.date
START, END = D(2025, 1, 1), D(2025, 12, 31)


def _contact(person, desk, day, services=(), outcome="solved", referred_to=None):
    contact = Contact.objects.create(
        person=person, desk=desk, date=day, outcome=outcome, referred_to=referred_to
    )
    contact.services.set(
        DeskService.objects.filter(code__in=services),
        through_defaults={"date": day, "desk": desk},
    )
    return contact


def _case(person, organisation, referred_on, **milestones):
    # A raw row, deliberately, not crocevia.testing.make_case: every indicator of
    # test_indicators.py is computed by hand over exactly these rows (milestones only: no
    # intake, no team, no audit trail), and some are rows the workflow cannot make (an
    # assessment date on a work or social case: k1, k2, k5, k6; k4 assessed with no team).
    return Case.objects.create(
        person=person,
        organisation=organisation,
        zone=organisation.zone,
        origin="direct",
        referred_on=referred_on,
        **milestones,
    )


def _member(household, birth_date, **fields):
    return PersonFactory(household=household, birth_date=birth_date, **fields)


class Network:
    pass


@pytest.fixture
def net(actors):
    n = Network()
    n.a = actors
    n.cascina = ComuneFactory(
        istat_code="050008", name="Cascina", province="PI", population=45001, zone=actors.zone
    )
    make_member("assistente-cpi", actors.cpi, Profile.SOCIAL_WORKER)
    for code in ("information", "legal_advice"):
        DeskService.objects.get_or_create(code=code, defaults={"name": code})
    h1, h2, h3, h4 = (Household.objects.create() for _ in range(4))
    n.h1, n.h2, n.h3, n.h4 = h1, h2, h3, h4
    p1 = _member(h1, D(1990, 1, 1), sex="F", citizenship="IT")
    p2 = _member(h2, D(1985, 1, 1), sex="M", citizenship="RO")
    p3 = PersonFactory(sex="F", citizenship="SN")
    p4 = PersonFactory(sex="M", citizenship="")
    p5 = PersonFactory(sex="F", citizenship="SN")
    p6 = _member(h4, D(1980, 1, 1), sex="M", citizenship="MA")
    p7 = _member(h3, D(1970, 1, 1), sex="F", citizenship="IT")
    # h1: one adult and a toddler; h2: p2, two more adults (one 18 on 31 December 2025)
    # and two minors (one 4 on 31 December 2025); h3: p7 alone; h4 (Livorno): p6 alone.
    _member(h1, D(2023, 3, 1))
    _member(h2, D(1986, 1, 1))
    _member(h2, D(2007, 12, 31))
    _member(h2, D(2010, 6, 1))
    _member(h2, D(2021, 12, 31))
    n.p = [None, p1, p2, p3, p4, p5, p6, p7]

    desk, other = actors.desk, actors.other_desk
    c1 = _contact(p1, desk, D(2025, 3, 10), ["information"])
    c2 = _contact(p1, desk, D(2025, 4, 1), ["information", "legal_advice"])
    _contact(p2, desk, D(2025, 5, 5), ["legal_advice"], "referred", actors.cpi)
    c4 = _contact(p3, desk, D(2025, 6, 6), [], "second_level")
    _contact(p4, desk, D(2025, 7, 7), ["information"])
    _contact(p5, desk, D(2024, 12, 31), ["information"])  # before the period
    _contact(p3, desk, D(2026, 1, 1), ["information"])  # after the period
    c8 = _contact(p6, other, D(2025, 3, 3), ["information"])
    _contact(p5, other, D(2025, 3, 3), ["information"])  # p5 at another organisation's desk

    recorder = actors.desk_operator
    for person, contact, day, sector, job in (
        (p1, c1, D(2025, 3, 10), "care", True),
        (p1, c2, D(2025, 4, 1), "care", True),
        (p3, c4, D(2025, 6, 6), "care", True),
        (p6, c8, D(2025, 3, 3), "logistics", True),
        (p2, None, D(2025, 5, 5), "", False),
    ):
        LanguageNeed.objects.create(
            person=person,
            contact=contact,
            recorded_on=day,
            italian_level="A2",
            needs_job_italian=job,
            work_sector=sector,
            recorded_by=recorder,
        )

    pisa, livorno = actors.pisa, actors.livorno
    a1 = BenefitApplication.objects.create(
        external_id="A1", household=h1, applicant=p1, comune=pisa, measure="ADI",
        submitted_on=D(2025, 3, 1), status="accepted", outcome_on=D(2025, 4, 15),
    )  # fmt: skip
    a2 = BenefitApplication.objects.create(
        external_id="A2", household=h2, applicant=p2, comune=pisa, measure="ADI",
        submitted_on=D(2025, 5, 1), status="accepted", outcome_on=D(2025, 5, 15),
    )  # fmt: skip
    for ext, household, applicant, comune, submitted, status, outcome in (
        ("A3", h3, p7, pisa, D(2025, 10, 1), "accepted", D(2025, 11, 20)),
        ("A4", h4, p6, livorno, D(2025, 5, 1), "accepted", D(2025, 6, 1)),
        ("A5", h3, p7, pisa, D(2025, 10, 1), "processing", None),
        ("A6", h2, p2, pisa, D(2025, 2, 1), "rejected", D(2025, 3, 1)),
        ("A7", h3, p7, n.cascina, D(2024, 5, 1), "lapsed", D(2024, 6, 1)),
        ("A8", h3, p7, pisa, D(2026, 1, 5), "processing", None),  # after `to`
        ("A9", h1, p1, pisa, D(2024, 10, 1), "accepted", D(2024, 12, 1)),
    ):
        BenefitApplication.objects.create(
            external_id=ext, household=household, applicant=applicant, comune=comune,
            measure="ADI", submitted_on=submitted, status=status, outcome_on=outcome,
        )  # fmt: skip

    sds, cpi, com_li = actors.sds, actors.cpi, actors.other_org
    # k1: Easter Monday between pre-assessment and assessment (1), 25 April between plan
    # signed and started (1), INPS outcome Tue 15 April → pre-assessed Fri 18 April (3).
    _case(
        p1, sds, D(2025, 4, 14), household=h1, benefit_application=a1,
        benefit_outcome_on=D(2025, 4, 15), preassessed_on=D(2025, 4, 18), need_class="social",
        assessed_on=D(2025, 4, 22), plan_signed_on=D(2025, 4, 24), plan_kind="social_project",
        plan_started_on=D(2025, 4, 28), area="economic_hardship",
    )  # fmt: skip
    # k2: 2 June and San Ranieri (17 June) between pre-assessment (Fri 30 May) and
    # assessment (Wed 18 June): 11; outcome Thu 15 May → Fri 30 May: 11; plan same day: 0.
    _case(
        p2, sds, D(2025, 5, 20), household=h2, benefit_application=a2,
        benefit_outcome_on=D(2025, 5, 15), preassessed_on=D(2025, 5, 30), need_class="work",
        assessed_on=D(2025, 6, 18), plan_signed_on=D(2025, 6, 20), plan_kind="service_pact",
        plan_started_on=D(2025, 6, 20),
    )  # fmt: skip
    _case(
        p3, sds, D(2025, 1, 10), preassessed_on=D(2025, 2, 3), need_class="complex",
        closed_on=D(2025, 9, 30), outcome="employed", stage="closed",
    )  # fmt: skip
    # k4: p1 again; assessed the day of the pre-assessment: 0.
    n.k4 = _case(
        p1, sds, D(2025, 6, 1), preassessed_on=D(2025, 6, 16), need_class="complex",
        assessed_on=D(2025, 6, 16), area="families_prevention",
    )  # fmt: skip
    # k5: pre-assessed in 2024, assessed Wed 8 January 2025 after Christmas: 9.
    _case(
        p4, sds, D(2024, 11, 1), preassessed_on=D(2024, 12, 20), need_class="work",
        assessed_on=D(2025, 1, 8),
    )  # fmt: skip
    # k6 (Livorno): Santa Giulia (Thu 22 May) between Wed 21 and Fri 23 May: 1.
    _case(
        p6, com_li, D(2025, 5, 2), household=h4, preassessed_on=D(2025, 5, 21),
        need_class="work", assessed_on=D(2025, 5, 23),
    )  # fmt: skip
    _case(
        p5, cpi, D(2025, 3, 1), preassessed_on=D(2025, 3, 5), need_class="work",
        closed_on=D(2025, 3, 20), outcome="dropped_out", stage="closed",
    )  # fmt: skip
    _case(p2, sds, D(2025, 12, 20))  # opened, not yet pre-assessed
    # k9: p7 (household h3 through the person), pre-assessed after `to`.
    _case(p7, sds, D(2025, 12, 1), preassessed_on=D(2026, 1, 10), need_class="social")

    def programme(code, start, end):
        return Programme.objects.create(
            code=code, name=code, fund=Fund.POVERTY_FUND, start_date=start, end_date=end,
            lead_organisation=sds,
        )  # fmt: skip

    p_2025 = programme("P1", D(2025, 1, 1), D(2025, 12, 31))
    p_2024 = programme("P2", D(2024, 1, 1), D(2024, 12, 31))
    p_next = programme("P3", D(2025, 6, 1), D(2026, 6, 30))
    Target.objects.create(programme=p_2025, organisation=sds, target_number=10)
    Target.objects.create(programme=p_2025, organisation=cpi, target_number=4)
    Target.objects.create(programme=p_2024, organisation=sds, target_number=99)
    Target.objects.create(programme=p_next, organisation=sds, target_number=5)

    def action(prog, code, organisation, amount):
        return BudgetAction.objects.create(
            programme=prog, code=code, title=code, responsible_organisation=organisation,
            amount=Decimal(amount),
        )  # fmt: skip

    def spend(act, day, amount):
        Expenditure.objects.create(
            action=act, spent_on=day, amount=Decimal(amount), description="x",
            recorded_by=actors.admin,
        )  # fmt: skip

    a1_2025 = action(p_2025, "A1", sds, "1000.00")
    spend(a1_2025, D(2025, 3, 1), "250.50")
    spend(a1_2025, D(2026, 2, 1), "100.00")  # after `to`
    action(p_2025, "A2", cpi, "300.00")
    spend(action(p_2024, "B1", sds, "50.00"), D(2024, 5, 1), "50.00")
    spend(action(p_next, "A1", sds, "200.00"), D(2025, 7, 1), "200.00")

    def meeting(zone, kind, day, minutes):
        Meeting.objects.create(
            zone=zone, kind=kind, held_on=day, notes=minutes, created_by=actors.admin
        )

    meeting(actors.zone, "coordination", D(2025, 3, 1), "Verbale della riunione")
    meeting(actors.zone, "team", D(2025, 4, 1), "   ")  # blank minutes do not count
    meeting(actors.zone, "steering", D(2024, 12, 1), "Verbale")  # before the period
    meeting(actors.other_zone, "team", D(2025, 5, 1), "Verbale")
    return n
