"""The documented production install works (issue 20): README, "Production".

The wheel is built from a clean copy of the checkout (so the build itself must produce
the vendored htmx and the compiled catalogue), the copy is deleted, and the README's
production lines run as they are, in a bash of their own, in a directory outside the
checkout: a new virtual environment, `pip install` of the wheel, migrate, collectstatic,
`check --deploy --fail-level WARNING`, gunicorn with the packaged configuration. Then the
sign-in page and every CSS and JS file it names are fetched through gunicorn, as the
proxy of the README would ask for them.

The database is a new one on the server of DATABASE_URL (PostgreSQL), or an SQLite file
here. Nothing is downloaded but the packages, from the configured package index.
"""

import gzip
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST = "crocevia.example.org"
# The steps may take a few minutes on a loaded machine (installing the dependencies,
# compressing the static files); the test itself takes about a minute and a half.
STARTUP_SECONDS = 600
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")
# Of the environment, what pip needs to reach the package index (its configuration and
# cache, proxies, certificates); nothing of Django's or of this checkout (PYTHONPATH).
PASSED_ON = re.compile(
    r"^(HOME|USER|LOGNAME|TMPDIR|PIP_.*|XDG_.*|SSL_CERT_.*|REQUESTS_CA_BUNDLE|"
    r"(https?|no|all)_proxy|(HTTPS?|NO|ALL)_PROXY)$"
)


def outside_environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if PASSED_ON.match(k)}
    env.update(LANG="C.UTF-8", **extra)
    return env


@pytest.fixture
def database_url(tmp_path):
    """A database of its own: a new one on DATABASE_URL's PostgreSQL, else SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'crocevia.sqlite3'}"
        return
    import psycopg

    name = f"crocevia_wheel_{secrets.token_hex(4)}"
    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clean_copy_of_the_checkout(target: Path) -> Path:
    """The sources as git keeps them: no build output, caches, virtual environments."""
    ignored = shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "var", "build", "dist", "*.egg-info", "__pycache__",
        ".*_cache", ".hypothesis", "test-results", "*.mo", "*.whl",
    )  # fmt: skip

    def ignore(directory, names):
        skipped = set(ignored(directory, names))
        if Path(directory) == ROOT / "src" / "crocevia" / "static":
            skipped.add("vendor")  # build output of build_assets.py
        return skipped

    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)
    (target / "node_modules").symlink_to(ROOT / "node_modules")  # `npm ci`'s, read-only
    return target


def build_wheel(source: Path, dist: Path) -> Path:
    """`make wheel`'s command."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), "."],
        cwd=source,
        env=outside_environment(PATH=os.environ["PATH"]),
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = dist.glob("crocevia-*.whl")
    return wheel


def assert_the_wheel_carries_what_it_serves(wheel: Path, source: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = source / "src" / "crocevia"
    # Every file of the package's sources: templates, static files, the catalogue,
    # migrations, fixtures... (the apps' README.md are documentation, not data).
    for path in package.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.name != "README.md":
            assert f"crocevia/{path.relative_to(package).as_posix()}" in names, path
    # What the build adds: the compiled catalogue, and every npm file a template loads.
    assert "crocevia/locale/it/LC_MESSAGES/django.mo" in names
    vendored = set()
    for template in package.glob("templates/**/*.html"):
        vendored |= set(re.findall(r"""{% static ['"](vendor/[^'"]+)['"]""", template.read_text()))
    assert "vendor/htmx/htmx.min.js" in vendored
    for name in vendored:
        assert f"crocevia/static/{name}" in names, name
    assert "crocevia/gunicorn_conf.py" in names


def readme_production_steps() -> list[str]:
    """The command lines of the first `sh` block of the README's "Production"."""
    section = (ROOT / "README.md").read_text().split("\n## Production\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Page(HTMLParser):
    """The style sheets and scripts a page loads."""

    def __init__(self):
        super().__init__()
        self.assets = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.assets.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])


