"""Authorisation proved, not assumed (issue 7): every URL of the application, requested
by every role of the demo, for an object the role may and may not see, gets the answer
written in tests/authorisation_matrix.txt.

- A URL name missing from the table, or a row whose URL no longer exists, fails.
- Every request runs in a savepoint rolled back afterwards, so the world stays the same
  for the next one; a refused request (login redirect, 403, 404, 405) must have written
  nothing: no audit event, no row of any table of ours.
- Pages (GET and POST) taking a form get, besides the GET of the table, an empty POST:
  refused exactly as the GET when the GET is refused, never a server error otherwise,
  and refused as the table says when a role may read the page but not send it
  (`GET|POST` cells: the monitoring officer reads the interchange page, never uploads).
- The monitoring officer sees aggregates only: no page it can open shows a person's name
  (nor do its exports, pseudonymised: the sweep runs with a pseudonym key).
- What a meeting says of a case (its minutes and decisions) appears on no page, export or
  PDF of a role that may not see that case (the world's meeting discusses two cases, and
  the CPI consultant is on one team only).

To print the answers the application gives today, in the table's format (to add a row for
a new URL, after checking each answer against the view):
    CROCEVIA_MATRIX_DUMP=/tmp/matrix.txt pytest tests/test_authorisation_matrix.py -k answer
"""

import io
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crocevia.audit.models import AuditEvent
from crocevia.cases.selectors import cases_visible_to
from crocevia.interchange.pseudonym import ENV_KEY
from crocevia.meetings.models import MeetingItem

from .authorisation_world import ROLES, World, build_world

TABLE = Path(__file__).with_name("authorisation_matrix.txt")

# Not ours to prove here: Django's admin (staff only, with its own permission system),
# the language switch (no data) and static files.
SKIPPED_PREFIXES = ("admin/", "static/", "lingua/")
SKIPPED_NAMES = {"set_language"}

# The table's short column names.
ROLE_COLUMNS = {
    "anon": "anonymous",
    "desk": "desk_operator",
    "social": "social_worker",
    "cpi": "cpi_consultant",
    "coord": "coordinator",
    "health": "health_member",
    "monit": "monitoring_officer",
    "admin": "admin",
    "outsider": "outsider",
}
METHODS = {"GET", "FORM", "POST"}
REFUSED = {403, 404, 405}


# --- the URL configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: tuple[str, ...]


def application_routes() -> dict[str, Route]:
    """Every named URL of the application (the resolver walked recursively)."""
    routes: dict[str, Route] = {}

    def walk(resolver, prefix="", namespace=None):
        for entry in resolver.url_patterns:
            pattern = prefix + str(entry.pattern)
            if pattern.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, pattern, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                if name in SKIPPED_NAMES:
                    continue
                converters = getattr(entry.pattern, "converters", {})
                routes[name] = Route(name, pattern, tuple(converters))

    walk(get_resolver())
    return routes


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    objects: tuple[str, ...]  # one per URL keyword argument ("-" for none)
    method: str
    expected: dict  # (role, variant) -> status
    # (role, variant) -> status of the empty POST of a FORM row, where the table gives
    # one (a `GET|POST` cell); elsewhere the POST follows the GET (see _sweep).
    posts: dict = field(default_factory=dict)

    @property
    def variants(self) -> tuple[str, ...]:
        return ("-",) if self.objects == ("-",) else ("mine", "other")


def read_table(path: Path = TABLE) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    header = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        cells = line.split()
        if header is None:
            header = cells
            assert header[:3] == ["url", "object", "method"], header
            assert header[3:] == list(ROLE_COLUMNS), header
            continue
        assert len(cells) == len(header), f"line {number}: {len(cells)} cells: {raw!r}"
        name, objects, method, *answers = cells
        assert method in METHODS, f"line {number}: method {method!r}"
        # A URL's first row is keyed by its name; its other rows (other objects: the
        # agreements' rows) by the name and their objects.
        key = name if name not in rows else f"{name} {objects}"
        assert key not in rows, f"line {number}: {name} {objects} twice"
        row_objects = tuple(objects.split(","))
        expected, posts = {}, {}
        for column, cell in zip(ROLE_COLUMNS.values(), answers, strict=True):
            get_cell, bar, post_cell = cell.partition("|")
            assert not bar or method == "FORM", f"line {number}: {cell!r} in a {method} row"
            expected.update(_statuses(column, get_cell, row_objects, number))
            if bar:
                posts.update(_statuses(column, post_cell, row_objects, number))
        rows[key] = Row(name, row_objects, method, expected, posts)
    return rows


