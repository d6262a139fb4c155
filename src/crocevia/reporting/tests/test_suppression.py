"""Issue 15, item 6: the "<3" masking cannot be undone by subtraction.

A reader of the masked report (a monitoring officer) sees the page, the XLSX and the PDF.
From what each of them writes, the test builds what a careful reader knows: every shown
number is a constant, every "<3" an unknown from 0 to 2 (from 1 for a country of the top
list), every "n.d." an unknown (at least 3 in a breakdown by citizenship, whose smaller
counts are "<3"); and the relations the tables carry:
- the citizenship groups add up to the persons served (a key figure, and the total of
  the breakdown by sex, which adds up too); those taken in charge likewise;
- Italy in the top list is the group IT; the listed countries of a group add up to at most
  the group, exactly when the list is shorter than five and does not say that small
  citizenships are left out; the list is in order, most persons first, ties by code.
Then it tries to solve every hidden cell twice: exact linear algebra over the fractions
(an unknown whose unit vector lies in the row space of the equalities is determined) and
the bounds attack (every integer solution within the bounds, by enumeration: a hidden cell
with one possible value is disclosed). It also checks the protection interval: a relation
whose total is shown hides at least 3 persons in its hidden parts.

On a dataset with the small counts placed to trigger each case (the issue's 574 = 14 + 29
+ 531 + "<3", two "<3" adding up to 1, two countries of one each in a group "<3", a
complementary cell of exactly 3, a total under 3) and on the demo.
"""

import datetime
import io
import re
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from openpyxl import load_workbook
from pypdf import PdfReader

from crocevia.accounts.models import Profile
from crocevia.cases.models import NeedClass, Stage
from crocevia.desk.models import DeskService
from crocevia.network.models import Organisation, Zone
from crocevia.reporting import suppression
from crocevia.reporting.indicators import EU_COUNTRIES, Scope, build_report
from crocevia.reporting.tables import report_sections
from crocevia.reporting.xlsx import HEADER_ROW
from crocevia.testing import (
    DeskFactory,
    OrganisationFactory,
    PersonFactory,
    fetch_prepared,
    make_case,
    make_member,
)

from .conftest import _contact
from .test_four_ways import _Tables

D = datetime.date
YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}
GROUPS = ("IT", "EU", "non_EU", "unknown")
TOP = 5
BELOW = 3
# The tables the relations tie together, by key.
KEYS = (
    "desk",
    "desk.persons_by_sex",
    "desk.persons_by_citizenship_group",
    "desk.top_citizenships",
    "desk.outcomes",
    "cases",
    "cases.by_citizenship_group",
    "cases.by_need_class",
)


# --- reading what each output writes ---------------------------------------------------------

_TOKEN = r"(<3|n\.d\.|—|\d{1,3}(?:\.\d{3})*(?:,\d+)?(?: %)?)"


def _value(text):
    """A cell as written: an int, "<3", "n.d." or None."""
    if text is None or text in ("", "—"):
        return None
    if isinstance(text, int | float):
        return int(text)
    text = " ".join(str(text).split())
    if text in ("<3", "n.d."):
        return text
    return int(text.replace(".", ""))


def _layout(report):
    with translation.override("it"):
        return {t.key: t for s in report_sections(report, mask=False) for t in s.tables}


def _from_page(client, query, layout) -> dict:
    response = client.get(reverse("reporting:report"), query)
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.content.decode())
    content = response.content.decode()
    shown = {}
    for key in KEYS:
        rows = parser.tables[layout[key].anchor][1:]
        shown[key] = [[row[0], _value(row[1])] for row in rows]
    shown["omitted"] = _omission_note() in content
    shown["explained"] = escape(_withheld_note()) in content
    return shown


def _from_xlsx(client, query, layout) -> dict:
    asked = client.get(reverse("reporting:export", args=["xlsx"]), query)
    data = fetch_prepared(client, asked).getvalue()
    book = load_workbook(io.BytesIO(data))
    sheets = {ws["A1"].value: ws for ws in book.worksheets[1:]}
    shown = {"omitted": False}
    texts = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    shown["explained"] = _withheld_note() in texts
    for key in KEYS:
        ws = sheets[layout[key].title]
        rows, r = [], HEADER_ROW + 1
        while ws.cell(row=r, column=1).value is not None:
            rows.append([ws.cell(row=r, column=1).value, _value(ws.cell(row=r, column=2).value)])
            r += 1
        shown[key] = rows
        notes = [ws.cell(row=i, column=1).value for i in range(r, r + 5)]
        if key == "desk.top_citizenships":
            shown["omitted"] = any(_omission_note() in (n or "") for n in notes)
    return shown


