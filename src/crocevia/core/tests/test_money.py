from decimal import Decimal

import pytest
from django.template import Context, Template

from crocevia.core.templatetags.money import format_euro


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("91774.80"), "€ 91.774,80"),
        (Decimal("59860.08"), "€ 59.860,08"),
        (Decimal("0.1") + Decimal("0.2"), "€ 0,30"),
        (Decimal("2000"), "€ 2.000,00"),
        (Decimal("999.99"), "€ 999,99"),
        (Decimal("1234567.5"), "€ 1.234.567,50"),
        (Decimal("-30000"), "€ -30.000,00"),
        (0, "€ 0,00"),
        (None, ""),
    ],
)
def test_euro_is_italian_format(value, shown):
    assert format_euro(value) == shown


def test_euro_refuses_floats_that_would_round_silently():
    with pytest.raises(TypeError):
        format_euro(0.1)


def test_euro_filter_in_a_template():
    rendered = Template("{% load money %}{{ amount|euro }}").render(
        Context({"amount": Decimal("115724.16")})
    )
    assert rendered == "€ 115.724,16"