def _statuses(column: str, cell: str, row_objects: tuple, number: int) -> dict:
    """{(role, variant): status} of one cell: one status, or mine/other."""
    parts = cell.split("/")
    if row_objects == ("-",):
        assert len(parts) == 1, f"line {number}: {cell!r} for a URL without object"
        return {(column, "-"): int(parts[0])}
    mine, other = (parts * 2)[:2] if len(parts) == 1 else parts
    return {(column, "mine"): int(mine), (column, "other"): int(other)}


def url_for(route: Route, row: Row, world: World, variant: str) -> str:
    side = world.side(variant)
    kwargs = {}
    assert len(row.objects) == len(route.kwargs) or row.objects == ("-",), (
        f"{route.name}: {len(route.kwargs)} keyword arguments, objects {row.objects}"
    )
    for key, spec in zip(route.kwargs, row.objects, strict=False):
        if spec.startswith("="):
            kwargs[key] = spec[1:]
            continue
        value = side
        for attribute in spec.split("."):
            value = getattr(value, attribute)
        kwargs[key] = value if isinstance(value, int | str) else value.pk
    return reverse(route.name, kwargs=kwargs)


# --- requests -------------------------------------------------------------------------------


def our_models():
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("crocevia.")
        for model in config.get_models()
    ]


def row_counts(models) -> dict[str, int]:
    """Rows of every table of ours, in one query."""
    tables = [model._meta.db_table for model in models]
    quote = connection.ops.quote_name
    # Our own table names, quoted: nothing typed by anyone reaches this SQL.
    counts_sql = ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + counts_sql)
        counts = cursor.fetchone()
    return {model._meta.label: n for model, n in zip(models, counts, strict=True)}


