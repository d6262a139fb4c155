#!/usr/bin/env python
"""Time and peak memory until an import refuses a decompression bomb (issue 15, item 9).

Not a test: it builds the issue's two bombs (and three more files) in a temporary
directory, then, for each, opens it in a fresh process exactly as every import does
(`crocevia.interchange.reader.open_table`: the limits, then openpyxl) and prints the
outcome, the seconds from the call to the refusal, and the process's peak resident
memory (VmHWM of /proc/self/status) beside the same process's memory before the call.
The first two are run again with the ZIP checks loosened (LOOSE_ZIP), to time the
streamed checks behind them. The target of the issue: refused within 2 s and 200 MB,
with the settings' default limits.

    PYTHONPATH=src .venv/bin/python bench/bombs.py [--keep DIR]

The files:
- rows: 12.5 million rows in a small XLSX (the issue's: 1.8 MB, 172 s and 1.16 GB
  before an error);
- string: one shared string of 400 MB in a 390 KB XLSX (the issue's: 870 MB);
- scan: 600,000 rows that compress only ~10 times, so that the ZIP's ratio and size pass
  and the streamed row count has to refuse it;
- worst: as much as the ZIP checks let through (just under 100 MB of sheet, compressing
  ~10 times), refused only by a cell of 400,000 characters at its very end: the longest
  any file within the default limits can take before it is refused;
- legit: 200,000 contacts as openpyxl writes them (85 MB of sheet XML): accepted; the
  time is what the checks add to the largest import of bench/import.py.
"""

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CHILD = r"""
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
import django
django.setup()
from django.utils import translation
from crocevia.interchange.errors import FileError
from crocevia.interchange.kinds import get_kind
from crocevia.interchange.reader import open_table
translation.activate("it")
kind = get_kind(sys.argv[2])
def high_water():
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec (the parent's, here).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
before = high_water()
started = time.monotonic()
try:
    table = open_table(sys.argv[1], kind.columns)
    outcome = "accepted"
    table.close()
except FileError as exc:
    outcome = exc.code + ": " + exc.message
seconds = time.monotonic() - started
peak = high_water()
print(json.dumps({"outcome": outcome, "seconds": seconds, "before_mb": before / 1024,
                  "peak_mb": peak / 1024}))
"""


def build(directory: Path) -> list[tuple[str, Path, str]]:
    import openpyxl

    from crocevia.interchange.tests import bombs

    territory = ["zone_code", "zone_name", "comune_istat", "comune_name", "province", "population"]
    files = []

    rows = directory / "righe.xlsx"
    count = 12_500_000
    block = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 10_000
    body = (block for _ in range(count // 10_000))
    bombs.workbook(rows, bombs._chain(bombs.header_row(territory), body))
    files.append((f"rows ({count:,} rows)", rows, "territory"))

    string = bombs.huge_shared_string(directory / "stringa.xlsx", 400 * 1024 * 1024, territory)
    files.append(("string (one 400 MB shared string)", string, "territory"))

    rng = random.Random(15)
    scan = directory / "scansione.xlsx"
    noisy = (
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{rng.getrandbits(64):x}</t></is></c>'
        f"</row>".encode()
        for n in range(2, 600_002)
    )
    bombs.workbook(scan, bombs._chain(bombs.header_row(territory), noisy))
    files.append(("scan (600,000 rows, ratio ~10)", scan, "territory"))

    # The worst accepted by the ZIP checks: 100 MB (the default limit) of rows that
    # compress ~10 times, refused only by the cell at its very end.
    worst = directory / "peggiore.xlsx"
    cells = (
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{rng.getrandbits(64):x}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>{rng.getrandbits(64):x}</t></is></c></row>'.encode()
        for n in range(2, 330_000)
    )
    last = b'<row r="330001"><c r="A330001" t="inlineStr"><is><t>' + b"ab" * 200_000
    last += b"</t></is></c></row>"
    bombs.workbook(worst, itertools.chain([bombs.header_row(territory)], cells, [last]))
    files.append(("worst (a long cell after 99 MB)", worst, "territory"))

    legit = directory / "accessi.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("accessi")
    sheet.append(
        ["external_id", "person_external_id", "desk_code", "date", "services", "outcome",
         "referred_to"]
    )  # fmt: skip
    for i in range(200_000):
        sheet.append(
            [f"C{i:07d}", f"P{rng.randrange(50_000):06d}", "D-PISA",
             f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}",
             "job_search;cv_writing", "referred", "CPI-PI"]
        )  # fmt: skip
    book.save(legit)
    files.append(("legit (200,000 contacts)", legit, "contacts"))
    return files


# The ZIP checks out of the way, to see the streamed checks refuse the same bombs.
LOOSE_ZIP = {
    "CROCEVIA_IMPORT_MAX_UNCOMPRESSED_MB": "100000",
    "CROCEVIA_IMPORT_MAX_ZIP_RATIO": "100000",
}


def measure(path: Path, kind: str, **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **extra}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), kind],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="build the files here and keep them")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crocevia.settings")
    os.environ.setdefault("CROCEVIA_INSECURE_DEV_KEY", "1")
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(args.keep or scratch)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        files = build(directory)
        print(f"built {len(files)} files in {time.monotonic() - started:.0f} s")
        runs = [(label, path, kind, {}) for label, path, kind in files]
        runs[2:2] = [(f"{label}, loose ZIP limits", path, kind, LOOSE_ZIP)
                     for label, path, kind in files[:2]]  # fmt: skip
        for label, path, kind, extra in runs:
            result = measure(path, kind, **extra)
            print(
                f"{label:48} {path.stat().st_size / 1024:>7,.0f} KB  "
                f"{result['seconds']:6.3f} s  peak {result['peak_mb']:4.0f} MB "
                f"(before the call {result['before_mb']:.0f} MB)\n    {result['outcome']}"
            )


if __name__ == "__main__":
    main()
