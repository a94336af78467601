"""
Settings for the fact-check workbench.

Every value comes from the environment, with defaults that run locally with no
server at all: SQLite and a filesystem broker ("embedded mode"). `DATABASE_URL`
and `REDIS_URL` switch to PostgreSQL and Redis. README lists every variable.
"""

import datetime
import ipaddress
import math
import os
import urllib.parse
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def envbool(name, default):
    """An empty value is refused, not read as false: `SECURE_SSL_REDIRECT=`
    left in an env file turned the redirect off without a word."""
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name, default, minimum=0):
    value = env(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, not {value!r}"
        ) from None
    return at_least(name, number, minimum)


def envfloat(name, default, minimum=0):
    value = env(name, str(default))
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}")
    return at_least(name, number, minimum)


def at_least(name, number, minimum):
    # A negative count or a zero timeout is a typo, never a wish: taken as it
    # is, it stops captures, the heartbeat or login throttling without a word.
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {number}")
    return number


def envlist(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def envints(name, default):
    try:
        return [int(item) for item in envlist(name, default)]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be integers separated by commas, not {env(name)!r}"
        ) from None


def envurl(name, default="", origin=False):
    """An http or https address; an `origin` has nothing after host and port."""
    value = env(name, default).rstrip("/")
    parts = urllib.parse.urlsplit(value)
    extra = parts.path or parts.query or parts.fragment
    if parts.scheme not in ("http", "https") or not parts.hostname or origin and extra:
        example = "https://archive.example.org" if origin else "https://example.org"
        kind = "an origin (no path)" if origin else "an http or https address"
        raise ImproperlyConfigured(
            f"{name} must be {kind} such as {example}, not {value!r}"
        )
    return value


def envnetworks(name):
    try:
        return [ipaddress.ip_network(item, strict=False) for item in envlist(name)]
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{name} must list networks in CIDR form, such as 127.0.0.1/32: {error}"
        ) from None


VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", "true")
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-deploy"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}
if DEBUG and not set(ALLOWED_HOSTS) <= LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "DEBUG is on while ALLOWED_HOSTS names a public host. "
        "Set DEBUG=false for any deployment."
    )
SITE_URL = envurl("SITE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "auditlog",
    "axes",
    "dbbackup",
    "django_structlog",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the page cache, so that every page served from it gets the https
    # redirect, fresh security headers and its log lines; the rest of the
    # stack runs only for pages not in the cache (docs/decisions.md, Caching).
    "django_structlog.middlewares.RequestMiddleware",
    "claims.caching.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "claims.middleware.AuditActorMiddleware",
    "axes.middleware.AxesMiddleware",
    "claims.middleware.AdminContentSecurityPolicy",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "claims.context_processors.site",
            ],
        },
    },
]


def database_from_url(url):
    # Persistent connections, except under the development server, which
    # handles each request in a new thread (a connection per thread, left open).
    # Without them every request and every task pays for a new PostgreSQL
    # backend, about as much CPU as a capture's own queries.
    max_age = envint("CONN_MAX_AGE", 0 if DEBUG else 60)
    try:
        config = dj_database_url.parse(url, conn_max_age=max_age)
    except ValueError:
        raise ImproperlyConfigured(
            "DATABASE_URL must look like postgres://user:password@host:5432/name "
            "or sqlite:////path/to/db.sqlite3"
        ) from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        folder = Path(config["NAME"]).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ImproperlyConfigured(
                f"Cannot create {folder} for the SQLite database ({error.strerror}); "
                "set VAR_DIR or DATABASE_URL to a folder this user may write to."
            ) from None
        # The web process and the worker write at once; WAL, IMMEDIATE
        # transactions and a busy timeout keep "database is locked" away.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL must point at PostgreSQL or SQLite, not {config['ENGINE']}"
        )
    return config


DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        "REDIS_URL must be a redis:// or rediss:// address such as "
        "redis://127.0.0.1:6379/0, or empty for embedded mode"
    )
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "factcheck")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "factcheck.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # A Redis that stops answering costs every cache call this long
            # before the page is rendered uncached; redis-py's own 5 s made
            # the list page, five calls, take 25 s.
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PUBLIC_CACHE_SECONDS = envint("PUBLIC_CACHE_SECONDS", 600 if REDIS_URL else 60)
# Figures every list page needs (charts, filter choices), kept until claims
# change; independent of whether whole pages are cached.
PUBLIC_DATA_CACHE_SECONDS = envint(
    "PUBLIC_DATA_CACHE_SECONDS", 600 if REDIS_URL else 60
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Berlin")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (ValueError, zoneinfo.ZoneInfoNotFoundError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be a time zone name such as Europe/Berlin, not {TIME_ZONE!r}"
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("ARCHIVE_ROOT", str(VAR_DIR / "archive")))
# Archived files go to the filesystem, or to S3-compatible object storage
# (shared by workers on several machines) when ARCHIVE_S3_BUCKET is set.
ARCHIVE_S3_BUCKET = env("ARCHIVE_S3_BUCKET")
if ARCHIVE_S3_BUCKET:
    ARCHIVE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ARCHIVE_S3_BUCKET,
            "endpoint_url": env("ARCHIVE_S3_ENDPOINT_URL") or None,
            "region_name": env("ARCHIVE_S3_REGION") or None,
            "access_key": env("ARCHIVE_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("ARCHIVE_S3_SECRET_ACCESS_KEY") or None,
            "location": env("ARCHIVE_S3_PREFIX"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    ARCHIVE_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
BACKUP_DIR = Path(env("BACKUP_DIR", str(VAR_DIR / "backups")))
STORAGES = {
    "default": ARCHIVE_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # A database backup holds password hashes, live sessions and drafts:
    # readable by the user that made it only, whatever the umask.
    "dbbackup": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(BACKUP_DIR),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}

LOGIN_URL = "admin:login"

SITE_NAME = env("SITE_NAME", "Factcheck workbench")
PUBLISHER_NAME = env("PUBLISHER_NAME", "Factcheck workbench demo desk")
PUBLISHER_URL = envurl("PUBLISHER_URL", SITE_URL)

# The audit trail that superusers read in the admin (Audit log → Log entries).
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "claims.Claim", "m2m_fields": {"topics"}},
    "claims.Source",
    "claims.VerdictChange",
    "claims.Party",
    "claims.Topic",
    "claims.Rating",
)

