"""The programme workbook carries no live formula (issue 15, item 5): an expenditure whose
description or document is a formula-like text is written as text, amounts as numbers."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crocevia.programmes.models import Expenditure
from crocevia.testing import FORMULA_PAYLOADS, workbook_texts

from .helpers import make_action, make_programme

pytestmark = pytest.mark.django_db


def test_expenditures_described_by_formulas_are_text_in_the_programme_workbook(actors, login):
    programme = make_programme(actors)
    action = make_action(actors, programme, code="a1", amount="10000.00")
    client = login(actors.coordinator)
    for payload in FORMULA_PAYLOADS:
        response = client.post(
            reverse("programmes:expenditure_create", args=[programme.pk]),
            {
                "action": action.pk,
                "spent_on": "2019-07-01",
                "amount": "10,50",
                "description": payload,
                "document_reference": payload,
            },
        )
        assert response.status_code == 302
    # The form trims what is typed; each description is stored as the form gave it.
    stored = {payload.strip() for payload in FORMULA_PAYLOADS}
    assert set(Expenditure.objects.values_list("description", flat=True)) == stored

    response = client.get(reverse("programmes:export", args=[programme.pk]))
    texts, unsafe = workbook_texts(response.content)
    assert unsafe == []
    assert stored <= set(texts)
    spese = load_workbook(io.BytesIO(response.content))["Spese"]
    count = Expenditure.objects.count()
    amounts = [spese.cell(row=row, column=6) for row in range(2, 2 + count)]
    assert all(cell.data_type == "n" and cell.value == 10.5 for cell in amounts)
