"""Every page that shows personal data writes its access event (issue 15, item 3): the
privacy authority expects every view logged.

tests/access_events.txt has one row per URL of the application, walked from the URL
configuration as the authorisation matrix does: a URL without a row, or a row without a
URL, fails. Each row states the access events the URL writes, or `none` with the reason.
For every row:

- the URL is requested (GET, or the empty POST of a POST-only URL) as a role that may
  see it, for the objects of zone ZPI ("mine" in tests/authorisation_world.py): the role
  comes from tests/authorisation_matrix.txt, the first of ROLE_PREFERENCE whose answer
  is 200 (or 400: a form shown again); the access events the request wrote must be
  exactly those of the row, by that role, for the right object and person;
- the same URL is requested as a role that may not see it (the same role for the
  objects of zone ZLI where the matrix refuses it, else a role refused outright): it
  must write no event at all.

To print the events the application writes today, in the table's format (to add a row for
a new URL, after checking each event against the page):
    CROCEVIA_ACCESS_DUMP=/tmp/access.txt pytest tests/test_access_events.py -k writes
"""

import ast
import dataclasses
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.test import Client, override_settings

from crocevia.audit.actions import resolve
from crocevia.audit.models import AuditEvent
from crocevia.interchange.pseudonym import ENV_KEY

from .authorisation_world import World, build_world
from .test_authorisation_matrix import (
    REFUSED,
    ROLE_COLUMNS,
    Route,
    Row,
    application_routes,
    read_table,
    url_for,
)

TABLE = Path(__file__).with_name("access_events.txt")

# Who requests a page that may be seen: the first of these the matrix lets see it.
ROLE_PREFERENCE = [
    "social_worker",
    "desk_operator",
    "coordinator",
    "cpi_consultant",
    "health_member",
    "admin",
    "monitoring_officer",
]
SHOWN = {200, 400}  # a page, or a form shown again with its errors


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One access event: what it names, about whom, with which note."""

    action: str
    object_type: str
    object: str  # a Side attribute path ("version"), or "=literal"
    person: str  # a Side attribute path, or "-" for no person
    note: str


@dataclass(frozen=True)
class Entry:
    name: str
    role: str  # who asks ("" = the first of ROLE_PREFERENCE the matrix lets see it)
    query: str
    events: tuple[Expected, ...]
    none_reason: str = ""


def _event(text: str, number: int) -> Expected:
    """`[action!]object_type:object[/person][#note]`; the person defaults to the object
    itself for a person, else to the object's person."""
    text = text.strip()
    action, bang, rest = text.partition("!")
    if not bang:
        action, rest = "view", text
    rest, _hash, note = rest.partition("#")
    object_type, colon, target = rest.partition(":")
    assert colon and object_type and target, f"line {number}: event {text!r}"
    target, slash, person = target.partition("/")
    if not slash:
        person = target if object_type == "people.person" else f"{target}.person"
    return Expected(action, object_type.strip(), target.strip(), person.strip(), note.strip())


def read_entries(path: Path = TABLE) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("  #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line or line.startswith("url "):
            continue
        cells = [c.strip() for c in line.split("|")]
        assert len(cells) == 4, f"line {number}: four cells separated by |: {raw!r}"
        name, role, query, events = cells
        assert name not in entries, f"line {number}: {name} twice"
        assert role == "-" or role in ROLE_COLUMNS, f"line {number}: role {role!r}"
        role = "" if role == "-" else ROLE_COLUMNS[role]
        query = "" if query == "-" else query
        if events.startswith("none"):
            reason = events.removeprefix("none").lstrip(":").strip()
            assert reason, f"line {number}: `none` needs its reason"
            entries[name] = Entry(name, role, query, (), reason)
        else:
            parsed = tuple(_event(e, number) for e in events.split(","))
            entries[name] = Entry(name, role, query, parsed)
    return entries


def _value(world: World, path: str):
    if path == "-":
        return None
    if path.startswith("="):
        return path[1:]
    value = world.mine
    for attribute in path.split("."):
        value = getattr(value, attribute)
    return value


def _persons(world: World, path: str) -> list:
    """The person a path names; "each:" + path: the persons of each object of a relation
    (`each:meeting.cases.person`: the person of every case of the meeting)."""
    if not path.startswith("each:"):
        return [_value(world, path)]
    relation, _dot, attribute = path.removeprefix("each:").rpartition(".")
    return [getattr(item, attribute) for item in _value(world, relation).all()]


def expected_events(entry: Entry, world: World, actor) -> set[tuple]:
    result = set()
    for event in entry.events:
        target = _value(world, event.object)
        object_id = target if isinstance(target, str) else str(target.pk)
        for person in _persons(world, event.person):
            result.add(
                (
                    actor.pk,
                    # "view" (the default) or "export": the member for the object type.
                    resolve(event.action, event.object_type),
                    event.object_type,
                    object_id,
                    person.pk if person is not None else None,
                    event.note,
                )
            )
    return result


# --- whom to ask ----------------------------------------------------------------------------


def seeing_role(row: Row, chosen: str = "") -> str | None:
    """The role the table chose, else the first of ROLE_PREFERENCE the matrix lets see
    the URL (objects of ZPI)."""
    variant = row.variants[0]
    for role in [chosen] if chosen else ROLE_PREFERENCE:
        if row.expected[(role, variant)] in SHOWN:
            return role
    return None


def refused_request(row: Row, role: str | None) -> tuple[str, str] | None:
    """(role, variant) of a request the matrix refuses: `role` for the objects of the
    other zone if refused there, else the first role refused outright."""
    if role and "other" in row.variants and row.expected[(role, "other")] in REFUSED:
        return role, "other"
    variant = row.variants[0]
    for candidate in ROLE_COLUMNS.values():
        if candidate != "anonymous" and row.expected[(candidate, variant)] in REFUSED:
            return candidate, variant
    return None


# --- requests -------------------------------------------------------------------------------


@dataclass
class Observed:
    role: str | None
    url: str
    status: int | None
    events: set  # the access events written, as expected_events builds them
    names: tuple = ()  # the persons' names of the test world the page shows
    refused_role: str | None = None
    refused_url: str = ""
    refused_status: int | None = None
    refused_wrote: int = 0  # events of any kind written by the refused request


def _events_since(last_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=last_id).order_by("id"))