# Capture: what the workers may fetch, and how hard they try.
CAPTURE_ALLOW_NETWORKS = envnetworks("CAPTURE_ALLOW_NETWORKS")
CAPTURE_ALLOWED_PORTS = envints("CAPTURE_ALLOWED_PORTS", "80,443")
CAPTURE_DEADLINE = envint("CAPTURE_DEADLINE", 120, minimum=1)
CAPTURE_CONNECT_TIMEOUT = envint("CAPTURE_CONNECT_TIMEOUT", 10, minimum=1)
CAPTURE_READ_TIMEOUT = envint("CAPTURE_READ_TIMEOUT", 30, minimum=1)
CAPTURE_MAX_BYTES = envint("CAPTURE_MAX_MB", 250, minimum=1) * 1024 * 1024
CAPTURE_MAX_REDIRECTS = envint("CAPTURE_MAX_REDIRECTS", 10)
CAPTURE_MAX_ATTEMPTS = envint("CAPTURE_MAX_ATTEMPTS", 5, minimum=1)
CAPTURE_RETRY_BASE = envfloat("CAPTURE_RETRY_BASE", 30)
CAPTURE_RETRY_MAX = envint("CAPTURE_RETRY_MAX", 3600)
CAPTURE_PER_HOST_CONCURRENCY = envint("CAPTURE_PER_HOST_CONCURRENCY", 2, minimum=1)
CAPTURE_PER_HOST_INTERVAL = envfloat("CAPTURE_PER_HOST_INTERVAL", 1.0)
CAPTURE_RECHECK_INTERVAL = envint("CAPTURE_RECHECK_HOURS", 24, minimum=1) * 3600
CAPTURE_RECHECK_BATCH = envint("CAPTURE_RECHECK_BATCH", 500)
CAPTURE_SWEEP_INTERVAL = envint("CAPTURE_SWEEP_SECONDS", 60, minimum=1)
ARCHIVE_PLAYBACK_ORIGIN = env("ARCHIVE_PLAYBACK_ORIGIN") and envurl(
    "ARCHIVE_PLAYBACK_ORIGIN", origin=True
)
# How long the link that plays a draft's archived copy there stays valid
# (claims.views.playback_url).
PLAYBACK_GRANT_SECONDS = envint("PLAYBACK_GRANT_SECONDS", 3600, minimum=1)
# Finished captures refresh their claim's search vector after this many
# seconds, together (claims.search.refresh_soon); while the claim's other
# sources are still being archived, the refresh waits for them up to
# SEARCH_REFRESH_MAX_WAIT seconds.
SEARCH_REFRESH_DELAY = envint("SEARCH_REFRESH_DELAY", 5)
SEARCH_REFRESH_MAX_WAIT = envint("SEARCH_REFRESH_MAX_WAIT", 60)
# Claims per task when many are rebuilt at once (a claimant renamed).
SEARCH_REFRESH_BATCH = envint("SEARCH_REFRESH_BATCH", 100, minimum=1)

# Celery is set up to lose nothing: a task is acknowledged only when it has
# run, is requeued when its worker dies, and each worker takes one at a time.
# The time limits sit above the capture deadline, the broker's visibility
# timeout above the time limits, and a capture's lease above the hard limit.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = envint("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200)
# A pool child keeps the memory of its largest capture (neither CPython nor
# malloc hands it back); replace a child whose peak RSS passed this (KiB) once
# the task that got it there has ended.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", 150 * 1024
)
CELERY_WORKER_CONCURRENCY = envint("CELERY_WORKER_CONCURRENCY", 4, minimum=1)
CAPTURE_PROCESSING_TIME = envint("CAPTURE_PROCESSING_SECONDS", 60, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = CAPTURE_DEADLINE + CAPTURE_PROCESSING_TIME
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + CAPTURE_PROCESSING_TIME // 2
CAPTURE_LEASE = CELERY_TASK_TIME_LIMIT + CAPTURE_PROCESSING_TIME // 2
# Redis hands a message that was not acknowledged within the visibility timeout
# to another worker. Below the lease, a capture still running would be started
# a second time; and a retry queued with a countdown is held unacknowledged
# for the countdown plus its run, so countdowns stop short of the timeout
# (longer waits are left to the sweep).
VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", CAPTURE_LEASE + 300)
if VISIBILITY_TIMEOUT <= CAPTURE_LEASE:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT must be above the capture lease of "
        f"{CAPTURE_LEASE} seconds, not {VISIBILITY_TIMEOUT}"
    )
