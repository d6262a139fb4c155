"""Files of the interchange format for the tests, and the world of the browser's jobs."""

import io

import openpyxl
from django.utils import translation
from django.utils.translation import gettext

from crocevia.interchange.engine import run_import, write_export
from crocevia.testing import run_queued_jobs

TERRITORY = (
    "zone_code,zone_name,comune_istat,comune_name,province,population\n"
    "ZPI,Zona Pisana,050026,Pisa,PI,90118\n"
    "ZPI,Zona Pisana,050008,Cascina,PI,45212\n"
)
ORGANISATIONS = (
    "code,name,kind,zone_code,comune_istat\n"
    "SDS-PI,Società della Salute Zona Pisana,sds,ZPI,050026\n"
    "CPI-PI,Centro per l'Impiego di Pisa,cpi,ZPI,\n"
    "RT,Regione Toscana,region,,\n"
)
DESKS = (
    "code,organisation_code,name,level,comune_istat,opening_hours\n"
    'D-PISA,SDS-PI,Sportello Pisa,1,050026,"Lunedì 9-12\nGiovedì 15-18"\n'
    "D-CASC,SDS-PI,Sportello Cascina,2,050008,\n"
)
PERSONS = (
    "external_id,family_name,given_names,sex,birth_date,citizenship,birth_country,"
    "codice_fiscale,comune_istat,household_id,languages,needs_mediator,permit_type,"
    "permit_expires_on\n"
    "P1,Rossi,Mario,M,1980-03-15,IT,IT,RSSMRA80C15G702U,050026,H1,it;en,false,,\n"
    "P2,Bianchi,Anna,F,01/02/1990,IT,,BNCNNA90B41G702A,050026,H1,,no,,\n"
    "P3,El Amrani,Youssef,M,1995-07-01,MA,MA,,050008,,ar;fr,sì,work,2030-01-31\n"
)
CONTACTS = (
    "external_id,person_external_id,desk_code,date,services,outcome,referred_to\n"
    "C1,P1,D-PISA,2024-05-02,information,solved,\n"
    "C2,P3,D-CASC,2024-06-10,job_search;cv_writing,referred,CPI-PI\n"
    "C3,P3,D-PISA,10/01/2025,permit_kit,,\n"
)
NETWORK = (("territory", TERRITORY), ("organisations", ORGANISATIONS), ("desks", DESKS))


def write(tmp_path, text, name="file.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(tmp_path, kind, text, **kwargs):
    report = run_import(kind, write(tmp_path, text, f"{kind}.csv"), **kwargs)
    assert report.ok, (report.file_error, report.errors)
    return report


def load_all(tmp_path, upto="contacts"):
    for kind, text in (*NETWORK, ("persons", PERSONS), ("contacts", CONTACTS)):
        load(tmp_path, kind, text)
        if kind == upto:
            return


def export_text(kind, **kwargs) -> str:
    stream = io.BytesIO()
    write_export(kind, stream, **kwargs)
    return stream.getvalue().decode("utf-8")


def xlsx(tmp_path, text, sheet_title="Foglio1", extra_first=False):
    book = openpyxl.Workbook()
    sheet = book.active
    if extra_first:
        sheet.title = "Note"
        sheet.append(["nothing here"])
        sheet = book.create_sheet(sheet_title)
    else:
        sheet.title = sheet_title
    import csv

    for row in csv.reader(io.StringIO(text)):
        sheet.append(row)
    path = tmp_path / "file.xlsx"
    book.save(path)
    return path


def it(msgid: str) -> str:
    """The Italian of a message (what a user reads)."""
    with translation.override("it"):
        return gettext(msgid)


def job_world(settings, base):
    """Browser import jobs as on a server with no disk of its own: VAR_DIR an empty
    directory (nothing may be written there: the caller checks), the files in the
    database (the default storage: the code uses the storage API only), the live
    state in a "jobs" cache of this test's own. `base`: a new directory for these two.
    Returns VAR_DIR."""
    var_dir = base / "var"
    var_dir.mkdir()
    settings.VAR_DIR = var_dir
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(base / "jobs-cache"),
        },
    }
    return var_dir


def run_worker(monkeypatch) -> int:
    """Run the queued jobs with the database backend's own worker, in this process, in
    batch mode (every job ready now, then it returns): how many jobs ran."""
    return run_queued_jobs()


def stored_names(directory: str = "imports") -> list[str]:
    """Every file the default storage holds under `directory`."""
    from django.core.files.storage import default_storage

    folders, files = default_storage.listdir(directory)
    names = [f"{directory}/{name}" for name in files]
    for folder in folders:
        names += stored_names(f"{directory}/{folder}")
    return sorted(names)
