"""Builders for the programmes' tests."""

import datetime
from decimal import Decimal

from .. import services

START, END = datetime.date(2019, 1, 1), datetime.date(2020, 12, 31)
# A pre-assessment within the programmes' period (their cases: crocevia.testing.make_case).
IN_PERIOD = datetime.date(2019, 6, 1)


def make_programme(actors, *, code="TEAMS", partners=None, start=START, end=END):
    return services.programme_create(
        actor=actors.coordinator,
        code=code,
        name="TEAMS – Tuscany Empowerment Actions for Migrant System",
        fund="fami",
        start_date=start,
        end_date=end,
        lead_organisation=actors.sds,
        partners=[actors.other_org] if partners is None else partners,
    )


def make_action(actors, programme, *, code="a1", amount="1000.00", organisation=None, **extra):
    return services.action_create(
        actor=actors.coordinator,
        programme=programme,
        code=code,
        title=f"Azione {code}",
        responsible_organisation=organisation or actors.sds,
        amount=Decimal(amount),
        **extra,
    )


def spend(actor, action, amount, *, on=datetime.date(2019, 5, 10), **extra):
    return services.expenditure_record(
        actor=actor,
        action=action,
        spent_on=on,
        amount=Decimal(amount),
        description="Fattura",
        **extra,
    )
