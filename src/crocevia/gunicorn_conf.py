"""gunicorn settings for Crocevia in production (see the README, "Production").

    gunicorn -c python:crocevia.gunicorn_conf crocevia.wsgi

Part of the package, so that an installed wheel carries it.

Every value can be changed by an environment variable, so the same file serves a small
desk and a region. The defaults are the ones measured by bench/load.py on 2 CPUs
(50 operators, p95 119 ms over all pages, 247 ms for the slowest): 3 worker
processes of 4 threads each.
"""

import os

# Loopback by default: a reverse proxy (nginx or similar) terminates TLS in front of it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads, not more processes: a request waits mostly on PostgreSQL and Redis, and each
# process costs ~80 MB. About (2 x CPUs) - 1 processes is the usual starting point.
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request longer than this is killed and its worker replaced; its database transaction
# is rolled back by PostgreSQL (nothing half-written: bench/faults.py). Exports of a whole
# zone are the slowest pages; the proxy's read timeout must be at least as long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then, against slow memory growth; the jitter keeps them from
# all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# Headers and request lines stay small; uploads are limited by the application
# (CROCEVIA_IMPORT_MAX_MB) and the proxy (client_max_body_size).
limit_request_line = 8190
# Behind the proxy: trust X-Forwarded-* only from it (its address, comma-separated).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stderr (journald or the container collects them). The access log's last field
# is the time taken in microseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)s'
# The worker heartbeat in memory, not on a possibly slow disk (gunicorn's own advice).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "crocevia"


def post_worker_init(worker):
    """Before serving: load the views, templates and reference tables, then freeze them out
    of the garbage collector's full scans (crocevia/core/warmup.py says why)."""
    import logging

    from crocevia.core.warmup import warm_up

    try:
        warm_up()
    except Exception:  # noqa: BLE001 - an optimisation: a failure must not stop the server
        logging.getLogger("crocevia.core.warmup").exception("worker warm-up failed")
