"""Several app servers on one machine, as a Region runs them on several: nginx (Debian's
package, run as our own child process with its own configuration) on loopback in front of
N gunicorn servers, M job workers, one PostgreSQL and one Redis.

Test and benchmark support, like `crocevia.testing`: `tests/test_two_servers.py` and
`bench/load.py --servers N` use it; no app imports it and it imports no app (only the
standard library and redis, so a test or the bench can use it before Django is set up).

Every node (app server or worker) gets its own CROCEVIA_VAR_DIR and TMPDIR, as if each
were a machine of its own: they share only the database and Redis. Nothing here touches a
process it did not start: an app server is killed as its own process group (gunicorn's
master and its workers), by the id of the master we started.
"""

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# gunicorn's configuration, the packaged one (README, Production).
GUNICORN_CONFIG = "python:crocevia.gunicorn_conf"
# The job queue's worker (heartbeat, sweeper, periodic jobs: crocevia.jobs).
WORKER_COMMAND = "worker"
# Request body limit of the proxy: at least CROCEVIA_IMPORT_MAX_MB (the README's nginx).
CLIENT_MAX_BODY_SIZE = "50m"
# Longer than GUNICORN_TIMEOUT (60 s), as in the README's nginx configuration.
PROXY_READ_TIMEOUT = "70s"
# The header through which the proxy says which app server answered (tests read it).
UPSTREAM_HEADER = "X-Crocevia-Upstream"
READY_PATH = "/accesso/"
# Variables of the caller's environment that must not reach a production-like node.
NOT_INHERITED = {
    "CROCEVIA_INSECURE_DEV_KEY",
    "DEBUG",
    "SECRET_KEY",
    "CROCEVIA_VAR_DIR",
    "CROCEVIA_AUDIT_WITNESS",
    "TMPDIR",
    "DATABASE_URL",
    "REDIS_URL",
}


def _no_control_socket() -> list[str]:
    """gunicorn 27's control socket is one path per user ($HOME/.gunicorn): several
    servers on one machine would take it from each other. Nothing here uses it."""
    from gunicorn.config import KNOWN_SETTINGS

    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_port() -> int:
    """A TCP port free on loopback now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(
    *, database_url: str, redis_url: str, secret_key: str, extra: dict | None = None
) -> dict:
    """The environment of a production node on loopback: DEBUG off, a real SECRET_KEY (the
    same for every node, or sessions and CSRF tokens would not cross servers), sessions and
    cache in Redis; only the HTTPS settings are off, there being no TLS on loopback."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=secret_key,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_COOKIES="false",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        CONN_HEALTH_CHECKS="true",
        # The proxy appends the client to X-Forwarded-For (README, "Production settings").
        TRUSTED_PROXIES="1",
        DJANGO_SETTINGS_MODULE="crocevia.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def http_get(url: str, timeout: float = 30) -> int:
    """The status of a GET (no redirect followed); 0 when nothing answers."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return 0


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise ClusterError(f"{what}: not within {timeout:.0f} s")


class ClusterError(RuntimeError):
    pass


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers of a master)."""
    found = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    return [int(child) for child in found]


