"""Settings read from the environment, and SQLite that two processes can share."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def django_check(**env):
    """Import the settings in a fresh process with exactly `env` on top of PATH."""
    environment = {"PATH": os.environ["PATH"], "VAR_DIR": env.pop("VAR_DIR", "/tmp/fc")}
    environment.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os;"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'factcheck.settings');"
            "django.setup(); from django.conf import settings;"
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL,"
            " settings.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_are_embedded_sqlite_and_filesystem_broker(tmp_path):
    result = django_check(VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://localhost/",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_urls_switch_to_postgres_and_redis():
    result = django_check(
        DATABASE_URL="postgres://u@db.internal/fc", REDIS_URL="redis://cache:6379/1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache:6379/1",
        "factcheck.cache.RedisCache",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false, not 'maybe'"),
        # An empty value had read as false: the redirect and HSTS turned off.
        (
            {"SECURE_SSL_REDIRECT": ""},
            "SECURE_SSL_REDIRECT must be true or false, not ''",
        ),
        ({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE must be an integer"),
        (
            {"DATABASE_URL": "mysql://u@h/db"},
            "DATABASE_URL must point at PostgreSQL or SQLite",
        ),
        ({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is off."),
        ({"ALLOWED_HOSTS": "factcheck.example.org"}, "DEBUG is on while ALLOWED_HOSTS"),
        (
            {"SEARCH_REFRESH_BATCH": "0"},
            "SEARCH_REFRESH_BATCH must be 1 or more, not 0",
        ),
        # Once taken as they were: with -1 proxies login throttling counted
        # an address the client wrote into X-Forwarded-For itself.
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT must be 0 or more"),
        ({"HEARTBEAT_SECONDS": "0"}, "HEARTBEAT_SECONDS must be 1 or more, not 0"),
        ({"CAPTURE_DEADLINE": "-5"}, "CAPTURE_DEADLINE must be 1 or more, not -5"),
        (
            {"CAPTURE_PER_HOST_INTERVAL": "nan"},
            "CAPTURE_PER_HOST_INTERVAL must be a number, not 'nan'",
        ),
        # These started, then failed on first use (every page a 500) or wrote
        # links without a host into feeds, sitemap and ClaimReview.
        ({"DATABASE_URL": "postgres//u@h/db"}, "DATABASE_URL must look like"),
        ({"DATABASE_URL": ""}, "DATABASE_URL must look like"),
        ({"REDIS_URL": "http://127.0.0.1:6379/0"}, "REDIS_URL must be a redis://"),
        ({"SITE_URL": "factcheck.example.org"}, "SITE_URL must be an http or https"),
        ({"PUBLISHER_URL": "desk"}, "PUBLISHER_URL must be an http or https"),
        (
            {"ARCHIVE_PLAYBACK_ORIGIN": "https://archive.example.org/copies"},
            "ARCHIVE_PLAYBACK_ORIGIN must be an origin (no path)",
        ),
        ({"TIME_ZONE": "Europe/Berln"}, "TIME_ZONE must be a time zone name"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR"),
        ({"CELERY_QUEUE": ""}, "CELERY_QUEUE must name a queue"),
    ],
)
def test_wrong_settings_fail_loudly(env, message):
    result = django_check(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"BACKUP_KEEP": "0"},
        {"PUBLIC_CACHE_SECONDS": "0"},
        {"CAPTURE_PER_HOST_INTERVAL": "0"},
        {"CAPTURE_MAX_REDIRECTS": "0"},
        {"LOG_LEVEL": "debug"},
        {"ARCHIVE_PLAYBACK_ORIGIN": "https://archive.example.org:8443/"},
    ],
)
def test_documented_zeros_and_plain_spellings_are_accepted(env):
    result = django_check(**env)
    assert result.returncode == 0, result.stderr


def test_a_command_starts_without_the_login_throttles_banner():
    """django-axes logged "AXES: BEGIN version …" at every start of every
    command: three times among `make run`'s first lines."""
    result = django_check(LOG_LEVEL="INFO")
    assert result.returncode == 0, result.stderr
    assert "AXES" not in result.stdout + result.stderr


CELERY_CONF = (
    "import json, os;"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'factcheck.settings');"
    "import django; from factcheck.celery import app; django.setup();"
    "from django.conf import settings;"
    "from claims.tasks import capture_source; c = app.conf;"
    "print(json.dumps({'acks_late': c.task_acks_late,"
    " 'task_acks_late': capture_source.acks_late,"
    " 'reject_on_worker_lost': c.task_reject_on_worker_lost,"
    " 'prefetch': c.worker_prefetch_multiplier,"
    " 'max_tasks_per_child': c.worker_max_tasks_per_child,"
    " 'soft': c.task_soft_time_limit, 'hard': c.task_time_limit,"
    " 'visibility': c.broker_transport_options['visibility_timeout'],"
    " 'lease': settings.CAPTURE_LEASE, 'deadline': settings.CAPTURE_DEADLINE,"
    " 'countdown': settings.CAPTURE_MAX_COUNTDOWN}))"
)


