"""Demo agreements (seeds 000 and 004), loaded at the end of `crocevia demo`.

`seed_demo(coordinator=...)` creates, if missing, the partner organisations of the TEAMS
convention and the CPI of Livorno with their zones, then three agreements through the
services (validated and audited as the coordinator):
- the TEAMS convention (seed 000): SdS Pisana and the Comune di Livorno, COeSO Grosseto
  and the Lunigiana SdS for Massa-Carrara, € 30.000 transferred to each partner;
- the Livorno protocol (seed 004) between the Zona Livornese's social services and the
  CPI: three years from the signature, renewable for as long again;
- a convention of the coordinator's zone expiring within 60 days, so that the home-page
  notice shows; its clause lets the cooperative's operators (the demo's `educatore`,
  `tutor.coop`) read the SdS's persons and their desk contacts (network.sharing);
- the operational protocol of the SdS Pisana and the CPI of Pisa, in force, whose clause
  lets the CPI's members read the registry, section A, the plan and the interventions of
  the SdS's cases (the demo's `esperto.lavoro`, on no team, reads them under it).
Idempotent: an agreement whose title exists is left as it is.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crocevia.network.models import Agreement, CasePart, Comune, Organisation, Zone
from crocevia.network.services import PartySpec, agreement_create

# Zones and organisations of the partners: the same codes as the programmes demo.
ZONES = {
    "ZLI": "Zona Livornese",
    "ZGR": "Zona Grossetana",
    "ZLU": "Lunigiana",
}
# ISTAT code, name, province, residents (approximate, 1 January 2018), zone.
COMUNI = [
    ("049009", "Livorno", "LI", 158493, "ZLI"),
    ("049008", "Collesalvetti", "LI", 16807, "ZLI"),
    ("049003", "Capraia Isola", "LI", 410, "ZLI"),
    ("053011", "Grosseto", "GR", 82284, "ZGR"),
    ("045001", "Aulla", "MS", 11123, "ZLU"),
]
# Code, name, kind, zone, Comune of the seat.
ORGANISATIONS = [
    ("COM-LIVORNO", "Comune di Livorno", Organisation.Kind.COMUNE, "ZLI", "049009"),
    (
        "COESO-GR",
        "COeSO Società della Salute dell'Area Socio-Sanitaria Grossetana",
        Organisation.Kind.SDS,
        "ZGR",
        "053011",
    ),
    (
        "SDS-LUNIG",
        "Società della Salute della Lunigiana",
        Organisation.Kind.SDS,
        "ZLU",
        "045001",
    ),
    ("CPI-LI", "Centro per l'Impiego di Livorno", Organisation.Kind.CPI, "ZLI", "049009"),
]
LEAD = "SDS-PI"
COOP = "COOP-APPRODO"
CPI_PISA = "CPI-PI"

TEAMS_TITLE = "Convenzione TEAMS – sperimentazione della presa in carico integrata (FAMI)"
LIVORNO_TITLE = (
    "Protocollo di cooperazione per il sistema locale di sostegno all'inclusione attiva "
    "(Zona Livornese – CPI Livorno)"
)
EXPIRING_TITLE = "Convenzione per la mediazione linguistico-culturale agli sportelli immigrati"
PISA_CPI_TITLE = (
    "Protocollo operativo SdS Zona Pisana – Centro per l'Impiego di Pisa per la presa in "
    "carico integrata"
)

WORK_PATHWAY = (
    CasePart.REGISTRY,
    CasePart.INTAKE,
    CasePart.ASSESSMENT,
    CasePart.PLAN,
    CasePart.INTERVENTIONS,
)


def _network() -> dict[str, Organisation]:
    zones = {
        code: Zone.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in ZONES.items()
    }
    comuni = {}
    for istat, name, province, population, zone in COMUNI:
        comuni[istat] = Comune.objects.get_or_create(
            istat_code=istat,
            defaults={
                "name": name,
                "province": province,
                "population": population,
                "zone": zones[zone],
            },
        )[0]
    organisations = {}
    for code, name, kind, zone, seat in ORGANISATIONS:
        organisations[code] = Organisation.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "zone": zones[zone], "comune": comuni[seat]},
        )[0]
    return organisations


@transaction.atomic
def seed_demo(*, coordinator, today: datetime.date | None = None) -> list[Agreement]:
    """Create the demo agreements (see the module's docstring); returns those created."""
    today = today or timezone.localdate()
    organisations = _network()
    lead = Organisation.objects.get(code=LEAD)
    existing = set(
        Agreement.objects.filter(
            title__in=[TEAMS_TITLE, LIVORNO_TITLE, EXPIRING_TITLE, PISA_CPI_TITLE]
        ).values_list("title", flat=True)
    )
    created = []
    thirty_thousand = Decimal("30000.00")
    if TEAMS_TITLE not in existing:
        created.append(
            agreement_create(
                # Its clauses open other zones' data: an administrator's to record (here
                # the system), not the coordinator's (network.access.clauses_beyond).
                actor=None,
                title=TEAMS_TITLE,
                kind=Agreement.Kind.CONVENTION,
                signed_on=datetime.date(2019, 10, 15),
                valid_from=datetime.date(2019, 10, 15),
                valid_until=datetime.date(2020, 12, 31),
                renewable=False,
                parties=[
                    PartySpec(lead, role="Capofila", shared_parts=WORK_PATHWAY),
                    *(
                        PartySpec(
                            organisations[code],
                            role="Ente firmatario",
                            amount=thirty_thousand,
                            shared_parts=WORK_PATHWAY,
                        )
                        for code in ("COM-LIVORNO", "COESO-GR", "SDS-LUNIG")
                    ),
                ],
                notes=(
                    "La SdS Zona Pisana trasferisce € 30.000 a ciascun ente firmatario a fronte "
                    "dell'impegno di consolidare o avviare la sperimentazione della presa in "
                    "carico integrata del bisogno lavorativo del cittadino straniero; almeno 60 "
                    "prese in carico per ente."
                ),
                today=today,
            )
        )
    if LIVORNO_TITLE not in existing:
        signed = datetime.date(2017, 7, 14)
        created.append(
            agreement_create(
                actor=None,  # outside the coordinator's zone: recorded by the system
                title=LIVORNO_TITLE,
                kind=Agreement.Kind.PROTOCOL,
                reference="Conferenza zonale dei sindaci, D. n. 5 del 30/06/2017",
                signed_on=signed,
                valid_from=signed,
                valid_until=datetime.date(2020, 7, 13),  # three years from the signature
                renewable=True,
                renewal_terms=(
                    "Rinnovabile per un ulteriore ed uguale periodo di tempo, previa adozione di "
                    "apposito atto espresso da parte dei soggetti firmatari."
                ),
                parties=[
                    PartySpec(
                        organisations["COM-LIVORNO"],
                        role="Comune capofila della Zona Livornese (servizi sociali)",
                        shared_parts=(*WORK_PATHWAY, CasePart.CONTACTS, CasePart.BENEFITS),
                    ),
                    PartySpec(
                        organisations["CPI-LI"],
                        role="Centro per l'Impiego",
                        shared_parts=(*WORK_PATHWAY, CasePart.BENEFITS),
                    ),
                ],
                notes="Per le azioni di competenza ogni amministrazione utilizza risorse interne.",
                today=today,
            )
        )
    coop = Organisation.objects.filter(code=COOP).first()
    if EXPIRING_TITLE not in existing and coop is not None:
        start = today - datetime.timedelta(days=365 * 2 - 40)
        created.append(
            agreement_create(
                actor=coordinator,
                title=EXPIRING_TITLE,
                kind=Agreement.Kind.CONVENTION,
                signed_on=start - datetime.timedelta(days=10),
                valid_from=start,
                valid_until=today + datetime.timedelta(days=40),
                renewable=True,
                renewal_terms="Rinnovabile di un anno con determinazione del direttore.",
                parties=[
                    PartySpec(lead, role="Committente", shared_parts=(CasePart.REGISTRY,)),
                    PartySpec(
                        coop,
                        role="Ente gestore",
                        amount=Decimal("48500.00"),
                        shared_parts=(CasePart.REGISTRY, CasePart.CONTACTS),
                    ),
                ],
                today=today,
            )
        )
    cpi = Organisation.objects.filter(code=CPI_PISA).first()
    if PISA_CPI_TITLE not in existing and cpi is not None:
        start = today - datetime.timedelta(days=300)
        created.append(
            agreement_create(
                actor=coordinator,
                title=PISA_CPI_TITLE,
                kind=Agreement.Kind.PROTOCOL,
                signed_on=start - datetime.timedelta(days=15),
                valid_from=start,
                valid_until=start + datetime.timedelta(days=365 * 3 - 1),
                renewable=True,
                renewal_terms="Rinnovabile per ulteriori tre anni con atto espresso delle parti.",
                parties=[
                    PartySpec(lead, role="Capofila", shared_parts=(CasePart.REGISTRY,)),
                    PartySpec(
                        cpi,
                        role="Centro per l'Impiego",
                        shared_parts=(
                            CasePart.REGISTRY,
                            CasePart.INTAKE,
                            CasePart.PLAN,
                            CasePart.INTERVENTIONS,
                        ),
                    ),
                ],
                notes=(
                    "Il Centro per l'Impiego consulta l'anagrafica, la scheda di accesso, il "
                    "progetto e gli interventi delle prese in carico della SdS, con il consenso "
                    "della persona alla condivisione nella rete."
                ),
                today=today,
            )
        )
    return created
