"""Two app servers behind nginx: any server serves any request (issue 20).

A scratch PostgreSQL database of its own (next to the test database, never touching it),
migrated, with the cast of `crocevia.testing`; Redis database 11, emptied; then
`crocevia.testing_cluster.Cluster`: two gunicorn servers, each with its own
CROCEVIA_VAR_DIR and TMPDIR as if on two machines, two job workers, nginx (Debian's
package, our own child process) in front on loopback. Through plain HTTP, as a browser:

- signed in through nginx, pages fetched through it are served by both servers with the
  same session;
- a file larger than CROCEVIA_IMPORT_BACKGROUND_BYTES (1,000 bytes here) uploaded to
  server A directly is checked in the background; its progress page is followed on
  server B directly, the import confirmed on B and followed on B to its end; its rows are
  then in the database exactly once.

The servers share only PostgreSQL and Redis, so this needs both: PostgreSQL is the
server of DATABASE_URL when that is PostgreSQL, else 127.0.0.1:5432 (user postgres, as in
CI); Redis at 127.0.0.1:6379. Without them, or without nginx (`make install-test`
installs it), the test fails and says which is missing. About 40 s.
"""

import html
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from http.cookiejar import CookieJar

import pytest
from django.conf import settings

from crocevia.testing import PASSWORD
from crocevia.testing_cluster import (
    UPSTREAM_HEADER,
    Cluster,
    ClusterError,
    nginx_binary,
    production_env,
)

REDIS_URL = "redis://127.0.0.1:6379/11"  # the bench uses 7; nobody else uses 11
BACKGROUND_BYTES = 1000
USERNAME = "coordinatore"  # build_actors' zone coordinator: imports for the zone
DESKS = 25
# A job that has not ended this long after its last step has stalled.
STEP_SECONDS = 30

# The cast in a fresh database in one start-up of Django. Passwords hashed with fewer
# PBKDF2 iterations (each costs a second at Django's default): the hash keeps its count,
# so the servers check it as it is and upgrade it at the first sign-in.
SETUP = """
import django
django.setup()
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
PBKDF2PasswordHasher.iterations = 1000
call_command("migrate", "--no-input", verbosity=0)
from crocevia.testing import build_actors
build_actors()
"""


# --- PostgreSQL and Redis ------------------------------------------------------------------


def _pg_server() -> dict:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        return {
            "host": db.get("HOST") or "127.0.0.1",
            "port": str(db.get("PORT") or 5432),
            "user": db.get("USER") or "postgres",
            "password": db.get("PASSWORD") or "",
        }
    return {"host": "127.0.0.1", "port": "5432", "user": "postgres", "password": ""}


def _pg_connect(dbname: str):
    import psycopg

    s = _pg_server()
    return psycopg.connect(
        host=s["host"],
        port=s["port"],
        user=s["user"],
        password=s["password"] or None,
        dbname=dbname,
        autocommit=True,
        connect_timeout=5,
    )


def _pg_url(name: str) -> str:
    s = _pg_server()
    auth = urllib.parse.quote(s["user"]) + (
        f":{urllib.parse.quote(s['password'])}" if s["password"] else ""
    )
    return f"postgres://{auth}@{s['host']}:{s['port']}/{name}"


@pytest.fixture
def database():
    """A new, empty PostgreSQL database for the two servers; dropped at the end."""
    import psycopg

    name = f"crocevia_servers_{uuid.uuid4().hex[:8]}"
    try:
        with _pg_connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        s = _pg_server()
        pytest.fail(
            "Two app servers share one PostgreSQL database, and none answers at "
            f"{s['host']}:{s['port']} (user {s['user']}): start PostgreSQL there, or run the "
            f"tests with DATABASE_URL=postgres://... ({error})"
        )
    try:
        yield _pg_url(name)
    finally:
        with _pg_connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(
            "Two app servers share their sessions and the jobs' progress in Redis, and none "
            f"answers at {REDIS_URL}: start redis-server on 127.0.0.1:6379 ({error})"
        )
    return REDIS_URL


def setup_database(url: str, directory) -> None:
    env = production_env(database_url=url, redis_url="", secret_key=secrets.token_urlsafe(50))
    env.update(CROCEVIA_VAR_DIR=str(directory), TMPDIR=str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", SETUP],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def query(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(sql, params).fetchall()


# --- a browser of plain HTTP ---------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict
    text: str

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("Location", "")).path


class Browser:
    """One cookie jar (cookies name a host, not a port: the same session on nginx and on
    either server), no redirects followed, the CSRF token read from the page's form."""

    def __init__(self):
        self.cookies = CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )
        self.token = ""

    def request(self, base, path, *, data=None, headers=None) -> Answer:
        headers = dict(headers or {})
        if data is not None:
            headers.setdefault("Origin", base)
            headers.setdefault("Referer", base + path)
        # Our own servers on loopback.
        request = urllib.request.Request(base + path, data=data, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                answer = Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, dict(error.headers), error.read().decode(errors="replace"))
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)
        if found:
            self.token = html.unescape(found.group(1))
        return answer

    def get(self, base, path, **kwargs) -> Answer:
        return self.request(base, path, **kwargs)

    def post(self, base, path, fields: dict, files: dict | None = None) -> Answer:
        fields = {"csrfmiddlewaretoken": self.token, **fields}
        if not files:
            body = urllib.parse.urlencode(fields).encode()
            kind = "application/x-www-form-urlencoded"
        else:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for name, (filename, content) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                    + content
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            kind = f"multipart/form-data; boundary={boundary}"
        return self.request(base, path, data=body, headers={"Content-Type": kind})

    def sign_in(self, base, username, password) -> None:
        assert self.get(base, "/accesso/").status == 200
        answer = self.post(
            base, "/accesso/", {"username": username, "password": password, "next": ""}
        )
        assert answer.status == 302 and "/accesso/" not in answer.location, answer.status