def printed_by(code, **env):
    """The last line `code` prints in a fresh process with exactly `env` (on
    top of PATH and a scratch VAR_DIR)."""
    environment = {"PATH": os.environ["PATH"], "VAR_DIR": "/tmp/fc", **env}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def celery_conf(**env):
    """Celery's effective configuration in a fresh process with `env`."""
    return json.loads(printed_by(CELERY_CONF, **env))


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"REDIS_URL": "redis://cache:6379/1"},
        {"CAPTURE_DEADLINE": "600", "CAPTURE_PROCESSING_SECONDS": "5"},
        {"CELERY_VISIBILITY_TIMEOUT": "3600"},
    ],
)
def test_celery_is_set_up_to_lose_no_capture(env):
    conf = celery_conf(**env)

    assert conf["acks_late"] is True and conf["task_acks_late"] is True
    assert conf["reject_on_worker_lost"] is True
    assert conf["prefetch"] == 1
    assert conf["max_tasks_per_child"] == 200
    # Redis must not hand a running capture to a second worker, the lease must
    # outlast the hard limit, and the soft limit must leave the fetch its time.
    assert (
        conf["visibility"]
        > conf["lease"]
        > conf["hard"]
        > conf["soft"]
        > conf["deadline"]
    )
    # A queued retry is acknowledged before Redis would hand it out again.
    assert 0 < conf["countdown"] <= conf["visibility"] - conf["lease"]


def test_default_celery_limits():
    conf = celery_conf()
    assert (conf["soft"], conf["hard"], conf["lease"]) == (180, 210, 240)
    assert conf["visibility"] == 540


@pytest.mark.parametrize("timeout", ["240", "60"])
def test_visibility_timeout_at_or_below_the_lease_is_refused(timeout):
    result = django_check(CELERY_VISIBILITY_TIMEOUT=timeout)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert (
        "CELERY_VISIBILITY_TIMEOUT must be above the capture lease of 240 seconds"
        in result.stderr
    )


def test_sqlite_uses_wal_and_immediate_transactions(tmp_path):
    from factcheck.settings import database_from_url

    config = database_from_url(f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] >= 5
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def run_writers(tmp_path, mode, processes=2, iterations=150):
    path = tmp_path / f"{mode}.sqlite3"
    with sqlite3.connect(path) as connection:
        # As `migrate` leaves it before the web process and worker start: in
        # WAL mode already (two processes switching at once can collide).
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE job (id INTEGER PRIMARY KEY, value INTEGER)")
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.sqlite_writer",
                str(path),
                str(iterations),
                mode,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    locked = sum(int(writer.communicate(timeout=120)[0]) for writer in writers)
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT count(*) FROM job").fetchone()[0]
    return locked, rows


def test_two_processes_writing_sqlite_never_see_database_is_locked(tmp_path):
    locked, rows = run_writers(tmp_path, "immediate")
    assert locked == 0
    assert rows == 300


def test_deferred_transactions_would_lock(tmp_path):
    """The control: without IMMEDIATE, the same load does hit "database is locked"."""
    locked, rows = run_writers(tmp_path, "deferred", processes=3)
    assert locked > 0
    assert rows == 450 - locked


def conn_max_age(**env):
    code = (
        "import django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'factcheck.settings');"
        "django.setup(); from django.conf import settings;"
        "print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    )
    return int(printed_by(code, DATABASE_URL="postgres://u@db.internal/fc", **env))


def test_database_connections_persist_outside_the_development_server():
    production = {"DEBUG": "false", "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "x.org"}
    assert conn_max_age(**production) == 60
    assert conn_max_age(DEBUG="true") == 0
    assert conn_max_age(**production, CONN_MAX_AGE="5") == 5


def test_a_var_dir_that_cannot_be_created_says_so(tmp_path):
    """It was a FileNotFoundError or NotADirectoryError from settings.py."""
    blocked = tmp_path / "a-file"
    blocked.write_text("")

    result = django_check(VAR_DIR=str(blocked / "var"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Cannot create {blocked / 'var'} for the SQLite database" in result.stderr
    assert "set VAR_DIR or DATABASE_URL" in result.stderr