def fetch(port: int, path: str, **headers):
    """GET through gunicorn as the README's proxy forwards it (Host, HTTPS)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "GET", path, headers={"Host": HOST, "X-Forwarded-Proto": "https", **headers}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def wait_for_the_server(process, port: int, log: Path):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the production steps stopped ({process.returncode}):\n{log.read_text()}")
        try:
            return fetch(port, "/")
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def stop(process):
    """The bash of the steps, or gunicorn that replaced it, with whatever it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_wheel_installs_and_serves_as_the_readme_says(tmp_path, database_url):
    started = time.monotonic()
    source = clean_copy_of_the_checkout(tmp_path / "checkout")
    wheel = build_wheel(source, tmp_path / "dist")
    assert_the_wheel_carries_what_it_serves(wheel, source)
    shutil.rmtree(source)  # from now on nothing can be read from a source tree
    built = time.monotonic() - started

    server = tmp_path / "server"
    server.mkdir()
    shutil.copy(wheel, server)
    steps = readme_production_steps()
    assert any(step.startswith("pip install crocevia-") for step in steps), steps
    for command in ("migrate", "collectstatic", "check --deploy --fail-level WARNING"):
        assert any(step.startswith(f"crocevia {command}") for step in steps), (command, steps)
    assert steps[-1] == "gunicorn -c python:crocevia.gunicorn_conf crocevia.wsgi", steps
    # Each line is echoed to the log with the seconds since the start.
    script = "\n".join(
        ["PS4='+ ${SECONDS}s '", "set -euxo pipefail", *steps[:-1], f"exec {steps[-1]}"]
    )

    # `python3` is the interpreter of this test run (not its virtual environment), and
    # nothing else of the checkout's environment is on the PATH.
    interpreter = tmp_path / "bin"
    interpreter.mkdir()
    (interpreter / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    port = free_port()
    env = outside_environment(
        PATH=f"{interpreter}:/usr/local/bin:/usr/bin:/bin",
        # "Production settings" of the README; Redis is optional with one server.
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        DATABASE_URL=database_url,
        TRUST_X_FORWARDED_PROTO="true",
        TRUSTED_PROXIES="1",
        CROCEVIA_STATIC_ROOT=str(tmp_path / "static"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
    )
    log = tmp_path / "steps.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=server,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped whole below
        )
    try:
        status, headers, _ = wait_for_the_server(process, port, log)
        served = time.monotonic() - started - built
        installed = subprocess.run(
            [
                str(server / "venv" / "bin" / "python"),
                "-c",
                "import crocevia.settings as s; print(s.BASE_DIR); print(s.STATICFILES_DIRS)",
            ],
            cwd=server,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert installed.startswith(str(server / "venv" / "lib")), installed
        assert "node_modules" not in installed

        # The sign-in page, in Italian (the catalogue compiled into the wheel).
        assert status == 302, status
        status, headers, body = fetch(port, headers["Location"])
        assert status == 200, body
        page = body.decode()
        assert "<title>Accedi" in page
        parser = Page()
        parser.feed(page)
        assert any("/vendor/htmx/htmx.min." in asset for asset in parser.assets), parser.assets
        assert len(parser.assets) >= 6, parser.assets

        for asset in parser.assets:
            assert asset.startswith("/static/") and HASHED.search(asset), asset
            status, headers, plain = fetch(port, asset)
            assert status == 200 and plain, asset
            assert "immutable" in headers["Cache-Control"], (asset, headers)
            status, headers, compressed = fetch(port, asset, **{"Accept-Encoding": "gzip"})
            assert headers["Content-Encoding"] == "gzip", (asset, headers)
            assert gzip.decompress(compressed) == plain, asset
            if asset.startswith("/static/crocevia/") and asset.endswith(".css"):
                # Our style sheets name fonts and images by their hashed names too.
                folder = asset.rsplit("/", 1)[0]
                for url in re.findall(r'url\("?([^")]+)"?\)', plain.decode()):
                    if url.startswith("data:"):
                        continue
                    target = os.path.normpath(f"{folder}/{url}")
                    assert re.search(r"\.[0-9a-f]{12}\.\w+$", target), (asset, url)
                    assert fetch(port, target)[0] == 200, (asset, url)
    finally:
        stop(process)
    steps_run = [line for line in log.read_text().splitlines() if re.match(r"\+ \d+s ", line)]
    print(
        f"\nwheel built in {built:.0f} s ({wheel.stat().st_size / 1e6:.1f} MB), "
        f"installed and serving {served:.0f} s later; the steps started at:",
        *steps_run,
        sep="\n",
    )