# --- the test ------------------------------------------------------------------------------


def desks_file() -> bytes:
    lines = ["code,organisation_code,name,level,comune_istat,opening_hours"]
    lines += [
        f"SRV-{i:02d},CPI-PI,Sportello del lavoro numero {i:02d},1,050026,Lunedì 9-12"
        for i in range(1, DESKS + 1)
    ]
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > BACKGROUND_BYTES
    return data


def job_row(url: str, job_id: int) -> dict:
    """The job's row as a dict (whatever columns the model has now)."""
    rows = query(url, "SELECT to_jsonb(j) FROM interchange_importjob j WHERE id = %s", [job_id])
    return rows[0][0] if rows else {}


def job_state(url: str, job_id: int) -> str:
    row = job_row(url, job_id)
    return f"{row.get('status')!r} {row.get('message') or row.get('file_error') or ''}".strip()


def follow_until_ended(browser, server, job_id: int, url: str, phase: str) -> list[int]:
    """Poll the job's progress through `server` as the page does (htmx, every second) until
    it says the job ended (204 and HX-Redirect to the job's page). The statuses seen."""
    path = f"/scambio/importazioni/{job_id}/avanzamento/"
    seen = []
    deadline = time.monotonic() + STEP_SECONDS
    while time.monotonic() < deadline:
        answer = browser.get(server.base, path, headers={"HX-Request": "true"})
        seen.append(answer.status)
        if answer.status == 204:
            assert answer.headers.get("HX-Redirect") == f"/scambio/importazioni/{job_id}/"
            return seen
        assert answer.status == 200, (phase, answer.status, answer.text[:500])
        time.sleep(0.5)
    pytest.fail(
        f"The {phase} of import {job_id}, followed through {server.name}, did not end within "
        f"{STEP_SECONDS} s: its status is {job_state(url, job_id)}; the progress page "
        f"answered {seen[-5:]}."
    )


def test_an_import_started_on_one_server_is_followed_to_the_end_on_the_other(
    database, redis_url, tmp_path
):
    if nginx_binary() is None:
        pytest.fail("nginx is not installed: `make install-test` installs it (Debian: nginx).")
    setup_database(database, tmp_path / "setup")
    cluster = Cluster(
        tmp_path / "cluster",
        database_url=database,
        redis_url=redis_url,
        servers=2,
        job_workers=2,
        # No access log: a failure prints the end of each node's log, its errors.
        env={
            "CROCEVIA_IMPORT_BACKGROUND_BYTES": str(BACKGROUND_BYTES),
            "GUNICORN_ACCESS_LOG": "",
        },
    )
    try:
        cluster.start()
    except ClusterError as error:
        cluster.stop()
        pytest.fail(str(error))
    try:
        run_the_import(cluster, database)
    except BaseException:
        for node in [*cluster.servers, *cluster.workers]:
            print(f"--- {node.name} ({node.log_path})\n{node.log_tail()}")
        raise
    finally:
        cluster.stop()


def run_the_import(cluster, url) -> None:
    a, b = cluster.servers
    browser = Browser()

    # Signed in through nginx: the session is in Redis, so both servers know it.
    browser.sign_in(cluster.base, USERNAME, PASSWORD)
    answered_by = set()
    for _ in range(6):
        answer = browser.get(cluster.base, "/")
        assert answer.status == 200, (answer.status, answer.location)
        answered_by.add(answer.headers[UPSTREAM_HEADER])
    assert answered_by == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}

    # Uploaded to A: larger than the background threshold, so checked off the request.
    assert browser.get(a.base, "/scambio/").status == 200
    upload = {"file": ("sportelli.csv", desks_file())}
    answer = browser.post(a.base, "/scambio/", {"kind": "desks", "sheet": ""}, files=upload)
    assert answer.status == 302, (answer.status, answer.text[:1000])
    found = re.fullmatch(r"/scambio/importazioni/(\d+)/", answer.location)
    assert found, answer.location
    job_id = int(found.group(1))
    assert job_row(url, job_id).get("background", True)  # checked off the request

    # The check followed on B, to its end; the job's page on B offers the confirmation.
    follow_until_ended(browser, b, job_id, url, "check")
    page = browser.get(b.base, f"/scambio/importazioni/{job_id}/")
    assert page.status == 200
    assert job_row(url, job_id)["status"] == "valid", job_state(url, job_id)
    assert f'action="/scambio/importazioni/{job_id}/conferma/"' in page.text

    # Confirmed on B, followed on B to the end.
    answer = browser.post(b.base, f"/scambio/importazioni/{job_id}/conferma/", {})
    assert answer.status == 302, answer.status
    follow_until_ended(browser, b, job_id, url, "import")
    assert browser.get(b.base, f"/scambio/importazioni/{job_id}/").status == 200
    assert job_row(url, job_id)["status"] == "done", job_state(url, job_id)

    # Every row once.
    counts = query(
        url,
        "SELECT code, count(*) FROM network_desk WHERE code LIKE %s GROUP BY code",
        ["SRV-%"],
    )
    assert len(counts) == DESKS
    assert all(n == 1 for _code, n in counts), counts