CAPTURE_MAX_COUNTDOWN = VISIBILITY_TIMEOUT - CAPTURE_LEASE
#
# Without REDIS_URL the broker is a folder that needs no server. Lost messages
# are harmless either way: the database row is the job, and the sweep
# re-queues it. (The folder's transport ignores the host; naming one spares
# the console kombu's warning that none was given.)
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": VISIBILITY_TIMEOUT}
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "control_folder": str(VAR_DIR / "broker-control"),
    }
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup closes the database connection before and after every
# task, whatever CONN_MAX_AGE says (celery/celery#9824 reverted honouring it),
# unless this is set. Out of reach here: instead each task starts and ends as
# a Django request does, closing connections past CONN_MAX_AGE or broken
# (factcheck/celery.py). The fixup still closes them after a fork.
CELERY_DB_REUSE_MAX = 10**9
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
if not CELERY_TASK_DEFAULT_QUEUE.strip():
    # Compose's workers would take "celery" (${CELERY_QUEUE:-celery}) while
    # every task went to a queue named "".
    raise ImproperlyConfigured("CELERY_QUEUE must name a queue, such as celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that saves a source must not hang when the broker is down: try
# briefly, then leave the job to the sweep.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2}
CELERY_BEAT_SCHEDULE = {
    "sweep-captures": {
        "task": "claims.tasks.sweep_captures",
        "schedule": CAPTURE_SWEEP_INTERVAL,
    },
    "recheck-live-pages": {
        "task": "claims.tasks.recheck_live_pages",
        "schedule": 3600,
    },
}

# The public, read-only JSON API.
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON is the only format, so ?format= is an unknown parameter like any
    # other, ignored, rather than a 404 for a list that exists.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Factcheck workbench API",
    "DESCRIPTION": "Read-only access to published fact-checks, their sources, "
    "archived captures and the verdict scale.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Production hardening: on whenever DEBUG is off. `manage.py check --deploy
# --fail-level WARNING` passes with these.
SECURE = not DEBUG
if envbool("BEHIND_TLS_PROXY", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(SECURE))
# Load balancers often probe over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^ping$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# __Host- cookies are bound to this host, over HTTPS, for the whole site.
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE else "csrftoken"
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# Content-Security-Policy (Django's own): no inline scripts or styles on public
# pages. Archived pages get a stricter, sandboxed policy of their own.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'", *filter(None, [ARCHIVE_PLAYBACK_ORIGIN])],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
ADMIN_CSP = SECURE_CSP | {"style-src": ["'self'", "'unsafe-inline'"]}

# Admin login throttling (django-axes): lock a username, and separately an
# address, after AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES. Behind
# TRUSTED_PROXY_COUNT proxies the client address is read from X-Forwarded-For,
# counting from the right, so a client cannot spoof it; with no proxy only
# REMOTE_ADDR counts (factcheck/client_ip.py).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "factcheck.client_ip.client_ip"
# Not its banner at every start of every command (`make run` printed it
# three times); lockouts are still logged, with the username and address.
AXES_VERBOSE = False

# Backups (django-dbbackup): `manage.py backup` / `manage.py restore`.
DBBACKUP_CLEANUP_KEEP = envint("BACKUP_KEEP", 10)
DBBACKUP_SEND_EMAIL = False

# Health: a worker, a worker of the search queue and beat must have checked
# in within this many seconds.
HEARTBEAT_INTERVAL = envint("HEARTBEAT_SECONDS", 30, minimum=1)
HEARTBEAT_STALE_AFTER = HEARTBEAT_INTERVAL * 4
CELERY_BEAT_SCHEDULE["heartbeat"] = {
    "task": "claims.tasks.heartbeat",
    "schedule": HEARTBEAT_INTERVAL,
}
# The same for the workers of the search queue (factcheck.celery.route).
CELERY_BEAT_SCHEDULE["search-heartbeat"] = {
    "task": "claims.tasks.search_heartbeat",
    "schedule": HEARTBEAT_INTERVAL,
}

# Structured logs: one JSON object a line (LOG_FORMAT=json, the default when
# DEBUG is off) or readable lines, each with the request or task id.
LOG_FORMAT = env("LOG_FORMAT", "console" if DEBUG else "json")
LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(
        f"LOG_FORMAT must be json or console, not {LOG_FORMAT!r}"
    )
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# django-structlog's own "ip" comes from ipware, which believes whatever
# X-Forwarded-For a client sends; factcheck.logging binds client_ip() instead.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "factcheck.logging.formatter",
            "json": LOG_FORMAT == "json",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django_structlog": {"level": LOG_LEVEL},
    },
}