def cpu_seconds_of(pids: list[int]) -> float:
    """CPU time (user + system) used so far by these processes (gone ones count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Node:
    """A process of the cluster with a machine's worth of private state: its own
    CROCEVIA_VAR_DIR and TMPDIR, and its log file."""

    def __init__(self, name: str, directory: Path, env: dict):
        self.name = name
        self.directory = directory
        self.var_dir = directory / "var"
        self.tmp_dir = directory / "tmp"
        self.log_path = directory / f"{name}.log"
        for path in (self.var_dir, self.tmp_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            env,
            CROCEVIA_VAR_DIR=str(self.var_dir),
            CROCEVIA_AUDIT_WITNESS=str(self.var_dir / "audit-witness.jsonl"),
            TMPDIR=str(self.tmp_dir),
        )
        self.process: subprocess.Popen | None = None

    def crocevia(self, *args: str, timeout: float = 300) -> None:
        """A `crocevia` management command with this node's environment."""
        result = subprocess.run(
            [sys.executable, "-m", "crocevia", *args],
            env=self.env,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode:
            raise ClusterError(
                f"{self.name}: crocevia {' '.join(args)} failed:\n"
                f"{result.stdout[-2000:]}{result.stderr[-3000:]}"
            )

    def _popen(self, command: list[str]) -> subprocess.Popen:
        log = open(self.log_path, "a")  # noqa: SIM115 - the child holds it; closed below
        try:
            # A session of its own: the node is one process group, killed as one, and a
            # Ctrl-C of the caller's terminal does not reach it (the caller stops it).
            return subprocess.Popen(
                command,
                env=self.env,
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL to the node's process group (for gunicorn: the master and its workers)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def wait_stopped(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        # Workers left behind by a master that exited (should not happen): the group goes.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def child_pids(self) -> list[int]:
        """The node's own children (gunicorn's workers)."""
        return children_of(self.process.pid) if self.alive else []

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the node's process and its children."""
        return cpu_seconds_of(self.child_pids() + ([self.process.pid] if self.alive else []))


class AppServer(Node):
    """gunicorn with the production configuration on 127.0.0.1:port."""

    def __init__(
        self, name, directory, env, *, port, workers=1, threads=4, config=None, **gunicorn
    ):
        super().__init__(name, directory, env)
        self.port = port
        self.config = config or GUNICORN_CONFIG
        self.workers = workers
        self.base = f"http://127.0.0.1:{port}"
        self.env.update(
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS=str(workers),
            GUNICORN_THREADS=str(threads),
            **{f"GUNICORN_{k.upper()}": str(v) for k, v in gunicorn.items()},
        )

    def start(self) -> None:
        self.process = self._popen(
            [sys.executable, "-m", "gunicorn", "-c", self.config, *_no_control_socket()]
            + ["crocevia.wsgi"]
        )

    def wait_ready(self, timeout: float = 120) -> None:
        def answers():
            if not self.alive:
                raise ClusterError(f"{self.name} exited:\n{self.log_tail()}")
            return http_get(self.base + READY_PATH, timeout=30) == 200

        wait_until(answers, timeout=timeout, what=f"{self.name} on {self.base}")
        # Every worker imports and warms up on its own: let each answer once before use.
        for _ in range(self.workers * 3):
            http_get(self.base + READY_PATH, timeout=30)

    def stop(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)  # graceful: requests in hand finish


class JobWorker(Node):
    """A worker of the job queue (`crocevia worker`)."""

    def start(self) -> None:
        self.process = self._popen(
            [
                sys.executable,
                "-m",
                "crocevia",
                WORKER_COMMAND,
                "--no-reload",
                "--no-startup-delay",
                "--queue-name=*",
                f"--worker-id={self.name}",
            ]
        )

    def stop(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)  # finishes the job in hand, then exits


class Nginx:
    """nginx in the foreground with its own configuration, pid, logs and temp paths in
    `directory`, listening on 127.0.0.1:port, round robin over the app servers. The
    system's nginx service is never involved."""

    def __init__(self, directory: Path, *, port: int, upstream_ports: list[int]):
        self.directory = directory
        self.port = port
        self.upstream_ports = list(upstream_ports)
        self.base = f"http://127.0.0.1:{port}"
        self.conf_path = directory / "nginx.conf"
        self.process: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)

    def config(self) -> str:
        d = self.directory
        servers = "\n".join(
            # A server that refused a connection is left alone for 30 s, then tried again:
            # long enough for a restarted server's workers to warm up (15-25 s under load)
            # before requests queue behind them.
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;"
            for p in self.upstream_ports
        )
        # Running as root, nginx's workers would drop to `nobody`, who may not write the
        # temp paths of this private directory: they stay the caller's user instead.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        return f"""{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile 8192;
events {{ worker_connections 4096; }}
http {{
    log_format upstream '$remote_addr [$time_local] "$request" $status '
                        '$upstream_addr $upstream_status $request_time $upstream_response_time';
    access_log {d}/access.log upstream;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    client_max_body_size {CLIENT_MAX_BODY_SIZE};
    upstream crocevia {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://crocevia;
            # $http_host keeps the port: Django compares the Origin of a POST with it.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout {PROXY_READ_TIMEOUT};
            # A server that is down (connection refused, reset before the answer, timeout):
            # the request goes to the other one. Never a POST already sent (nginx does not
            # pass non-idempotent requests on unless told to): it fails instead.
            proxy_next_upstream error timeout;
            add_header {UPSTREAM_HEADER} $upstream_addr always;
        }}
    }}
}}
"""

    def start(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise ClusterError("nginx is not installed (Debian: apt-get install nginx)")
        self.conf_path.write_text(self.config())
        log = open(self.directory / "nginx.out", "a")  # noqa: SIM115 - closed below
        try:
            self.process = subprocess.Popen(
                [
                    binary,
                    "-p",
                    str(self.directory),
                    "-c",
                    str(self.conf_path),
                    "-e",
                    str(self.directory / "error.log"),
                    "-g",
                    "daemon off;",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

        def listening():
            if self.process.poll() is not None:
                raise ClusterError(f"nginx exited:\n{self.error_log()}")
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_until(listening, timeout=15, what="nginx")

    def error_log(self) -> str:
        text = ""
        for name in ("nginx.out", "error.log"):
            with contextlib.suppress(OSError):
                text += (self.directory / name).read_text(errors="replace")[-2000:]
        return text

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # nginx: fast shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Cluster:
    """nginx on `port` in front of `servers` gunicorn servers, and `job_workers` workers.

    with Cluster(directory, database_url=..., redis_url=...) as cluster:
        cluster.base            # through nginx
        cluster.servers[0].base # server 1 directly
        cluster.kill_server(0); cluster.restart_server(0)

    `port` 0: free ports everywhere; otherwise nginx on `port` and the servers on the
    ports after it. `gunicorn_workers` and `threads` are each server's; `gunicorn` other
    settings of deploy/gunicorn.conf.py by name (worker_class="sync" sets
    GUNICORN_WORKER_CLASS); `env` more variables for every node. The database must exist and
    be migrated; Redis is emptied first (`flush_redis`): sessions of an earlier run would be
    found by the same usernames.
    """

    def __init__(
        self,
        directory: Path,
        *,
        database_url: str,
        redis_url: str,
        servers: int = 2,
        job_workers: int = 2,
        port: int = 0,
        gunicorn_workers: int = 1,
        threads: int = 4,
        config: str | None = None,
        gunicorn: dict | None = None,
        env: dict | None = None,
        collectstatic: bool = True,
        flush_redis: bool = True,
    ):
        self.directory = Path(directory)
        self.redis_url = redis_url
        self.collectstatic = collectstatic
        self.flush_redis = flush_redis
        self.env = production_env(
            database_url=database_url,
            redis_url=redis_url,
            secret_key=secrets.token_urlsafe(50),
            extra=env,
        )
        if port:
            nginx_port, server_ports = port, [port + 1 + i for i in range(servers)]
        else:
            nginx_port, server_ports = free_port(), [free_port() for _ in range(servers)]
        self.servers = [
            AppServer(
                f"server-{i + 1}",
                self.directory / f"server-{i + 1}",
                self.env,
                port=p,
                workers=gunicorn_workers,
                threads=threads,
                config=config,
                **(gunicorn or {}),
            )
            for i, p in enumerate(server_ports)
        ]
        self.workers = [
            JobWorker(f"worker-{i + 1}", self.directory / f"worker-{i + 1}", self.env)
            for i in range(job_workers)
        ]
        self.nginx = Nginx(self.directory / "nginx", port=nginx_port, upstream_ports=server_ports)
        self.base = self.nginx.base

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> None:
        if self.flush_redis:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        with ThreadPoolExecutor(max_workers=max(1, len(self.servers))) as pool:
            if self.collectstatic:
                # Each server its own copy, as on its own machine (STATIC_ROOT is in VAR_DIR).
                list(pool.map(lambda s: s.crocevia("collectstatic", "--no-input", "-v0"),
                              self.servers))  # fmt: skip
            for server in self.servers:
                server.start()
            for worker in self.workers:
                worker.start()
            list(pool.map(lambda s: s.wait_ready(), self.servers))
        for worker in self.workers:
            if not worker.alive:
                raise ClusterError(f"{worker.name} exited:\n{worker.log_tail()}")
        self.nginx.start()
        wait_until(
            lambda: http_get(self.base + READY_PATH) == 200, timeout=30, what="through nginx"
        )

    def kill_server(self, index: int) -> None:
        self.servers[index].kill()

    def restart_server(self, index: int, *, wait: bool = True) -> None:
        server = self.servers[index]
        server.start()
        if wait:
            server.wait_ready()

    def cpu_seconds(self) -> dict[str, float]:
        return {
            "app servers": sum(s.cpu_seconds() for s in self.servers),
            "job workers": sum(w.cpu_seconds() for w in self.workers),
        }

    def stop(self) -> None:
        self.nginx.stop()
        nodes = [*self.servers, *self.workers]
        for node in nodes:
            node.stop()
        for node in nodes:
            node.wait_stopped(timeout=60)
