"""Network pages: who sees what, the agreement form, the private document, query bounds."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crocevia.accounts.models import Profile
from crocevia.audit.models import AuditEvent
from crocevia.network.models import Agreement, CasePart
from crocevia.network.selectors import agreements_visible_to
from crocevia.network.services import PartySpec, agreement_create
from crocevia.testing import OrganisationFactory, make_member

from .helpers import PDF_BYTES, THIRTY_THOUSAND, docx_bytes, make_agreement, odt_bytes


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def network(actors, var_dir):
    """Agreements: ZPI–ZLI (with a document), ZLI only, CPI Pisa–Livorno; extra actors."""
    ns = {}
    ns["shared"] = make_agreement(
        [actors.sds, actors.other_org],
        title="Convenzione TEAMS",
        amount=THIRTY_THOUSAND,
        document=SimpleUploadedFile("convenzione firmata.pdf", PDF_BYTES),
        # No clause: its coordinators may change it (network.access.clauses_beyond).
        shared_parts=(),
    )
    livorno2 = OrganisationFactory(
        code="LI-CPI", name="CPI Livorno", kind="cpi", zone=actors.other_zone
    )
    ns["livorno_only"] = make_agreement([actors.other_org, livorno2], title="Protocollo Livorno")
    ns["cpi"] = make_agreement([actors.cpi, livorno2], title="Accordo CPI")
    coop = OrganisationFactory(
        code="COOP", name="Cooperativa", kind="third_sector", zone=actors.zone
    )
    ns["third_sector"] = make_member("coop.op", coop, Profile.EDUCATOR)
    ns["program_manager"] = make_member("pm", actors.sds, Profile.PROGRAM_MANAGER)
    ns["livorno_coordinator"] = make_member("coord.li", actors.other_org, Profile.COORDINATOR)
    return ns


def test_who_sees_which_agreements(actors, network):
    titles = lambda user: set(agreements_visible_to(user).values_list("title", flat=True))  # noqa: E731
    everything = {"Convenzione TEAMS", "Protocollo Livorno", "Accordo CPI"}
    assert titles(actors.admin) == everything
    # Coordinator of the Zona Pisana: parties in their zone (SdS, CPI Pisa).
    assert titles(actors.coordinator) == {"Convenzione TEAMS", "Accordo CPI"}
    assert titles(network["livorno_coordinator"]) == everything
    # Program manager of the SdS: its own organisation's only.
    assert titles(network["program_manager"]) == {"Convenzione TEAMS"}
    for user in (
        actors.desk_operator,
        actors.social_worker,
        actors.cpi_consultant,
        actors.outsider,
        actors.monitoring_officer,
        network["third_sector"],
    ):
        assert titles(user) == set(), user.username


def test_desk_operator_and_third_sector_operator_get_404_everywhere(actors, network, login):
    shared = network["shared"]
    urls = [
        reverse("network:agreement_list"),
        reverse("network:agreement_create"),
        reverse("network:agreement_detail", args=[shared.pk]),
        reverse("network:agreement_edit", args=[shared.pk]),
        reverse("network:agreement_document", args=[shared.pk]),
        reverse("network:zone_detail", args=[actors.zone.pk]),
        reverse("network:organisation_detail", args=[actors.sds.pk]),
        reverse("network:index"),
    ]
    for user in (actors.desk_operator, network["third_sector"], actors.outsider):
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)


def test_coordinator_sees_their_zones_agreement_not_another_zones(actors, network, login):
    client = login(actors.coordinator)
    page = client.get(reverse("network:agreement_detail", args=[network["shared"].pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "€ 30.000,00" in body
    assert "convenzione firmata.pdf" in body
    hidden = client.get(reverse("network:agreement_detail", args=[network["livorno_only"].pk]))
    assert hidden.status_code == 404
    listing = client.get(reverse("network:agreement_list")).content.decode()
    assert "Convenzione TEAMS" in listing and "Accordo CPI" in listing
    assert "Protocollo Livorno" not in listing
    assert (
        client.get(reverse("network:zone_detail", args=[actors.other_zone.pk])).status_code == 404
    )


def test_monitoring_officer_sees_zone_figures_but_no_agreement_or_document(actors, network, login):
    client = login(actors.monitoring_officer)
    zone = client.get(reverse("network:zone_detail", args=[actors.zone.pk]))
    assert zone.status_code == 200
    assert "Convenzione TEAMS" not in zone.content.decode()
    org = client.get(reverse("network:organisation_detail", args=[actors.sds.pk]))
    assert org.status_code == 200
    assert "Convenzione TEAMS" not in org.content.decode()
    for url in (
        reverse("network:agreement_detail", args=[network["shared"].pk]),
        reverse("network:agreement_document", args=[network["shared"].pk]),
        reverse("network:agreement_list"),
    ):
        assert client.get(url).status_code == 404


def test_program_manager_reads_but_does_not_edit(actors, network, login):
    client = login(network["program_manager"])
    assert (
        client.get(reverse("network:agreement_detail", args=[network["shared"].pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("network:agreement_edit", args=[network["shared"].pk])).status_code
        == 403
    )
    assert client.get(reverse("network:agreement_create")).status_code == 404


def test_document_is_private_and_downloaded_only_by_allowed_users(actors, network, login, var_dir):
    shared = network["shared"]
    name = shared.document.name
    # In the file storage (the database), under a random name, nothing on the server's disk.
    assert name.startswith("agreements/") and "convenzione" not in name
    assert default_storage.exists(name)
    assert not any(var_dir.iterdir())
    with pytest.raises(ValueError):
        default_storage.url(name)  # no URL: only the view below serves it
    for user in (actors.coordinator, network["program_manager"], actors.admin):
        response = login(user).get(reverse("network:agreement_document", args=[shared.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert "convenzione" in response["Content-Disposition"]
    downloads = AuditEvent.objects.filter(kind="access", object_id=str(shared.pk), note="document")
    assert downloads.count() == 3


def _form_data(actors, **overrides):
    data = {
        "title": "Convenzione per la mediazione",
        "kind": "convention",
        "reference": "Rep. 12/2026",
        "signed_on": "2026-02-01",
        "valid_from": "2026-02-01",
        "valid_until": "2027-01-31",
        "renewable": "on",
        "renewal_terms": "Un anno",
        "notes": "",
        "version": "",
        "parties-TOTAL_FORMS": "4",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "40",
        "parties-0-organisation": str(actors.sds.pk),
        "parties-0-role": "Capofila",
        "parties-0-amount": "",
        "parties-0-shared_parts": ["registry", "plan"],
        "parties-1-organisation": str(actors.cpi.pk),
        "parties-1-role": "Partner",
        "parties-1-amount": "30000,50",
        "parties-1-shared_parts": ["registry"],
    }
    data.update(overrides)
    return data


def test_coordinator_records_an_agreement_with_a_document_through_the_form(actors, login, var_dir):
    client = login(actors.coordinator)
    data = _form_data(actors)
    data["document"] = SimpleUploadedFile("accordo.docx", docx_bytes())
    response = client.post(reverse("network:agreement_create"), data)
    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("network:agreement_detail", args=[agreement.pk])
    assert agreement.document_name == "accordo.docx"
    amounts = {p.organisation_id: p.amount for p in agreement.parties.all()}
    assert amounts == {actors.sds.pk: None, actors.cpi.pk: Decimal("30000.50")}
    page = client.get(response["Location"]).content.decode()
    assert "€ 30.000,50" in page


def test_a_document_of_the_wrong_type_is_refused_and_nothing_is_stored(actors, login, var_dir):
    client = login(actors.coordinator)
    for name, content, message in [
        ("accordo.txt", b"testo", _("Attach the signed document as a PDF, ODT or DOCX file.")),
        (
            "finto.pdf",
            b"MZ\x90\x00 not a pdf",
            _("The file's content is not a %(kind)s document.") % {"kind": "PDF"},
        ),
        (
            "finto.odt",
            docx_bytes(),
            _("The file's content is not a %(kind)s document.") % {"kind": "ODT"},
        ),
    ]:
        data = _form_data(actors)
        data["document"] = SimpleUploadedFile(name, content)
        response = client.post(reverse("network:agreement_create"), data)
        assert response.status_code == 200
        assert message in response.context["form"].errors["document"]
    assert not Agreement.objects.exists()
    assert default_storage.listdir("agreements") == ([], [])


def test_a_docx_that_is_a_decompression_bomb_is_refused_before_it_is_opened(actors, login, var_dir):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (5 * 1024 * 1024))  # ratio ~1000
    data = _form_data(actors)
    data["document"] = SimpleUploadedFile("accordo.docx", buffer.getvalue())
    response = login(actors.coordinator).post(reverse("network:agreement_create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["document"]
    assert any("word/document.xml" in e and "bomba di decompressione" in e for e in errors)
    assert not Agreement.objects.exists()
    assert default_storage.listdir("agreements") == ([], [])


def test_a_document_over_the_size_limit_is_refused(actors, login, var_dir, settings):
    settings.CROCEVIA_AGREEMENT_MAX_BYTES = 50
    data = _form_data(actors)
    data["document"] = SimpleUploadedFile("grande.odt", odt_bytes())
    response = login(actors.coordinator).post(reverse("network:agreement_create"), data)
    assert response.status_code == 200
    assert "document" in response.context["form"].errors
    assert not Agreement.objects.exists()


def test_form_shows_each_bad_input_beside_its_field(actors, login, var_dir):
    client = login(actors.coordinator)
    data = _form_data(
        actors,
        valid_until="2025-01-01",
        signed_on=(timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        **{"parties-1-organisation": str(actors.sds.pk), "parties-1-amount": "-5"},
    )
    response = client.post(reverse("network:agreement_create"), data)
    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    assert _("The end of validity cannot be before its start.") in form.errors["valid_until"]
    assert _("The money transferred cannot be negative.") in formset.forms[1].errors["amount"]
    body = response.content.decode()
    assert "Convenzione per la mediazione" in body  # nothing typed is lost
    assert not Agreement.objects.exists()
    # Same party twice, valid otherwise.
    data = _form_data(actors, **{"parties-1-organisation": str(actors.sds.pk)})
    response = client.post(reverse("network:agreement_create"), data)
    assert (
        _("%(organisation)s is listed twice: each organisation is a party only once.")
        % {"organisation": actors.sds.name}
        in response.context["formset"].forms[1].errors["organisation"]
    )
    # The signature in the future comes from the service.
    data = _form_data(
        actors, signed_on=(timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    )
    response = client.post(reverse("network:agreement_create"), data)
    assert (
        _("The signature date cannot be in the future.")
        in response.context["form"].errors["signed_on"]
    )


def test_edit_replaces_the_document_and_refuses_a_stale_version(
    actors, network, login, var_dir, django_capture_on_commit_callbacks
):
    shared = network["shared"]
    old_name = shared.document.name
    client = login(actors.coordinator)
    url = reverse("network:agreement_edit", args=[shared.pk])
    assert client.get(url).status_code == 200
    data = _form_data(
        actors,
        title="Convenzione TEAMS (rinnovata)",
        version="1",
        **{"parties-TOTAL_FORMS": "2", "parties-INITIAL_FORMS": "2"},
    )
    data["document"] = SimpleUploadedFile("nuova.pdf", PDF_BYTES + b"%v2")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.title == "Convenzione TEAMS (rinnovata)"
    assert shared.document_name == "nuova.pdf"
    assert not default_storage.exists(old_name)  # the replaced file is gone once committed
    stale = client.post(url, _form_data(actors, title="Vecchia", version="1"))
    assert stale.status_code == 200
    assert stale.context["form"].non_field_errors(), stale.context["formset"].all_errors()
    shared.refresh_from_db()
    assert shared.title == "Convenzione TEAMS (rinnovata)"


def test_home_page_notice_lists_expiring_agreements_of_the_zone(actors, login, var_dir):
    today = timezone.localdate()
    soon = make_agreement(
        [actors.sds, actors.other_org],
        title="Convenzione in scadenza",
        valid_from=today - datetime.timedelta(days=300),
        valid_until=today + datetime.timedelta(days=20),
    )
    client = login(actors.coordinator)
    body = client.get(reverse("home")).content.decode()
    assert 'id="home-agreements"' in body
    assert reverse("network:agreement_detail", args=[soon.pk]) in body
    assert soon.valid_until.strftime("%d/%m/%Y") in body
    # Not for a social worker; nothing once it is renewed beyond 60 days.
    assert (
        'id="home-agreements"'
        not in login(actors.social_worker).get(reverse("home")).content.decode()
    )
    Agreement.objects.filter(pk=soon.pk).update(valid_until=today + datetime.timedelta(days=61))
    assert (
        'id="home-agreements"'
        not in login(actors.coordinator).get(reverse("home")).content.decode()
    )


def test_organisation_page_shows_details_desks_staff_and_agreements(actors, network, login):
    body = (
        login(actors.coordinator)
        .get(reverse("network:organisation_detail", args=[actors.sds.pk]))
        .content.decode()
    )
    assert actors.desk.name in body
    assert "Convenzione TEAMS" in body
    # Staff by profile: one social worker, one coordinator... (from the actors)
    assert str(Profile.SOCIAL_WORKER.label) in body
    # A partner in another zone, reached from a visible agreement.
    partner = login(actors.coordinator).get(
        reverse("network:organisation_detail", args=[actors.other_org.pk])
    )
    assert partner.status_code == 200
    # ... but not the staffing figures of a zone they do not coordinate.
    assert partner.context["lep"] is None
    assert not partner.context["may_see_zone"]
    own = login(actors.coordinator).get(
        reverse("network:organisation_detail", args=[actors.sds.pk])
    )
    assert own.context["lep"] is not None


def test_query_counts_stay_bounded(actors, network, login, django_assert_max_num_queries):
    for i in range(8):
        make_agreement([actors.sds, actors.cpi, actors.other_org], title=f"Accordo {i}")
    client = login(actors.coordinator)
    pages = {
        reverse("network:agreement_list"): 14,
        reverse("network:agreement_detail", args=[network["shared"].pk]): 14,
        reverse("network:organisation_detail", args=[actors.sds.pk]): 20,
        reverse("network:zone_detail", args=[actors.zone.pk]): 20,
        reverse("network:index"): 14,
        reverse("network:agreement_edit", args=[network["shared"].pk]): 16,
        reverse("home"): 30,
    }
    for url, limit in pages.items():
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("signed_on", "0001-01-01", "La data non può essere precedente al 01/01/2000."),
        ("valid_until", "9999-12-31", "La data non può essere successiva al"),
    ],
)
def test_an_implausible_date_is_refused_beside_its_field(
    actors, login, var_dir, field, value, message
):
    client = login(actors.coordinator)
    with translation.override("it"):
        response = client.post(
            reverse("network:agreement_create"), _form_data(actors, **{field: value})
        )
    assert response.status_code == 200
    assert response.context["form"].has_error(field, code="implausible_date")
    assert message in response.content.decode()
    assert not Agreement.objects.exists()


def test_the_agreement_page_says_in_words_what_each_party_may_read(actors, login, var_dir):
    """The data-sharing clause, party by party (network.sharing applies it): what each
    party's members may read of the others' persons and cases, or that they read nothing."""
    agreement = agreement_create(
        actor=actors.coordinator,
        title="Protocollo operativo",
        kind=Agreement.Kind.PROTOCOL,
        signed_on=datetime.date(2025, 1, 1),
        valid_from=datetime.date(2025, 1, 1),
        parties=[
            PartySpec(actors.sds, shared_parts=()),
            PartySpec(actors.cpi, shared_parts=(CasePart.REGISTRY, CasePart.PLAN)),
        ],
    )
    page = login(actors.coordinator).get(reverse("network:agreement_detail", args=[agreement.pk]))
    body = page.content.decode()
    words = body[body.index('id="agreement-sharing-words"') :]
    words = words[: words.index("</ul>")]
    with translation.override("it"):
        cpi_reads, sds_reads = words.split("<li>")[2], words.split("<li>")[1]
        assert "CPI Pisa" in cpi_reads and "SdS Zona Pisana" in cpi_reads
        assert str(CasePart.REGISTRY.label) in cpi_reads and str(CasePart.PLAN.label) in cpi_reads
        assert str(CasePart.INTAKE.label) not in cpi_reads
        assert not any(str(label) in sds_reads for label in CasePart.labels)
