"""The production stack, started here without Docker.

gunicorn, a celery worker and celery beat run as separate processes with the
commands docker/compose.yaml gives them, DEBUG off, against the local
PostgreSQL (a database of their own, dropped afterwards) and Redis (a queue
and key prefix of their own). A capture goes through the whole stack, from a
published claim to the archived copy served by gunicorn; then the worker and
beat stop and /healthz notices.
"""

import contextlib
import gzip
import hashlib
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
import yaml

from tests.capture_servers import Server, redirect, respond
from tests.test_docker import interpolate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
VENV_BIN = Path(sys.executable).parent
HEARTBEAT_SECONDS = 1
STALE_AFTER = 4 * HEARTBEAT_SECONDS  # settings.HEARTBEAT_STALE_AFTER

TITLE = "Stack report: the bridge at Zaporizhzhia stands"
SENTENCE = (
    "Engineers inspected the bridge on Monday morning and found every span intact."
)
PAGE = (
    f"<html><head><title>{TITLE}</title></head><body><article>"
    f"<h1>{TITLE}</h1><p>{SENTENCE} The ministry's claim that it had been "
    "destroyed overnight is contradicted by photographs taken at dawn.</p>"
    "<p>Traffic resumed in both directions shortly after nine o'clock, the "
    "regional administration said in a statement.</p></article></body></html>"
).encode()
STATEMENT = "The bridge at Zaporizhzhia was destroyed overnight."

# Run in `manage.py shell` against the stack's database: a published claim
# citing the local page. Saving the source queues its capture.
CREATE_CLAIM = """
import json, os
from django.contrib.auth.models import Group, User
from claims import services
from claims.models import Claim, Party, Rating, Source

reviewer = User.objects.create_user("stack-reviewer", is_staff=True)
reviewer.groups.add(Group.objects.get(name="Reviewers"))
reviewer = User.objects.get(pk=reviewer.pk)
party = Party.objects.create(
    name="Ministry of Bridges", slug="ministry-of-bridges", kind="organisation"
)
claim = Claim.objects.create(
    statement=os.environ["STACK_STATEMENT"], slug="stack-claim", language="en",
    claimant=party, summary="Photographs at dawn show the bridge intact.",
)
source = Source.objects.create(
    claim=claim, party=party, stance=Source.Stance.DISPUTES,
    url=os.environ["STACK_PAGE_URL"], publisher="Stack Gazette",
)
services.change_status(claim=claim, user=reviewer, status=Claim.Status.IN_REVIEW)
services.set_verdict(
    claim=claim, reviewer=reviewer, rating=Rating.objects.get(slug="false"),
    note="The bridge stands.",
)
services.change_status(claim=claim, user=reviewer, status=Claim.Status.PUBLISHED)
source.refresh_from_db()
print(json.dumps({"slug": claim.slug, "capture": source.latest_capture_id}))
"""


def compose_command(service, replacements, env):
    """The service's command from docker/compose.yaml, interpolated from `env`
    as Compose would from the shell, with container paths and names replaced
    by what they are on this machine."""
    command = [
        interpolate(part, env) for part in COMPOSE["services"][service]["command"]
    ]
    return [replacements.get(part, part) for part in command]


def compose_health_test(service, replacements):
    """The service's compose health check as a command line for this machine."""
    kind, *test = COMPOSE["services"][service]["healthcheck"]["test"]
    test = [part.replace("$$", "$") for part in test]
    for old, new in replacements.items():
        test = [part.replace(old, new) for part in test]
    return test if kind == "CMD" else ["sh", "-c", test[0]]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


NO_REDIRECTS = urllib.request.build_opener(NoRedirect)


def compose_default(name):
    """The default docker/compose.yaml gives a workbench setting."""
    value = COMPOSE["x-app"]["environment"][name]
    return re.fullmatch(rf"\$\{{{name}:-(.*)\}}", value)[1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url, name):
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def wait_for(condition, timeout, interval=0.1, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"not within {timeout} s: {what or condition.__doc__}")