def _from_pdf(client, query, layout, plain_labels) -> dict:
    asked = client.get(reverse("reporting:export", args=["pdf"]), query)
    data = fetch_prepared(client, asked).getvalue()
    pages = PdfReader(io.BytesIO(data)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    titles = [" ".join(t.title.split()) for t in layout.values()]
    shown = {"omitted": " ".join(_omission_note().split()) in text}
    shown["explained"] = " ".join(_withheld_note().split()) in text
    for key in KEYS:
        title = " ".join(layout[key].title.split())
        start = text.index(title) + len(title)
        ends = [text.find(t, start) for t in titles if text.find(t, start) > 0]
        segment = text[start : min(ends) if ends else len(text)]
        rows = []
        for label in plain_labels[key]:
            found = re.search(re.escape(" ".join(label.split())) + " " + _TOKEN, segment)
            if found:
                rows.append([label, _value(found.group(1))])
        shown[key] = rows
    return shown


def _withheld_note() -> str:
    with translation.override("it"):
        return translation.gettext(
            "“%(shown)s” means a figure hidden so that the counts below %(n)s cannot be "
            "worked out from the totals and the other figures: it may be any number."
        ) % {"shown": "n.d.", "n": BELOW}


def _omission_note() -> str:
    with translation.override("it"):
        return translation.gettext("Citizenships of fewer than %(n)s persons are not listed.") % {
            "n": BELOW
        }


# --- what a reader knows ---------------------------------------------------------------------


class Reader:
    """Unknowns with their bounds, constants, and linear relations between named figures."""

    def __init__(self):
        self.known: dict[str, int] = {}
        self.bounds: dict[str, list] = {}
        self.equal: list[tuple[dict, int]] = []
        self.at_most: list[tuple[dict, int]] = []

    def see(self, name, value, *, breakdown=False, floor=0):
        if isinstance(value, int):
            assert self.known.setdefault(name, value) == value, name
            return
        assert value in ("<3", "n.d."), (name, value)
        if value == "<3":
            lo, hi = floor, BELOW - 1
        else:
            lo, hi = (max(floor, BELOW) if breakdown else floor), None
        old = self.bounds.setdefault(name, [lo, hi])
        old[0] = max(old[0], lo)
        old[1] = hi if old[1] is None else (old[1] if hi is None else min(old[1], hi))

    def relate(self, terms: dict, rhs: int = 0, *, equal: bool = True):
        (self.equal if equal else self.at_most).append((terms, rhs))

    def unknowns(self) -> list[str]:
        return [n for n in self.bounds if n not in self.known]

    def _reduced(self, relations):
        out = []
        for terms, rhs in relations:
            rest = rhs - sum(c * self.known[n] for n, c in terms.items() if n in self.known)
            out.append(({n: c for n, c in terms.items() if n not in self.known}, rest))
        return out

    def solved_by_algebra(self) -> set:
        """Unknowns whose unit vector lies in the row space of the equalities (fractions)."""
        names = self.unknowns()
        rows = [[Fraction(t.get(n, 0)) for n in names] for t, _r in self._reduced(self.equal) if t]
        base = _rank(rows)
        solved = set()
        for i, name in enumerate(names):
            unit = [Fraction(int(j == i)) for j in range(len(names))]
            if _rank([*rows, unit]) == base:
                solved.add(name)
        return solved

    def values(self, cap: int) -> dict:
        """{unknown: the values it takes over the integer solutions} (stops at two each),
        by enumeration, one connected group of unknowns at a time."""
        bounds = {n: (lo, cap if hi is None else hi) for n, (lo, hi) in self.bounds.items()}
        equal = [(t, r) for t, r in self._reduced(self.equal) if t]
        at_most = [(t, r) for t, r in self._reduced(self.at_most) if t]
        for terms, rhs in self._reduced(self.equal):
            assert terms or rhs == 0, "the shown figures contradict each other"
        for terms, rhs in self._reduced(self.at_most):
            assert terms or rhs >= 0, "the shown figures contradict each other"
        seen = {}
        for component in _components(self.unknowns(), equal + at_most):
            inside = set(component)
            seen.update(
                _enumerate(
                    sorted(component, key=lambda n: (self.bounds[n][1] is None, n)),
                    bounds,
                    [(t, r) for t, r in equal if set(t) <= inside],
                    [(t, r) for t, r in at_most if set(t) <= inside],
                )
            )
        return seen


def _components(names, relations) -> list[list[str]]:
    parent = {n: n for n in names}

    def root(n):
        while parent[n] != n:
            n = parent[n]
        return n

    for terms, _rhs in relations:
        first, *others = list(terms)
        for other in others:
            parent[root(other)] = root(first)
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(root(n), []).append(n)
    return list(groups.values())


def _enumerate(names, bounds, equal, at_most) -> dict:
    seen = {n: set() for n in names}

    def done():
        return all(len(v) > 1 for v in seen.values())

    def search(assigned):
        assigned = dict(assigned)
        changed = True
        while changed:
            changed = False
            for terms, rhs in equal:
                free = [n for n in terms if n not in assigned]
                rest = rhs - sum(c * assigned[n] for n, c in terms.items() if n in assigned)
                if not free:
                    if rest != 0:
                        return
                elif len(free) == 1:
                    n = free[0]
                    if rest % terms[n]:
                        return
                    v = rest // terms[n]
                    if not bounds[n][0] <= v <= bounds[n][1]:
                        return
                    assigned[n] = v
                    changed = True
        for terms, rhs in at_most:
            complete = all(n in assigned for n in terms)
            if complete and sum(c * assigned[n] for n, c in terms.items()) > rhs:
                return
        free = [n for n in names if n not in assigned]
        if not free:
            for n, v in assigned.items():
                seen[n].add(v)
            return
        n = free[0]
        for v in range(bounds[n][0], bounds[n][1] + 1):
            search({**assigned, n: v})
            if done():
                return

    search({})
    return seen


def _rank(rows) -> int:
    rows = [list(r) for r in rows]
    rank, width = 0, len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def _group_of(code: str) -> str:
    if code == "IT":
        return "IT"
    return "EU" if code in EU_COUNTRIES else ("non_EU" if code else "unknown")


def _code(label: str) -> str:
    return re.search(r"\(([A-Z]{2})\)$", label).group(1)


def read(shown: dict, labels: dict) -> Reader:
    """What a reader knows from one output, as `Reader` relations."""
    reader = Reader()
    key_rows = dict(shown["desk"])
    reader.see("desk.persons", key_rows[labels["desk.persons"]])
    # The persons served are at most the contacts, which the outcomes add up to.
    reader.see("desk.contacts", key_rows[labels["desk.contacts"]])
    reader.relate({"desk.persons": 1, "desk.contacts": -1}, 0, equal=False)
    outcomes = shown["desk.outcomes"]
    for label, value in outcomes[:-1]:
        reader.see(f"outcome.{label}", value)
    reader.see("desk.contacts", outcomes[-1][1])
    reader.relate(
        {**{f"outcome.{label}": 1 for label, _v in outcomes[:-1]}, "desk.contacts": -1},
        0,
        equal=False,  # a contact may have no outcome recorded
    )
    sexes = shown["desk.persons_by_sex"]
    for label, value in sexes[:-1]:
        reader.see(f"sex.{label}", value)
    reader.see("desk.persons", sexes[-1][1])
    reader.relate({**{f"sex.{label}": 1 for label, _v in sexes[:-1]}, "desk.persons": -1})
    desk_groups = shown["desk.persons_by_citizenship_group"]
    for group, (_label, value) in zip(GROUPS, desk_groups, strict=True):
        reader.see(f"desk.{group}", value, breakdown=True)
    reader.relate({**{f"desk.{g}": 1 for g in GROUPS}, "desk.persons": -1})
    top = [(_code(label), value) for label, value in shown["desk.top_citizenships"]]
    names = []
    for code, value in top:
        name = "desk.IT" if code == "IT" else f"desk.top.{code}"
        reader.see(name, value, breakdown=True, floor=1)
        names.append((name, code))
    complete = len(top) < TOP and not shown["omitted"]
    if complete and "desk.IT" not in dict(names):
        reader.relate({"desk.IT": 1}, 0)  # Italy is not in a complete list: the group is 0
    for group in ("EU", "non_EU"):
        parts = {name: 1 for name, code in names if _group_of(code) == group}
        reader.relate({**parts, f"desk.{group}": -1}, 0, equal=complete)
    for (first, code), (second, next_code) in zip(names, names[1:], strict=False):
        reader.relate({second: 1, first: -1}, -1 if code > next_code else 0, equal=False)

    case_rows = dict(shown["cases"])
    reader.see("cases.taken", case_rows[labels["cases.taken"]])
    for group, (_label, value) in zip(GROUPS, shown["cases.by_citizenship_group"], strict=True):
        reader.see(f"cases.{group}", value, breakdown=True)
    reader.relate({**{f"cases.{g}": 1 for g in GROUPS}, "cases.taken": -1})
    # The persons taken in charge are at most the cases pre-assessed (by need class).
    needs = shown["cases.by_need_class"]
    for label, value in needs:
        reader.see(f"need.{label}", value)
    reader.relate(
        {"cases.taken": 1, **{f"need.{label}": -1 for label, _v in needs}}, 0, equal=False
    )
    return reader


def _truth(values: dict) -> dict:
    truth = {"desk.persons": values["desk.persons"], "cases.taken": values["cases.taken_in_charge"]}
    for g in GROUPS:
        truth[f"desk.{g}"] = values["desk.persons_by_citizenship_group"][g]
        truth[f"cases.{g}"] = values["cases.by_citizenship_group"][g]
    for code, n in values["desk.top_citizenships"]:
        if code != "IT":
            truth[f"desk.top.{code}"] = n
    return truth


def disclosures(shown: dict, report: dict) -> list[str]:
    """What a reader can work out of one output: [description]."""
    layout = _layout(report)
    with translation.override("it"):
        labels = {
            "desk.persons": translation.gettext("Persons served"),
            "desk.contacts": translation.gettext("Contacts"),
            "cases.taken": translation.gettext("Persons taken in charge"),
        }
    assert set(dict(layout["desk"].rows)) >= {labels["desk.persons"]}
    values = report["indicators"]
    reader = read(shown, labels)
    truth = _truth(values)
    sex_labels = [row[0] for row in layout["desk.persons_by_sex"].rows[:-1]]
    for label, sex in zip(sex_labels, values["desk.persons_by_sex"], strict=True):
        truth[f"sex.{label}"] = values["desk.persons_by_sex"][sex]
    truth["desk.contacts"] = values["desk.contacts"]
    outcome_labels = [row[0] for row in layout["desk.outcomes"].rows[:-1]]
    for label, outcome in zip(outcome_labels, values["desk.outcomes"], strict=True):
        truth[f"outcome.{label}"] = values["desk.outcomes"][outcome]
    need_labels = [row[0] for row in layout["cases.by_need_class"].rows]
    for label, need in zip(need_labels, values["cases.by_need_class"], strict=True):
        truth[f"need.{label}"] = values["cases.by_need_class"][need]
    # What is shown is true, and no count under 3 of a breakdown is shown.
    for name, value in reader.known.items():
        assert truth[name] == value, name
        breakdown = name.split(".")[-1] in GROUPS or name.startswith("desk.top.")
        assert not (breakdown and value < BELOW), name
    for name, (lo, hi) in reader.bounds.items():
        assert lo <= truth[name] and (hi is None or truth[name] <= hi), name
    found = [f"{n} by linear algebra" for n in sorted(reader.solved_by_algebra())]
    cap = 2 * max([*truth.values(), BELOW]) + 10
    for name, seen in reader.values(cap).items():
        assert seen, name  # the truth is a solution
        if len(seen) == 1:
            found.append(f"{name} = {truth[name]} by the bounds")
    # The protection interval: a relation hides 0 or ≥ 3 persons, whether its total is
    # shown or only bounded by what is shown (persons served ≤ contacts; taken in charge ≤
    # the cases by need class).
    needs = [n for n in truth if n.startswith("need.")]
    bounds = {
        "desk.persons": reader.known.get("desk.contacts"),
        "cases.taken": sum(reader.known[n] for n in needs)
        if all(n in reader.known for n in needs)
        else None,
    }
    for total, parts in (
        ("desk.persons", [f"desk.{g}" for g in GROUPS]),
        ("cases.taken", [f"cases.{g}" for g in GROUPS]),
    ):
        hidden = [p for p in parts if p not in reader.known]
        if total in reader.known and hidden and sum(truth[p] for p in hidden) < BELOW:
            found.append(f"{total}: the hidden parts add up to {sum(truth[p] for p in hidden)}")
        upper = bounds[total]
        if total not in reader.known and hidden and upper is not None and upper < BELOW:
            found.append(f"{total}: hidden, but at most {upper} by the other figures")
    return found


# --- the data --------------------------------------------------------------------------------


# Per organisation: the persons served at its desk as (citizenship, sex, count), and the
# persons taken in charge as (citizenship, count).
PLACED = {
    # The issue: 574 = 14 + 29 + 531 + "<3" (scaled down): the unknown group is 0.
    "SUB": ([("IT", "F", 20), ("RO", "M", 5), ("MA", "F", 4)], [("IT", 6), ("MA", 4)]),
    # Two "<3" adding up to 1 from the total.
    "ONE": ([("IT", "M", 10), ("PL", "F", 1), ("AL", "M", 6)], [("IT", 5), ("", 1)]),
    # Two countries of one person each in a group "<3": the group is 2, each 1.
    "TWO": ([("IT", "F", 8), ("RO", "M", 1), ("BG", "F", 1), ("MA", "M", 5)], [("IT", 4)]),
    # The smallest complementary cell is exactly 3 beside a 0.
    "THR": ([("IT", "M", 12), ("FR", "F", 3), ("SN", "M", 7)], [("IT", 3), ("FR", 3), ("SN", 3)]),
    # A total under 3.
    "TNY": ([("IT", "M", 1), ("MA", "F", 1)], [("MA", 1)]),
}


@pytest.fixture
def placed(actors):
    DeskService.objects.get_or_create(code="information", defaults={"name": "information"})
    zone = Zone.objects.create(code="ZSM", name="Zona dei piccoli numeri")
    for code, (served, taken) in PLACED.items():
        org = OrganisationFactory(code=code, name=f"Ente {code}", zone=zone)
        desk = DeskFactory(code=f"D-{code}", organisation=org)
        for citizenship, sex, count in served:
            for _i in range(count):
                person = PersonFactory(sex=sex, citizenship=citizenship)
                _contact(person, desk, D(2025, 5, 5), ["information"])
        for citizenship, count in taken:
            for _i in range(count):
                make_case(
                    actors,
                    stage=Stage.PREASSESSED,
                    need_class=NeedClass.SOCIAL,
                    person=PersonFactory(sex="F", citizenship=citizenship),
                    organisation=org,
                    opened_by=actors.admin,
                    preassess=False,
                    referred_on=D(2025, 3, 1),
                    preassessed_on=D(2025, 3, 10),
                )
    region = OrganisationFactory(code="RT", name="Regione Toscana", kind="region", zone=None)
    return make_member("monitoraggio.regione", region, Profile.MONITORING_OFFICER)


def _scopes():
    yield {"zone": "ZSM"}
    for code in PLACED:
        yield {"organisation": code}


def _scope(query) -> Scope:
    if "zone" in query:
        return Scope(zone=Zone.objects.get(code=query["zone"]))
    if "organisation" in query:
        return Scope(organisation=Organisation.objects.get(code=query["organisation"]))
    return Scope()


def _every_output(client, query, report) -> dict:
    layout = _layout(report)
    plain_labels = {key: [row[0] for row in layout[key].rows] for key in KEYS}
    return {
        "page": _from_page(client, query, layout),
        "xlsx": _from_xlsx(client, query, layout),
        "pdf": _from_pdf(client, query, layout, plain_labels),
    }


def _attack(client, query, start, end) -> tuple[list[str], int]:
    """What a reader works out of the page, the XLSX and the PDF of one scope, and how
    many cells they hide."""
    report = build_report(start, end, _scope(query))
    found, hidden = [], 0
    outputs = _every_output(client, query, report)
    for output, shown in outputs.items():
        # The three outputs, each computed by its own request, write the same cells (the
        # PDF's rows as far as they are found): the masks do not depend on the run.
        if output != "pdf":
            assert shown == outputs["page"], output
        found += [f"{output} {query}: {d}" for d in disclosures(shown, report)]
        withheld = any(cell == "n.d." for key in KEYS for row in shown[key] for cell in row)
        # "n.d." is explained where it is shown (the note says it may be any number).
        assert shown["explained"] == withheld, (output, query)
        hidden += sum(
            1 for key in KEYS for row in shown[key] for cell in row if cell in ("<3", "n.d.")
        )
    return found, hidden


@pytest.mark.django_db
def test_no_masked_cell_of_the_placed_small_counts_can_be_worked_out(placed, client):
    client.force_login(placed)
    found, hidden = [], 0
    for scope in _scopes():
        disclosed, n = _attack(client, {**YEAR_2025, **scope}, D(2025, 1, 1), D(2025, 12, 31))
        found, hidden = found + disclosed, hidden + n
    assert hidden > 0
    assert not found, "\n".join(found)


@pytest.mark.django_db
def test_no_masked_cell_of_the_demo_can_be_worked_out(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", stdout=StringIO())
    region = Organisation.objects.filter(kind="region").first()
    officer = make_member("monitoraggio.test", region, Profile.MONITORING_OFFICER)
    client.force_login(officer)
    today = timezone.localdate()
    start = D(today.year, 1, 1)
    found, hidden = [], 0
    queries = [{}] + [{"zone": z.code} for z in Zone.objects.order_by("code")]
    queries += [{"organisation": o.code} for o in Organisation.objects.exclude(kind="region")]
    for query in queries:
        period = {"from": start.isoformat(), "to": today.isoformat()}
        disclosed, n = _attack(client, {**period, **query}, start, today)
        found, hidden = found + disclosed, hidden + n
    assert hidden > 0  # the demo has small counts to mask
    assert not found, "\n".join(found)


def test_the_reader_solves_the_issue_example():
    """The attack itself: "Persone servite" 574 with 14 + 29 + 531 shown gives the "<3"."""
    reader = Reader()
    reader.see("total", 574)
    for name, value in (("a", 14), ("b", 29), ("c", 531), ("d", "<3")):
        reader.see(name, value, breakdown=True)
    reader.relate({"a": 1, "b": 1, "c": 1, "d": 1, "total": -1})
    assert reader.solved_by_algebra() == {"d"}
    assert reader.values(cap=1200) == {"d": {0}}
    # Two "<3" adding up to 1 are not pinned one by one, but they are by a country listed.
    reader = Reader()
    reader.see("total", 10)
    for name, value in (("a", 9), ("b", "<3"), ("c", "<3")):
        reader.see(name, value, breakdown=True)
    reader.relate({"a": 1, "b": 1, "c": 1, "total": -1})
    assert reader.values(cap=30) == {"b": {0, 1}, "c": {0, 1}}
    reader.see("ro", "<3", floor=1)
    reader.relate({"ro": 1, "b": -1}, 0, equal=False)
    assert reader.values(cap=30) == {"b": {1}, "c": {0}, "ro": {1}}
    # A withheld cell of a breakdown is at least 3.
    reader = Reader()
    reader.see("total", 15)
    for name, value in (("a", 12), ("b", "n.d."), ("c", "<3")):
        reader.see(name, value, breakdown=True)
    reader.relate({"a": 1, "b": 1, "c": 1, "total": -1})
    assert reader.values(cap=40) == {"b": {3}, "c": {0}}


def test_a_proof_that_runs_out_of_budget_withholds_the_whole_component(monkeypatch):
    figures = [
        suppression.Figure("total", 40, False, 0),
        *(suppression.Figure(f"g{i}", v, True, 0) for i, v in enumerate((1, 13, 14, 12))),
        suppression.Figure("elsewhere", 7, False, 0),  # another component: untouched
    ]
    relations = [suppression.additive("total", [f"g{i}" for i in range(4)])]
    proved = suppression.protect(figures, relations)
    assert proved["g0"] == suppression.PRIMARY
    assert list(proved.values()).count(suppression.SHOWN) >= 2  # the proof kept some shown
    monkeypatch.setattr(suppression, "SEARCH_BUDGET", 0)
    gave_up = suppression.protect(figures, relations)
    assert gave_up["g0"] == suppression.PRIMARY
    assert all(gave_up[k] == suppression.WITHHELD for k in ("total", "g1", "g2", "g3"))
    assert gave_up["elsewhere"] == suppression.SHOWN