def body_text(response) -> str:
    """What a person could read in the response: HTML, CSV, and the text of PDF and XLSX."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    kind = response.get("Content-Type", "")
    if kind.startswith("application/pdf"):
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            pages = PdfReader(io.BytesIO(content)).pages
            return "\n".join(page.extract_text() or "" for page in pages)
        except PdfReadError:  # not a PDF pypdf reads (the test's agreement document)
            return content.decode("latin-1")
    if "spreadsheetml" in kind:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            " ".join(str(v) for v in row if v is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8", errors="replace")


@dataclass
@dataclass
class Answer:
    status: int | str  # a status code, or the exception a view raised
    location: str = ""
    wrote: str = ""  # what a refused request changed, if anything
    names: tuple = ()  # persons' names the page shows
    health: bool = False  # whether it shows the case's health information
    meeting_texts: tuple = ()  # (case pk, text) of the meetings' minutes and decisions shown


class Requester:
    """One logged-in client per role; each request rolled back once answered."""

    def __init__(self, world: World, *, health_text: str):
        self.world = world
        self.health_text = health_text.lower()
        self.clients: dict[str, Client] = {}
        self.models = our_models()
        self.baseline = row_counts(self.models)
        self.requests = 0
        self.seconds: dict[str, float] = {}
        # What the meetings say about each case discussed (case data: issue 15, item 1).
        self.meeting_texts = [
            (item.case_id, text)
            for item in MeetingItem.objects.all()
            for text in (item.minutes, item.decisions)
            if text
        ]

    def client(self, role: str) -> Client:
        client = self.clients.get(role)
        user = self.world.users[role]
        if client is None:
            client = Client()
            if user is not None:
                client.force_login(user)
            self.clients[role] = client
        return client

    def ask(self, role: str, method: str, url: str) -> Answer:
        client = self.client(role)
        session = client.cookies.get(settings.SESSION_COOKIE_NAME)
        session = session.value if session else None
        self.requests += 1
        started = time.perf_counter()
        with transaction.atomic():
            events = AuditEvent.objects.count()
            try:
                response = getattr(client, method.lower())(url)
            except Exception as error:  # a server error: reported, never expected
                answer = Answer(status=f"{type(error).__name__}: {error}"[:160])
            else:
                answer = Answer(status=response.status_code, location=response.get("Location", ""))
                if answer.status == 200:
                    text = body_text(response).lower()
                    answer.names = tuple(n for n in self.world.names if n.lower() in text)
                    answer.health = self.health_text in text
                    answer.meeting_texts = tuple(
                        (case, t) for case, t in self.meeting_texts if t.lower() in text
                    )
                if _is_refusal(role, answer):
                    if AuditEvent.objects.count() != events:
                        answer.wrote = "an audit event"
                    elif method != "GET":
                        counts = row_counts(self.models)
                        changed = sorted(k for k, v in counts.items() if v != self.baseline[k])
                        if changed:
                            answer.wrote = ", ".join(changed)
            transaction.set_rollback(True)
        path = url.split("?", 1)[0]
        self.seconds[path] = self.seconds.get(path, 0) + time.perf_counter() - started
        # Messages travel in a cookie: none may reach the next request. A request that
        # ended the session (log out) gets a fresh one for the next.
        client.cookies.pop("messages", None)
        now = client.cookies.get(settings.SESSION_COOKIE_NAME)
        if session and (now is None or now.value != session):
            self.clients.pop(role, None)
        return answer


def _is_refusal(role: str, answer: Answer) -> bool:
    if answer.status in REFUSED:
        return True
    return role == "anonymous" and answer.status == 302 and _to_login(answer.location)


def _to_login(location: str) -> bool:
    return location.split("?", 1)[0] == reverse("login")


# --- one sweep: every URL, role and object, once ---------------------------------------------


@dataclass
class Sweep:
    world: World
    answers: dict  # (url name, role, variant, method) -> Answer
    visible_cases: dict  # role -> pks of the cases the role may see (cases_visible_to)
    urls: dict  # (url name, variant) -> URL
    problems: list  # answers that differ from the table, refusals that wrote
    requests: int
    seconds: float
    cpu: float


def _sweep(world: World, rows: dict[str, Row], routes: dict[str, Route]) -> Sweep:
    from crocevia.assessments.models import Intake

    started, cpu = time.perf_counter(), time.process_time()
    health = Intake.objects.get(case=world.mine.case).health_declared
    requester = Requester(world, health_text=health)
    answers, urls, mismatches, writes = {}, {}, [], []
    for name, row in rows.items():
        route = routes[row.name]
        for variant in row.variants:
            url = urls[(name, variant)] = url_for(route, row, world, variant)
            for role in ROLE_COLUMNS.values():
                expected = row.expected[(role, variant)]
                method = "POST" if row.method == "POST" else "GET"
                answer = answers[(name, role, variant, method)] = requester.ask(role, method, url)
                where = f"{name} {method} {url} as {role} ({variant})"
                if answer.status != expected:
                    mismatches.append(f"{where}: expected {expected}, got {answer.status}")
                anonymous_302 = role == "anonymous" and answer.status == 302
                if anonymous_302 and not _to_login(answer.location):
                    mismatches.append(f"{where}: redirected to {answer.location}, not login")
                if answer.wrote:
                    writes.append(f"{where}: refused with {answer.status} but wrote {answer.wrote}")
                if row.method == "POST" and role == "admin":
                    # Only POST is accepted: a GET is refused before anything is looked up.
                    second = requester.ask(role, "GET", url)
                    if second.status != 405:
                        mismatches.append(f"{name} GET {url}: expected 405, got {second.status}")
                if row.method == "FORM":
                    second = answers[(name, role, variant, "POST")] = requester.ask(
                        role, "POST", url
                    )
                    post = f"{name} empty POST {url} as {role} ({variant})"
                    if second.wrote:
                        writes.append(f"{post}: refused with {second.status}, wrote {second.wrote}")
                    if (role, variant) in row.posts:
                        if second.status != row.posts[(role, variant)]:
                            mismatches.append(
                                f"{post}: expected {row.posts[(role, variant)]}, "
                                f"got {second.status}"
                            )
                    elif expected in REFUSED or (role == "anonymous" and expected == 302):
                        if second.status != expected:
                            mismatches.append(
                                f"{post}: the GET is refused with {expected}, "
                                f"the POST got {second.status}"
                            )
                    elif second.status not in (200, 302, 400):
                        mismatches.append(f"{post}: expected a form answer, got {second.status}")
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    print(f"\n{requester.requests} requests in {seconds:.1f} s ({cpu:.1f} s of CPU)")
    slowest = sorted(requester.seconds.items(), key=lambda item: -item[1])[:5]
    print("slowest URLs (s, all roles):", ", ".join(f"{u} {s:.1f}" for u, s in slowest))
    visible = {
        role: set(cases_visible_to(user).values_list("pk", flat=True)) if user else set()
        for role, user in world.users.items()
    }
    return Sweep(
        world, answers, visible, urls, writes + mismatches, requester.requests, seconds, cpu
    )


def _dump(path: str, rows: dict[str, Row], answers: dict) -> None:
    """The answers observed, in the table's format (see the module's docstring)."""
    lines = []
    for name, row in rows.items():
        method = "POST" if row.method == "POST" else "GET"
        cells = []
        for role in ROLE_COLUMNS.values():
            values = [str(answers[(name, role, v, method)].status) for v in row.variants]
            cell = values[0] if len(set(values)) == 1 else "/".join(values)
            if row.method == "FORM":
                # A page the role reads but may not send: GET|POST.
                posts = [answers[(name, role, v, "POST")].status for v in row.variants]
                gets = [int(v) for v in values]
                if any(p in REFUSED and g not in REFUSED for g, p in zip(gets, posts, strict=True)):
                    posts = [str(p) for p in posts]
                    cell += "|" + (posts[0] if len(set(posts)) == 1 else "/".join(posts))
            cells.append(cell)
        lines.append((row.name, ",".join(row.objects), row.method, *cells))
    widths = [max(len(str(c)) for c in column) for column in zip(*lines, strict=True)]
    text = "\n".join(
        " ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
    Path(path).write_text(text + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def sweep(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world built once, every request made once, everything rolled back at the end."""
    # Never the operator's own database: the test one (set up for tests marked django_db).
    name = str(connection.settings_dict["NAME"])
    assert "test" in name or "memory" in name, f"not a test database: {name}"
    routes = application_routes()
    rows = {key: row for key, row in read_table().items() if row.name in routes}
    # Every refusal would be logged with its traceback: thousands of them, all expected.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    overrides = override_settings(
        VAR_DIR=tmp_path_factory.mktemp("var"),  # nothing may be written there
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    # Exports of personal data reach monitoring officers pseudonymised: with a key they
    # download them (200), and the name check reads what they download.
    environment = pytest.MonkeyPatch.context()
    try:
        with environment as env, overrides, django_db_blocker.unblock(), transaction.atomic():
            env.setenv(ENV_KEY, "the authorisation matrix's pseudonym key")
            result = _sweep(build_world(), rows, routes)
            if os.environ.get("CROCEVIA_MATRIX_DUMP"):
                _dump(os.environ["CROCEVIA_MATRIX_DUMP"], rows, result.answers)
            transaction.set_rollback(True)
    finally:
        logger.setLevel(level)
    return result