class Process:
    """A command in a process group of its own, its output in a log file."""

    def __init__(self, name, command, env, log_dir):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def running(self):
        return self.popen.poll() is None

    def terminate(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self, timeout=15):
        """SIGTERM to the group (a warm shutdown), SIGKILL for what is left."""
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def log_tail(self, lines=40):
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Stack:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.name = f"factcheck_stack_{uuid.uuid4().hex[:10]}"
        configured = os.environ.get("DATABASE_URL", "")
        if not configured.startswith(("postgres://", "postgresql://")):
            configured = "postgres://postgres@127.0.0.1:5432/postgres"
        self.server_url = with_database(configured, "postgres")
        self.database_url = with_database(configured, self.name)
        self.redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        self.port = free_port()
        self.node = f"stack-{uuid.uuid4().hex[:10]}"  # the worker's "host name"
        self.var_dir = tmp_path / "var"
        self.processes = {}
        app_settings = set(COMPOSE["x-app"]["environment"]) | set(
            COMPOSE["services"]["web"]["environment"]
        )
        inherited = {
            key: value for key, value in os.environ.items() if key not in app_settings
        }
        self.env = {
            **inherited,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "factcheck.settings",
            "DEBUG": "false",
            "SECRET_KEY": f"stack-test-{uuid.uuid4().hex}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_QUEUE": self.name,
            "CACHE_KEY_PREFIX": self.name,
            "ARCHIVE_ROOT": str(tmp_path / "archive"),
            "BACKUP_DIR": str(tmp_path / "backups"),
            "VAR_DIR": str(self.var_dir),
            "HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
            "CELERY_WORKER_CONCURRENCY": "2",
            "WEB_CONCURRENCY": "2",
            "CAPTURE_ALLOW_NETWORKS": "127.0.0.0/8",
            "LOG_FORMAT": "json",
            "HOSTNAME": self.node,
        }
        # Container paths and names in compose.yaml, as they are here.
        self.replacements = {
            "0.0.0.0:8000": f"127.0.0.1:{self.port}",
            "127.0.0.1:8000": f"127.0.0.1:{self.port}",
            "celery@%h": f"celery@{self.node}",
            "search@%h": f"search@{self.node}",
            "/data/var/celerybeat-schedule": str(self.var_dir / "celerybeat-schedule"),
        }

    # setting up and tearing down

    def create(self):
        self.var_dir.mkdir()
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')
        self.manage("migrate", "--noinput", "--verbosity", "0")
        # Into STATIC_ROOT, hashed and compressed: DEBUG is off.
        self.manage("collectstatic", "--noinput", "--verbosity", "0")

    def destroy(self):
        for process in self.processes.values():
            process.stop()
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        client = redis.Redis.from_url(self.redis_url)
        keys = [self.name, f"_kombu.binding.{self.name}"]
        keys += list(client.scan_iter(match=f"{self.name}*"))
        client.delete(*keys)

    # the processes

    def environment(self, changes):
        """This stack's environment with `changes`; None removes a variable."""
        env = {**self.env, **changes}
        return {key: value for key, value in env.items() if value is not None}

    def start(self, service, name=None, port=None, env=None):
        """Run the service's compose command, on another port if given."""
        replacements = dict(self.replacements)
        if port:
            replacements["0.0.0.0:8000"] = f"127.0.0.1:{port}"
        environment = self.environment(env or {})
        command = compose_command(service, replacements, environment)
        name = name or service
        self.processes[name] = Process(name, command, environment, self.tmp)
        return self.processes[name]

    def health_check(self, service, replacements=None, env=None):
        """Start the service's compose health check; returns the process."""
        return subprocess.Popen(
            compose_health_test(service, {**self.replacements, **(replacements or {})}),
            cwd=ROOT,
            env=self.environment(env or {}),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def manage(self, *args, **env):
        result = subprocess.run(
            ["python", "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"manage.py {args[0]}: {result.stderr}"
        return result

    def logs(self):
        return "\n".join(
            f"--- {name} ---\n{process.log_tail()}"
            for name, process in self.processes.items()
        )

    # talking to it

    def get(self, path, headers=None, port=None):
        """(status, headers, body) of a GET to gunicorn; redirects not followed."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port or self.port}{path}", headers=headers or {}
        )
        try:
            with NO_REDIRECTS.open(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read()

    def health(self):
        status, _, body = self.get("/healthz")
        return status, json.loads(body)

    def capture_row(self, capture_id):
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(
                "SELECT state, payload_sha256, title, text, error "
                "FROM claims_capture WHERE id = %s",
                [capture_id],
            ).fetchone()


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path)
    try:
        stack.create()
        yield stack
    finally:
        try:
            print(stack.logs())  # shown when the test fails
        finally:
            stack.destroy()


@pytest.fixture
def cited_page():
    """The cited page; it answers only once `release` is set, so the test can
    look at the stack while the capture is in progress."""
    release = threading.Event()

    def held_back(handler):
        release.wait(30)
        respond(PAGE, headers=(("Content-Type", "text/html; charset=utf-8"),))(handler)

    with Server({"/report": held_back}) as server:
        server.release = release
        yield server
        release.set()


def test_stack_archives_a_cited_page_serves_it_and_reports_its_health(
    stack, cited_page
):
    web = stack.start("web")
    worker = stack.start("worker")
    search_worker = stack.start("search-worker")
    beat = stack.start("beat")

    def healthy():
        """/healthz answers 200"""
        running = (web, worker, search_worker, beat)
        assert all(process.running() for process in running), stack.logs()
        try:
            return stack.health()[0] == 200
        except OSError:
            return False  # gunicorn is not listening yet

    wait_for(healthy, timeout=40)
    status, health = stack.health()
    assert health["status"] == "ok"
    assert health["worker"]["ok"] and health["beat"]["ok"]
    assert health["search_worker"]["ok"]
    services = ("web", "worker", "search-worker", "beat")
    checks = {name: stack.health_check(name) for name in services}
    for name, check in checks.items():
        assert check.wait(30) == 0, f"{name} health check: {check.stdout.read()}"

    # A published claim cites the page; its capture starts at once.
    created = stack.manage(
        "shell",
        "-c",
        CREATE_CLAIM,
        STACK_PAGE_URL=cited_page.url("/report"),
        STACK_STATEMENT=STATEMENT,
    )
    claim = json.loads(created.stdout.strip().splitlines()[-1])
    claim_path, archive_path = (
        f"/claims/{claim['slug']}/",
        f"/archive/{claim['capture']}/",
    )
    wait_for(lambda: "/report" in cited_page.requests, timeout=20, what="a fetch")

    status, _, body = stack.get(claim_path)
    page = body.decode()
    assert status == 200
    assert html.escape(STATEMENT, quote=False) in page
    assert "Archived copy: not yet available." in page
    assert archive_path not in page
    assert stack.get(archive_path)[0] == 404

    cited_page.release.set()

    def finished():
        """the capture is archived"""
        row = stack.capture_row(claim["capture"])
        return row if row[0] in ("succeeded", "failed") else None

    state, payload_sha256, title, text, error = wait_for(finished, timeout=30)
    assert (state, error) == ("succeeded", "")
    assert payload_sha256 == hashlib.sha256(PAGE).hexdigest()
    assert title == TITLE
    assert SENTENCE in text

    # The worker's change reaches gunicorn's cached page (Redis cache).
    status, _, body = stack.get(claim_path)
    page = body.decode()
    assert status == 200
    assert f'href="{archive_path}"' in page
    assert "Archived copy: not yet available." not in page

    def found_by_archived_text():
        """the search worker made the archived text searchable"""
        return f'href="{claim_path}"' in stack.get("/?q=engineers")[2].decode()

    wait_for(found_by_archived_text, timeout=40)  # the capture worker won't

    status, _, body = stack.get(archive_path)
    archived = body.decode()
    assert status == 200
    assert TITLE in archived
    assert SENTENCE in archived
    assert payload_sha256 in archived
    assert cited_page.url("/report") in archived

    # The stylesheet: hashed name, served by whitenoise, cached for years,
    # compressed at build time.
    stylesheet = re.search(r'href="(/static/claims/site\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "no hashed stylesheet link (is DEBUG off?)"
    status, headers, body = stack.get(
        stylesheet[1], headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip"
    collected = ROOT / "staticfiles" / stylesheet[1].removeprefix("/static/")
    assert gzip.decompress(body) == collected.read_bytes()

    # Behind a TLS proxy, as compose.yaml sets web up by default: plain http
    # is redirected to https, yet the web health check, which says what the
    # proxy would say, gets through to /healthz.
    behind_proxy = {
        "ALLOWED_HOSTS": "factcheck.example.org",
        "BEHIND_TLS_PROXY": compose_default("BEHIND_TLS_PROXY"),
        "TRUSTED_PROXY_COUNT": compose_default("TRUSTED_PROXY_COUNT"),
        "SECURE_SSL_REDIRECT": None,  # the workbench's default: on
    }
    assert behind_proxy["BEHIND_TLS_PROXY"] == "true"
    proxied_port = free_port()
    proxied = stack.start("web", "web-behind-proxy", proxied_port, behind_proxy)

    def redirects():
        """gunicorn behind the proxy answers"""
        assert proxied.running(), stack.logs()
        with contextlib.suppress(OSError):
            return stack.get(
                "/robots.txt", {"Host": "factcheck.example.org"}, proxied_port
            )

    status, headers, _ = wait_for(redirects, timeout=30)
    assert status == 301
    assert headers["Location"] == "https://factcheck.example.org/robots.txt"
    check = stack.health_check(
        "web", {"127.0.0.1:8000": f"127.0.0.1:{proxied_port}"}, behind_proxy
    )
    assert check.wait(30) == 0, check.stdout.read()
    proxied.stop()
    # A redirect fails the check, even to a page that answers 200.
    with Server({"/healthz": redirect("/ok"), "/ok": respond(b"{}")}) as redirector:
        check = stack.health_check(
            "web", {"127.0.0.1:8000": f"127.0.0.1:{redirector.port}"}, behind_proxy
        )
        assert check.wait(30) != 0, "a redirect passed the web health check"
        assert redirector.requests == ["/healthz"]

    # Worker and beat go away: /healthz says so once their heartbeats are stale.
    status, health = stack.health()
    assert status == 200, health
    for process in (worker, beat):
        process.terminate()
    worker.stop()
    beat.stop()
    stopped = time.monotonic()
    # (with a shorter wait for the ping's answer than in compose.yaml)
    worker_check = stack.health_check("worker", {"--timeout 10": "--timeout 3"})

    def both_stale():
        """/healthz answers 503 with worker and beat stale"""
        status, health = stack.health()
        stale = not health["worker"]["ok"] and not health["beat"]["ok"]
        return (status, health) if status == 503 and stale else None

    status, health = wait_for(both_stale, timeout=STALE_AFTER + 5)
    assert time.monotonic() - stopped <= STALE_AFTER + 5
    assert health["status"] == "down"
    assert health["database"]["ok"] and health["redis"]["ok"]
    assert web.running()
    for name in ("web", "beat"):
        check = stack.health_check(name)
        assert check.wait(30) != 0, f"{name} health check passed with beat stopped"
    assert worker_check.wait(30) != 0, "worker health check passed with no worker"
