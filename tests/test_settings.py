"""Settings read from the environment, and SQLite that two processes can share."""

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
        "filesystem://",
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
        "django.core.cache.backends.redis.RedisCache",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false, not 'maybe'"),
        ({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE must be an integer"),
        (
            {"DATABASE_URL": "mysql://u@h/db"},
            "DATABASE_URL must point at PostgreSQL or SQLite",
        ),
        ({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is off."),
        ({"ALLOWED_HOSTS": "factcheck.example.org"}, "DEBUG is on while ALLOWED_HOSTS"),
    ],
)
def test_wrong_settings_fail_loudly(env, message):
    result = django_check(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_sqlite_uses_wal_and_immediate_transactions(tmp_path):
    from factcheck.settings import database_from_url

    config = database_from_url(f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] >= 5
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def run_writers(tmp_path, mode, processes=2, iterations=150):
    path = tmp_path / f"{mode}.sqlite3"
    with sqlite3.connect(path) as connection:
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
