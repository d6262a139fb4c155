"""Settings, read from environment variables only (see README)."""

import hashlib
import os
import re
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
# The demo's SQLite file lives here (`make demo` creates it). Importing the settings
# creates no directory: an installed package may run from anywhere, read-only.
VAR_DIR = Path(os.environ.get("CROCEVIA_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# Without DEBUG a real key is required to serve (wsgi.py refuses to start, and Django
# refuses anything that signs); offline commands such as makemigrations run without one.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and (DEBUG or env_bool("CROCEVIA_INSECURE_DEV_KEY", False)):
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "bootstrap_italia_template",
    # Before django_tasks_db: its `db_worker` command is ours too (crocevia.jobs), so that
    # every worker writes the heartbeat the others' sweeper looks for.
    "crocevia.jobs",
    "django_tasks",
    "django_tasks_db",
    "crocevia.core",
    "crocevia.downloads",
    "crocevia.accounts",
    "crocevia.network",
    "crocevia.notifications",
    "crocevia.people",
    "crocevia.desk",
    "crocevia.audit",
    "crocevia.cases",
    "crocevia.assessments",
    "crocevia.plans",
    "crocevia.meetings",
    "crocevia.interventions",
    "crocevia.interchange",
    "crocevia.benefits",
    "crocevia.programmes",
    "crocevia.reporting",
    "crocevia.site",
    "crocevia.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crocevia.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crocevia.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "crocevia.accounts.middleware.TwoFactorEnrolmentMiddleware",
    # A page of a record merged into another redirects to the survivor's (people.access).
    "crocevia.people.middleware.MergedPersonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: what the access functions record is written once the view has answered.
    "crocevia.audit.middleware.AccessEventsMiddleware",
]

ROOT_URLCONF = "crocevia.urls"
WSGI_APPLICATION = "crocevia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crocevia.site.context_processors.navigation",
                "crocevia.notifications.context_processors.unread_notifications",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'crocevia.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A kept-open connection is checked before each request reuses it, so one broken by
        # a database restart fails no request (bench/faults.py measured the difference).
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs more than it saves on our short indexed queries
    # (measured in bench/search.py: 500 ms of JIT on a 700 ms name search).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a demo load or a test writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # The covering columns of the report's index are a PostgreSQL speed-up; SQLite (the
    # demo, quick local runs) builds the same index without them, as intended.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# A streaming replica of the primary (optional): the monitoring report reads from it
# (crocevia.core.dbrouter); every write and every other read stay on "default". Same engine
# options as the primary; tests use the test database under this alias too.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=DATABASES["default"]["CONN_HEALTH_CHECKS"],
    )
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ValueError("DATABASE_REPLICA_URL must name a database of the same kind.")
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # A replica that does not answer is given up quickly: the report falls back to
        # the primary.
        DATABASES["replica"]["OPTIONS"].setdefault(
            "connect_timeout", int(os.environ.get("DATABASE_REPLICA_CONNECT_TIMEOUT", "3"))
        )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["crocevia.core.dbrouter.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in lockout (accounts/lockout.py): this many failures within the window, for one
# username or from one address, suspend signing in for the lock period.
CROCEVIA_LOGIN_MAX_FAILURES_USER = int(os.environ.get("LOGIN_MAX_FAILURES_USER", "5"))
CROCEVIA_LOGIN_MAX_FAILURES_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_ADDRESS", "20"))
CROCEVIA_LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
CROCEVIA_LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
# Reverse proxies in front of the application that append to X-Forwarded-For. 0: the
# client address is REMOTE_ADDR (X-Forwarded-For, which anyone can send, is ignored).
CROCEVIA_TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

# Production is DEBUG off with a real SECRET_KEY; tests and `make demo` run without one.
PRODUCTION = not DEBUG and bool(os.environ.get("SECRET_KEY"))

# Sessions end after SESSION_IDLE_MINUTES without a request (sliding expiry).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG and env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS. Behind a proxy that terminates TLS, TRUST_X_FORWARDED_PROTO=true makes Django
# believe its X-Forwarded-Proto header (the proxy must set it, overwriting the client's).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# Redis for the cache and the sessions when REDIS_URL is set (several workers share
# them); otherwise the local memory cache and database sessions.
# The "jobs" cache holds what the processes of every server share for a while: the
# workers' heartbeats (crocevia.jobs), a job's progress and stop requests. In Redis when
# there is one; otherwise in files of the system's temporary directory, one directory per
# database, which the processes of one machine share (several app servers need Redis).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "jobs": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "crocevia-jobs",
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    _database = DATABASES["default"]
    _database_key = "|".join(
        str(_database.get(part) or "") for part in ("ENGINE", "HOST", "PORT", "NAME")
    )
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "jobs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            # This user's own (its uid in the name; the check jobs.E003 refuses one that
            # another user made or opened up: the file cache unpickles what it reads).
            "LOCATION": str(
                Path(tempfile.gettempdir())
                / (
                    f"crocevia-jobs-{os.getuid()}-"
                    f"{hashlib.sha256(_database_key.encode()).hexdigest()[:12]}"
                )
            ),
            # Culling (beyond MAX_ENTRIES) deletes keys at random, heartbeats included.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Rome")

STATIC_URL = "/static/"
# Where `crocevia collectstatic` gathers the files that WhiteNoise serves in production.
STATIC_ROOT = Path(os.environ.get("CROCEVIA_STATIC_ROOT", VAR_DIR / "static"))
# The package's own files; the npm packages the pages use (htmx) are copied into
# static/vendor/ when the package is built (setup.py), never read from node_modules.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves the collected files under names that carry a hash of their content
# (a browser never keeps an old CSS or JS after an upgrade, and may cache them for ever),
# compressed beforehand; a page naming a file that was not collected fails loudly. Tests
# and the demo (no SECRET_KEY) serve the source files as they are, found at each request,
# with nothing to collect.
STATIC_MANIFEST = PRODUCTION
STORAGES = {
    "default": {"BACKEND": "crocevia.core.storage.DatabaseStorage"},  # see CROCEVIA_FILE_STORAGE
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST

# Imports from the browser (interchange/services.py): the largest file accepted, the size
# above which a file is checked and imported in a background thread with a progress bar,
# and how long a running import may go without a heartbeat before it counts as failed.
CROCEVIA_IMPORT_MAX_BYTES = int(os.environ.get("CROCEVIA_IMPORT_MAX_MB", "50")) * 1024 * 1024
CROCEVIA_IMPORT_BACKGROUND_BYTES = int(
    os.environ.get("CROCEVIA_IMPORT_BACKGROUND_BYTES", str(1024 * 1024))
)
CROCEVIA_IMPORT_STALE_SECONDS = int(os.environ.get("CROCEVIA_IMPORT_STALE_SECONDS", "120"))
# What an imported file (command or page) may hold, checked before it is parsed, so that
# a decompression bomb is refused in a second (interchange/limits.py): rows after the
# header, columns, characters in a cell; for an XLSX the size of the whole workbook
# uncompressed, of each part read whole into memory (shared strings, styles: worksheets
# are streamed), how many times a part may grow when uncompressed, and how many parts.
# The defaults admit the largest import measured (200,000 contacts: bench/import.py).
CROCEVIA_IMPORT_MAX_ROWS = int(os.environ.get("CROCEVIA_IMPORT_MAX_ROWS", "500000"))
CROCEVIA_IMPORT_MAX_COLUMNS = int(os.environ.get("CROCEVIA_IMPORT_MAX_COLUMNS", "100"))
CROCEVIA_IMPORT_MAX_CELL_CHARS = int(os.environ.get("CROCEVIA_IMPORT_MAX_CELL_CHARS", "32767"))
CROCEVIA_IMPORT_MAX_UNCOMPRESSED_MB = int(
    os.environ.get("CROCEVIA_IMPORT_MAX_UNCOMPRESSED_MB", "100")
)
CROCEVIA_IMPORT_MAX_PART_MB = int(os.environ.get("CROCEVIA_IMPORT_MAX_PART_MB", "32"))
CROCEVIA_IMPORT_MAX_ZIP_RATIO = int(os.environ.get("CROCEVIA_IMPORT_MAX_ZIP_RATIO", "200"))
CROCEVIA_IMPORT_MAX_ZIP_MEMBERS = int(os.environ.get("CROCEVIA_IMPORT_MAX_ZIP_MEMBERS", "1000"))
# Largest signed agreement document accepted (network app).
CROCEVIA_AGREEMENT_MAX_BYTES = int(
    os.environ.get("CROCEVIA_AGREEMENT_MAX_BYTES", str(20 * 1024 * 1024))
)

# Files (agreement documents, uploads): never on an app server's disk, so any server
# serves any request. By default in the database (core/storage.py, in chunks of
# CROCEVIA_FILE_CHUNK_BYTES), so one database backup holds everything; or, with
# CROCEVIA_FILE_STORAGE=s3, in an S3-compatible bucket through django-storages (the
# `s3` extra), private, each read checked by the view that streams it. The keys come
# from boto3's usual places (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or a role).
CROCEVIA_FILE_STORAGE = os.environ.get("CROCEVIA_FILE_STORAGE", "database").strip().lower()
CROCEVIA_FILE_CHUNK_BYTES = int(os.environ.get("CROCEVIA_FILE_CHUNK_BYTES", str(1024 * 1024)))
if CROCEVIA_FILE_STORAGE == "database":
    STORAGES["default"] = {"BACKEND": "crocevia.core.storage.DatabaseStorage"}
elif CROCEVIA_FILE_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            # A file read is spooled to a temporary file past 2 MiB, not held in memory.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }
    if not STORAGES["default"]["OPTIONS"]["bucket_name"]:
        raise ValueError("CROCEVIA_FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
else:
    raise ValueError("CROCEVIA_FILE_STORAGE must be 'database' or 's3'.")

# The witness of the audit chain (`crocevia audit anchor`, audit/witness.py): an append-only
# file outside the database, on another disk or host (none by default: nothing is written
# on an app server's disk); and the data protection officer's address, to which the
# day's anchor is mailed (none: no mail).
CROCEVIA_AUDIT_WITNESS = (
    Path(os.environ["CROCEVIA_AUDIT_WITNESS"])
    if os.environ.get("CROCEVIA_AUDIT_WITNESS", "").strip()
    else None
)
CROCEVIA_DPO_EMAIL = os.environ.get("CROCEVIA_DPO_EMAIL", "")
# Outgoing mail (notifications, the DPO's anchors): an SMTP server. Without EMAIL_HOST
# (the demo, a desk trying it out) mail is written to the console of the process that
# sends it, the worker's.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A server that accepts the connection and then hangs must not hold a worker for ever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crocevia@localhost")
if not EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The job queue (Django's Tasks API, the django-tasks backport): jobs are rows of the
# database, written in the transaction that enqueues them, so a job is never lost nor run
# for a change that was rolled back. Workers run as their own processes:
# `crocevia worker` (README, "The worker").
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# Each worker writes a heartbeat into the "jobs" cache every HEARTBEAT seconds, valid for
# HEARTBEAT_TTL; a job running under a worker without one (killed, its host lost) is put
# back in the queue, and recorded as failed after MAX_ATTEMPTS runs (crocevia.jobs).
CROCEVIA_JOBS_HEARTBEAT_SECONDS = float(os.environ.get("CROCEVIA_JOBS_HEARTBEAT_SECONDS", "5"))
CROCEVIA_JOBS_HEARTBEAT_TTL = float(os.environ.get("CROCEVIA_JOBS_HEARTBEAT_TTL", "30"))
CROCEVIA_JOBS_MAX_ATTEMPTS = int(os.environ.get("CROCEVIA_JOBS_MAX_ATTEMPTS", "3"))
# Finished jobs are kept this many days in the jobs' admin (failed ones three times longer).
CROCEVIA_JOBS_KEEP_DAYS = int(os.environ.get("CROCEVIA_JOBS_KEEP_DAYS", "14"))


def _when(name: str, default: dict) -> dict | None:
    """When the periodic job `name` runs: CROCEVIA_JOB_<NAME> ("HH:MM" every day, local
    time; a number of seconds; "off") or the default."""
    variable = "CROCEVIA_JOB_" + name.upper().replace("-", "_")
    value = os.environ.get(variable, "").strip().lower()
    if not value:
        return default
    if value == "off":
        return None
    if re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
        return {"daily_at": value}
    if value.isdigit() and int(value) > 0:
        return {"every": int(value)}
    raise ValueError(f"{variable}: {value!r} is neither HH:MM, a number of seconds nor off.")


# The periodic jobs, enqueued by the workers (crocevia.jobs.scheduler) rather than by cron:
# "every" N seconds, or "daily_at" HH:MM local time (a run missed while no worker ran is
# made up once when one starts). One row per run makes sure a single worker enqueues it.
_PERIODIC = {
    # The safety net of the sealing after each commit (audit.chain).
    "audit-seal": ("crocevia.audit.tasks.seal_chain", {"every": 60}, {}),
    "audit-verify": ("crocevia.audit.tasks.verify_chain", {"daily_at": "02:30"}, {}),
    "notify-overdue": ("crocevia.cases.tasks.notify_overdue", {"daily_at": "06:30"}, {}),
    "notifications-digest": (
        "crocevia.notifications.tasks.send_digests",
        {"daily_at": "07:00"},
        {},
    ),
    "import-expiry": ("crocevia.interchange.tasks.expire_import_jobs", {"every": 3600}, {}),
    "downloads-expiry": ("crocevia.downloads.tasks.expire_prepared_files", {"every": 3600}, {}),
    "jobs-prune": ("crocevia.jobs.tasks.prune_history", {"daily_at": "03:30"}, {}),
}
if CROCEVIA_AUDIT_WITNESS:
    _PERIODIC["audit-anchor"] = ("crocevia.audit.tasks.anchor_chain", {"every": 600}, {})
if CROCEVIA_AUDIT_WITNESS or CROCEVIA_DPO_EMAIL:
    # The day's head, also mailed to the DPO.
    _PERIODIC["audit-anchor-daily"] = (
        "crocevia.audit.tasks.anchor_chain",
        {"daily_at": "07:00"},
        {"mail": True},
    )
CROCEVIA_PERIODIC_JOBS = {
    name: {"task": path, **when, **({"kwargs": kwargs} if kwargs else {})}
    for name, (path, default, kwargs) in _PERIODIC.items()
    if (when := _when(name, default)) is not None
}

# Notifications (notifications app): the address the links in e-mails start with, how
# many times an e-mail is tried before it is recorded as failed, and the wait before the
# first retry (doubled at each further one).
CROCEVIA_BASE_URL = os.environ.get("CROCEVIA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CROCEVIA_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("CROCEVIA_NOTIFY_MAX_ATTEMPTS", "5"))
CROCEVIA_NOTIFY_RETRY_SECONDS = int(os.environ.get("CROCEVIA_NOTIFY_RETRY_SECONDS", "60"))

COUNTRIES_FIRST = ["IT"]
COUNTRIES_OVERRIDE = {"XX": _("Stateless")}

# Pseudonymised exports (interchange/anonymity.py): every combination of the exported
# quasi-identifiers (sex, age band, citizenship, Comune's zone, permit...) is shared by at
# least this many persons. At least 2 (1 would switch the protection off).
# A referral not answered within this many working days shows as overdue to both sides.
CROCEVIA_REFERRAL_ANSWER_WORKING_DAYS = int(
    os.environ.get("CROCEVIA_REFERRAL_ANSWER_WORKING_DAYS", "5")
)
CROCEVIA_EXPORT_K = int(os.environ.get("CROCEVIA_EXPORT_K", "5"))
if CROCEVIA_EXPORT_K < 2:
    raise ValueError("CROCEVIA_EXPORT_K must be 2 or more.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint and its font library log every step of a PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
