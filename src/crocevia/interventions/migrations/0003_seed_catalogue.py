"""Seed the intervention catalogue from the seeds (Italian names are data).

Sources: seed 002 (Pistoia poverty plan), table 8 "Interventi previsti all'interno dei
progetti personalizzati" and actions a4–h4; seed 004 (Livorno protocol), the services of
the Comuni, of the CPI and the training/service vouchers.
"""

from django.db import migrations

# (code, name, provider kind, position)
CATALOGUE = [
    ("tirocinio", "Tirocinio extracurricolare", "cpi", 10),
    ("tirocinio-inclusione", "Tirocinio di inclusione sociale", "third_sector", 20),
    ("work-experience", "Work experience (stage propedeutico in ambiente di lavoro)", "comune", 30),
    ("voucher-formativo", "Voucher formativo o di servizio", "cpi", 40),
    ("formazione", "Formazione dei beneficiari", "third_sector", 50),
    ("orientamento-cpi", "Orientamento alla ricerca attiva di lavoro", "cpi", 60),
    ("lab-orientamento", "Laboratorio di orientamento al lavoro", "third_sector", 70),
    ("lab-informatica", "Laboratorio di alfabetizzazione informatica", "third_sector", 80),
    ("italiano-l2", "Corso di italiano L2", "cpia", 90),
    ("alfabetizzazione", "Servizi di alfabetizzazione per famiglie immigrate", "third_sector", 100),
    ("socio-educativo-domiciliare", "Sostegno socio-educativo domiciliare", "third_sector", 110),
    (
        "educativa-territoriale",
        "Assistenza educativa territoriale (requisiti di occupabilità e inclusione)",
        "third_sector",
        120,
    ),
    (
        "mediazione-familiare",
        "Sostegno alla genitorialità e mediazione familiare",
        "third_sector",
        130,
    ),
    ("mediazione-culturale", "Mediazione interculturale", "third_sector", 140),
    ("assistenza-domiciliare", "Assistenza domiciliare socio-assistenziale", "third_sector", 150),
    ("seus", "Servizio di pronto intervento sociale (SEUS)", "sds", 160),
    ("prossimita", "Servizi di prossimità", "third_sector", 170),
    ("prevenzione-dipendenze", "Attività di prevenzione delle dipendenze", "third_sector", 180),
    ("cantieri-sociali", "Cantieri sociali", "third_sector", 190),
    ("counseling", "Counseling professionale per l'empowerment", "comune", 200),
    ("assistenza-economica", "Assistenza economica", "comune", 210),
]


def seed(apps, schema_editor):
    InterventionType = apps.get_model("interventions", "InterventionType")
    for code, name, provider_kind, position in CATALOGUE:
        InterventionType.objects.update_or_create(
            code=code,
            defaults={"name": name, "provider_kind": provider_kind, "position": position},
        )


def unseed(apps, schema_editor):
    InterventionType = apps.get_model("interventions", "InterventionType")
    Intervention = apps.get_model("interventions", "Intervention")
    used = set(Intervention.objects.values_list("type__code", flat=True))
    InterventionType.objects.filter(code__in=[c[0] for c in CATALOGUE]).exclude(
        code__in=used
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("interventions", "0002_provider_kind_choices")]

    operations = [migrations.RunPython(seed, unseed)]