# --- the tests ------------------------------------------------------------------------------


def test_every_url_has_a_row_and_every_row_a_url():
    routes = application_routes()
    rows = read_table()
    names = {row.name for row in rows.values()}
    missing = sorted(set(routes) - names)
    gone = sorted(names - set(routes))
    assert not missing, "URLs without a row in authorisation_matrix.txt: " + ", ".join(missing)
    assert not gone, "Rows of authorisation_matrix.txt without a URL: " + ", ".join(gone)
    for row in rows.values():
        name = row.name
        if row.objects != ("-",):
            assert len(row.objects) == len(routes[name].kwargs), (
                f"{name}: the object column names {len(row.objects)} objects, "
                f"the URL takes {routes[name].kwargs}"
            )
        else:
            assert not routes[name].kwargs, f"{name}: the URL takes {routes[name].kwargs}"


@pytest.mark.django_db  # the test database is set up only for tests marked so
def test_every_role_gets_the_answer_of_the_table(sweep):
    problems = sweep.problems
    assert not problems, f"{len(problems)} answers differ from the table:\n" + "\n".join(problems)


def _pages(sweep, role):
    """(url name, URL, answer) of every page the role opened (status 200)."""
    for (name, who, variant, _method), answer in sweep.answers.items():
        if who == role and answer.status == 200:
            yield name, sweep.urls[(name, variant)], answer


