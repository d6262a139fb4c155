"""A coordinator opens the organisation page and an agreement page (axe-core clean)."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from crocevia.network.models import Agreement, CasePart
from crocevia.network.services import PartySpec, agreement_create
from crocevia.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _login(page, username):
    page.goto("/accesso/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi").click()
    assert "/accesso/" not in page.url


def test_coordinator_opens_organisation_and_agreement_pages(page, axe_check, actors):
    today = timezone.localdate()
    agreement = agreement_create(
        actor=actors.coordinator,
        title="Convenzione TEAMS",
        kind=Agreement.Kind.CONVENTION,
        signed_on=today - datetime.timedelta(days=300),
        valid_from=today - datetime.timedelta(days=300),
        valid_until=today + datetime.timedelta(days=30),
        renewable=True,
        parties=[
            # The coordinator opens no data of another zone's organisation to the SdS (only an
            # administrator may: network.access.clauses_beyond); the other party reads the
            # SdS's registry and plans.
            PartySpec(actors.sds, role="Capofila", shared_parts=()),
            PartySpec(
                actors.other_org,
                role="Ente firmatario",
                amount=Decimal("30000"),
                shared_parts=(CasePart.REGISTRY, CasePart.PLAN),
            ),
        ],
        document=SimpleUploadedFile("convenzione.pdf", PDF),
    )

    _login(page, "coordinatore")
    # The home page's notice names the agreement about to expire.
    notice = page.locator("#home-agreements")
    assert "Convenzione TEAMS" in notice.inner_text()
    axe_check(page)

    page.goto(reverse("network:organisation_detail", args=[actors.sds.pk]))
    assert page.get_by_role("heading", level=1).inner_text() == actors.sds.name
    assert "Sportello immigrati Pisa" in page.locator("main").inner_text()
    axe_check(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Convenzione TEAMS").first.click()
    assert page.url.endswith(reverse("network:agreement_detail", args=[agreement.pk]))
    parties = page.locator("#agreement-parties").inner_text()
    assert "€ 30.000,00" in parties
    with translation.override("it"):
        expires = ngettext("Expires in %(days)s day", "Expires in %(days)s days", 30) % {"days": 30}
        download = gettext("Download %(name)s") % {"name": "convenzione.pdf"}
    assert expires in page.locator("#agreement-state").inner_text()
    sharing = page.locator("#agreement-sharing").inner_text()
    assert actors.other_org.name in sharing
    axe_check(page)

    with page.expect_download() as info:
        page.get_by_role("link", name=download).click()
    assert info.value.suggested_filename == "convenzione.pdf"

    for url in (
        reverse("network:agreement_edit", args=[agreement.pk]),
        reverse("network:agreement_list"),
        reverse("network:zone_detail", args=[actors.zone.pk]),
        reverse("network:index"),
    ):
        response = page.goto(url)
        assert response.status == 200, url
        axe_check(page)
