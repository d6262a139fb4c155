"""Scores and form data for the assessments tests (cases: crocevia.testing.make_case)."""

from crocevia.assessments.models import Dimension
from crocevia.testing import days_ago


def scores(value: int = 3, **overrides) -> dict:
    """A score for every dimension; overrides are (score, notes) tuples by dimension."""
    data = {d.value: (value, f"note {d.value}") for d in Dimension}
    data.update(overrides)
    return data


def form_data(phase="entry", assessed_on=None, value=3, **overrides) -> dict:
    data = {
        "phase": phase,
        "assessed_on": (assessed_on or days_ago(5)).isoformat(),
        "notes": "",
    }
    for d in Dimension:
        data[f"score_{d.value}"] = str(value)
        data[f"notes_{d.value}"] = ""
    data.update(overrides)
    return data