@pytest.mark.django_db
def test_no_page_shows_a_name_to_the_monitoring_officer(sweep):
    pages = list(_pages(sweep, "monitoring_officer"))
    leaks = [f"{name} {url}: {', '.join(a.names)}" for name, url, a in pages if a.names]
    assert len(pages) >= 10  # the officer's home, network and reports pages at least
    assert not leaks, "Names shown to the monitoring officer:\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_the_name_check_finds_names_in_pages_and_pdfs(sweep):
    """The check above can fail: the same reading finds names where they belong."""
    family_name = sweep.world.mine.person.family_name
    for name in ("people:detail", "plans:pdf"):
        answer = sweep.answers[(name, "social_worker", "mine", "GET")]
        assert answer.status == 200 and family_name in answer.names, name


# Health information of a case: its case manager and the health members of its team only;
# administrators included among those who may not (the person's access report names the
# intake's changed fields, not their content).
HEALTH_READERS = {"social_worker", "health_member"}


@pytest.mark.django_db
def test_health_information_reaches_only_the_case_manager_and_health_members(sweep):
    shown, readers = [], set()
    for role in ROLES:
        for name, url, answer in _pages(sweep, role):
            if answer.health:
                readers.add(role)
                if role not in HEALTH_READERS:
                    shown.append(f"{name} {url} as {role}")
    assert not shown, "Health information shown to:\n" + "\n".join(shown)
    assert readers == HEALTH_READERS  # and those who may read it do find it


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_meeting_minutes_reach_only_who_may_see_their_case(sweep, role):
    """Issue 15, item 1: what a meeting says of a person is case data. On every page, export
    and PDF the role opens (the meeting page, lists, the case page, reports...), the minutes
    and decisions shown are only those of cases the role may see."""
    visible = sweep.visible_cases[role]
    leaks = [
        f"{name} {url}: {text!r} (case {case})"
        for name, url, answer in _pages(sweep, role)
        for case, text in answer.meeting_texts
        if case not in visible
    ]
    assert not leaks, f"Meeting text of cases {role} may not see:\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_the_meeting_text_check_finds_the_minutes_where_they_belong(sweep):
    """The check above can fail: the meeting page shows each case's text to who sees it."""
    mine = sweep.world.mine
    shown = {
        role: {case for case, _t in sweep.answers[key].meeting_texts}
        for role in ROLES
        if (key := ("cases:followup_meeting_detail", role, "mine", "GET")) in sweep.answers
        and sweep.answers[key].status == 200
    }
    assert shown["social_worker"] == {mine.case.pk, mine.referred_case.pk}
    assert shown["cpi_consultant"] == {mine.case.pk}  # on one case's team only
    assert shown["desk_operator"] == set()  # sees the meeting, none of its cases


@pytest.mark.django_db
def test_an_agreement_in_force_shows_the_shared_person_and_case_to_the_cpi(sweep):
    """The agreements' rows can fail: what the CPI consultant opens under the agreement in
    force names the Comune's person; under the expired one it gets nothing."""
    mine = sweep.world.mine
    family_name = mine.shared_in_force.person.family_name
    for key in ("people:detail", "cases:detail", "plans:case"):
        answer = sweep.answers[
            (f"{key} shared_in_force.{_object(key)}", "cpi_consultant", "mine", "GET")
        ]
        assert answer.status == 200 and family_name in answer.names, key
    expired = sweep.answers[("cases:detail shared_expired.case", "cpi_consultant", "mine", "GET")]
    assert expired.status == 404 and not expired.names


def _object(url_name: str) -> str:
    return "person" if url_name.startswith("people:") else "case"
