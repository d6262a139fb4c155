"""Shared helpers of the network tests."""

import datetime
import io
import zipfile
from decimal import Decimal

from crocevia.network.models import Agreement, CasePart
from crocevia.network.services import PartySpec, agreement_create

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def make_agreement(
    organisations,
    *,
    actor=None,
    title="Convenzione di prova",
    valid_from=datetime.date(2025, 1, 1),
    valid_until=None,
    signed_on=None,
    amount=None,
    today=None,
    shared_parts=(CasePart.REGISTRY, CasePart.PLAN),
    **kwargs,
) -> Agreement:
    parties = [
        PartySpec(
            org,
            role="Capofila" if i == 0 else "Partner",
            amount=None if i == 0 else amount,
            shared_parts=shared_parts,
        )
        for i, org in enumerate(organisations)
    ]
    return agreement_create(
        actor=actor,
        title=title,
        kind=kwargs.pop("kind", Agreement.Kind.CONVENTION),
        signed_on=signed_on or valid_from,
        valid_from=valid_from,
        valid_until=valid_until,
        parties=parties,
        today=today,
        **kwargs,
    )


THIRTY_THOUSAND = Decimal("30000.00")
