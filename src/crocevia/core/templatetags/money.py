"""Money in Italian format: {% load money %}{{ amount|euro }} → "€ 91.774,80"."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")


def format_euro(value) -> str:
    """'€ 1.234,50' for Decimal('1234.5'); '€ -3,00' for a negative amount; '' for None.

    Floats are refused: money is never a float here, and a float would round silently.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        raise TypeError("money must be a Decimal or an int, not a float")
    try:
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return ""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"€ {sign}{'.'.join(groups)},{cents}"


@register.filter
def euro(value) -> str:
    return format_euro(value)