def _names_in(world: World, response) -> tuple:
    """The names of the test world's persons a (non-streaming, text) page shows."""
    if getattr(response, "streaming", False) or "text" not in response.get("Content-Type", ""):
        return ()
    text = response.content.decode(errors="replace").lower()
    return tuple(n for n in world.names if n.lower() in text)


def _ask(world: World, clients: dict, role: str, method: str, url: str):
    """(status, events written, names shown) of one request, rolled back once answered."""
    client = clients.get(role)
    if client is None:
        client = clients[role] = Client()
        client.force_login(world.users[role])
    with transaction.atomic():
        last = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
        response = getattr(client, method.lower())(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        events = _events_since(last)
        transaction.set_rollback(True)
    client.cookies.pop("messages", None)
    return response.status_code, events, _names_in(world, response)


def _access_tuples(events) -> set[tuple]:
    return {
        (e.actor_id, e.action, e.object_type, e.object_id, e.person_id, e.note)
        for e in events
        if e.kind == AuditEvent.Kind.ACCESS
    }


def observe(world: World, entries, rows, routes: dict[str, Route]) -> dict[str, Observed]:
    clients: dict[str, Client] = {}
    observed = {}
    for name, row in rows.items():
        entry = entries.get(name)
        query = entry.query if entry else ""
        method = "POST" if row.method == "POST" else "GET"
        role = seeing_role(row, entry.role if entry else "")
        result = Observed(role=role, url="", status=None, events=set())
        if role is not None:
            url = url_for(routes[name], row, world, row.variants[0]) + query
            status, events, names = _ask(world, clients, role, method, url)
            result.url, result.status, result.events = url, status, _access_tuples(events)
            result.names = names
        refused = refused_request(row, role)
        if refused is not None:
            refused_role, variant = refused
            url = url_for(routes[name], row, world, variant) + query
            status, events, _names = _ask(world, clients, refused_role, method, url)
            result.refused_role, result.refused_url = refused_role, url
            result.refused_status, result.refused_wrote = status, len(events)
        observed[name] = result
    return observed


def _dump(path: str, world: World, observed: dict[str, Observed]) -> None:
    """The events written today, in the table's format (objects and persons named by the
    Side attribute they are, where one is; check each against the page)."""
    names = {}
    for field in dataclasses.fields(world.mine):
        value = getattr(world.mine, field.name)
        if hasattr(value, "_meta"):
            names.setdefault((value._meta.label_lower, str(value.pk)), field.name)
    persons = {str(getattr(world.mine, attr).pk): attr for attr in ("person", "member")} | {
        str(world.mine.referred_case.person_id): "referred_case.person"
    }
    lines = []
    for name, seen in observed.items():
        events = sorted(seen.events, key=lambda e: (e[2], e[3], e[4] or 0, e[5]))
        cells = []
        for _actor, action, label, object_id, person_id, note in events:
            target = names.get((label, object_id), f"={object_id}")
            if label == "people.person":
                target = persons.get(object_id, target)
            person = persons.get(str(person_id), str(person_id)) if person_id else "-"
            default = target if label == "people.person" else f"{target}.person"
            cell = f"{'' if action.endswith('.view') else action + '!'}{label}:{target}"
            cell += "" if person == default else f"/{person}"
            cells.append(cell + (f"#{note}" if note else ""))
        lines.append(f"{name:<34}| - | - | {', '.join(cells) or 'none: ?'}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def answers(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world built once, every URL requested once by each of the two roles."""
    name = str(connection.settings_dict["NAME"])
    assert "test" in name or "memory" in name, f"not a test database: {name}"
    routes = application_routes()
    rows = {name: row for name, row in read_table().items() if name in routes}
    entries = read_entries()
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the refusals, all expected
    overrides = override_settings(
        VAR_DIR=tmp_path_factory.mktemp("var"),
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),  # the prepared files (default storage)
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    try:
        with (
            pytest.MonkeyPatch.context() as env,
            overrides,
            django_db_blocker.unblock(),
            transaction.atomic(),
        ):
            env.setenv(ENV_KEY, "the access events' pseudonym key")
            world = build_world()
            observed = observe(world, entries, rows, routes)
            expected = {
                name: expected_events(entry, world, world.users[observed[name].role])
                for name, entry in entries.items()
                if name in observed and observed[name].role is not None
            }
            if os.environ.get("CROCEVIA_ACCESS_DUMP"):
                _dump(os.environ["CROCEVIA_ACCESS_DUMP"], world, observed)
            transaction.set_rollback(True)
    finally:
        logger.setLevel(level)
    return entries, observed, expected


# --- the tests ------------------------------------------------------------------------------


def test_every_url_has_an_access_entry_and_every_entry_a_url():
    routes = set(application_routes())
    entries = set(read_entries())
    missing = sorted(routes - entries)
    gone = sorted(entries - routes)
    assert not missing, "URLs without a row in access_events.txt: " + ", ".join(missing)
    assert not gone, "Rows of access_events.txt without a URL: " + ", ".join(gone)


@pytest.mark.django_db
def test_a_page_marked_without_personal_data_shows_no_persons_name(answers):
    """`none` is for pages without personal data: such a page, as a role that may see it,
    names none of the test world's persons (a picker or a list that does must record them)."""
    entries, observed, _expected = answers
    naming = [
        f"{name} {observed[name].url} as {observed[name].role}: {', '.join(observed[name].names)}"
        for name, entry in entries.items()
        if entry.none_reason and name in observed and observed[name].names
    ]
    assert not naming, "Pages marked `none` that name persons:\n" + "\n".join(naming)
    # The check sees names where they are: the person's own page names them.
    assert observed["people:detail"].names


@pytest.mark.django_db
def test_every_page_writes_the_access_events_of_the_table_and_no_other(answers):
    entries, observed, expected = answers
    problems = []
    for name in entries:
        seen = observed.get(name)
        if seen is None or seen.role is None:
            continue
        if seen.status not in SHOWN:
            problems.append(f"{name} {seen.url} as {seen.role}: answered {seen.status}")
            continue
        if seen.events != expected[name]:
            missing = sorted(map(str, expected[name] - seen.events))
            extra = sorted(map(str, seen.events - expected[name]))
            problems.append(
                f"{name} {seen.url} as {seen.role}: missing {missing or '-'}, "
                f"not in the table {extra or '-'}"
            )
    assert not problems, f"{len(problems)} pages differ from the table:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_every_page_is_asked_by_a_role_that_may_see_it(answers):
    """The table's events are proved for every URL the matrix lets someone see."""
    entries, observed, _expected = answers
    unseen = [name for name, seen in observed.items() if seen.role is None]
    with_events = [name for name in unseen if entries[name].events]
    assert not with_events, "Events stated for URLs no role may see: " + ", ".join(with_events)


@pytest.mark.django_db
def test_a_refused_request_writes_no_event(answers):
    _entries, observed, _expected = answers
    wrote = [
        f"{name} {seen.refused_url} as {seen.refused_role}: {seen.refused_status}, "
        f"{seen.refused_wrote} events"
        for name, seen in observed.items()
        if seen.refused_role is not None
        and (seen.refused_wrote or seen.refused_status not in REFUSED)
    ]
    assert not wrote, "Refused requests that were not refused or wrote:\n" + "\n".join(wrote)
    asked = [name for name, seen in observed.items() if seen.refused_role is not None]
    assert len(asked) >= 50  # every URL some role may not open


RECORDERS = {"audit_access", "record_access", "record_persons_shown"}


def test_no_view_writes_an_access_event_itself():
    """Recording is part of obtaining the object (the access functions), never a line a
    view must remember: no views module imports the recorders."""
    source = Path(__file__).resolve().parent.parent / "src" / "crocevia"
    found = []
    for path in sorted(source.glob("*/*views.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = {alias.name for alias in node.names} & RECORDERS
                found += [f"{path.relative_to(source)}: {name}" for name in sorted(names)]
    assert len(list(source.glob("*/*views.py"))) >= 10
    assert not found, "Views recording access events themselves:\n" + "\n".join(found)
