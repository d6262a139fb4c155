"""The report workbook carries no live formula (issue 15, item 5): an organisation named
by a formula-like text shows its name as text on the index sheet, counts stay numbers."""

import pytest
from django.core.management import call_command

from crocevia.testing import FORMULA_PAYLOADS, OrganisationFactory, workbook_texts

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("masked", [False, True])
def test_report_of_an_organisation_named_by_a_formula_holds_its_name_as_text(
    actors, tmp_path, masked
):
    for index, payload in enumerate(FORMULA_PAYLOADS):
        OrganisationFactory(code=f"F{index}", name=payload, zone=actors.zone)
        path = tmp_path / f"report-{index}.xlsx"
        call_command(
            "report",
            "--from", "2025-01-01",
            "--to", "2025-12-31",
            "--organisation", f"F{index}",
            "--format", "xlsx",
            "--output", str(path),
            *(["--masked"] if masked else []),
        )  # fmt: skip
        texts, unsafe = workbook_texts(path.read_bytes())
        assert unsafe == []
        assert f"{payload} (F{index})" in texts  # the scope, on the index sheet
