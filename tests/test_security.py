"""Hardened production settings: deploy checks, headers, cookies, login throttling."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-production-test-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "factcheck.example.org",
    "SITE_URL": "https://factcheck.example.org",
}


def in_production(code, tmp_path, **env):
    """Run `code` with Django set up from production settings, in a new process."""
    environment = {
        **os.environ,
        **PRODUCTION,
        "VAR_DIR": str(tmp_path),
        **env,
    }
    environment.pop("DATABASE_URL", None)  # a private SQLite database
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
        " 'factcheck.settings'); django.setup()\n" + code
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_under_production_settings(tmp_path):
    env = {**os.environ, **PRODUCTION, "VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_checks_fail_with_debug_settings(tmp_path):
    """The control: the development defaults do not pass."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on


def test_production_cookies_are_secure_httponly_and_host_prefixed(tmp_path):
    code = """
from django.core.management import call_command
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import setup_test_environment
import json
call_command("migrate", verbosity=0)
User.objects.create_user("edith", password="correct horse battery", is_staff=True)
setup_test_environment()
client = Client(HTTP_HOST="factcheck.example.org")
login = client.get("/admin/login/", secure=True)
token = login.cookies["__Host-csrftoken"].value
answer = client.post("/admin/login/", {"username": "edith",
    "password": "correct horse battery", "csrfmiddlewaretoken": token},
    secure=True, HTTP_REFERER="https://factcheck.example.org/admin/login/")
cookies = {name: dict(morsel.items()) for name, morsel in answer.cookies.items()}
print(json.dumps({"status": answer.status_code, "cookies": cookies,
    "csrf": dict(login.cookies["__Host-csrftoken"].items())}))
"""
    result = in_production(code, tmp_path, SECURE_SSL_REDIRECT="false")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 302
    session = outcome["cookies"]["__Host-sessionid"]
    for cookie in (session, outcome["csrf"]):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["path"] == "/"
        assert cookie["domain"] == ""  # __Host- cookies may not name a domain
        assert cookie["samesite"] == "Lax"


def test_production_redirects_plain_http_to_https(tmp_path):
    code = """
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
response = Client(HTTP_HOST="factcheck.example.org").get("/robots.txt")
print(response.status_code, response["Location"])
"""
    result = in_production(code, tmp_path)
    assert result.stdout.split()[-2:] == [
        "301",
        "https://factcheck.example.org/robots.txt",
    ]


@pytest.fixture
def production_headers(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    return settings


def test_public_pages_send_the_security_headers(production_headers, make_claim, client):
    claim = make_claim(status=Claim.Status.PUBLISHED)
    for url in ["/", claim.get_absolute_url(), "/de/"]:
        response = client.get(url, secure=True)
        policy = response["Content-Security-Policy"]
        directives = dict(
            (part.split()[0], part.split()[1:]) for part in policy.split("; ")
        )
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in policy
        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_public_pages_carry_no_inline_script(make_claim, client):
    claim = make_claim(status=Claim.Status.PUBLISHED)
    for url in ["/", claim.get_absolute_url(), "/de/"]:
        html = client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            # Data blocks are not executed; anything else must come from a file.
            assert 'type="application/ld+json"' in tag or "src=" in tag
        assert not re.search(r"<[^>]+\son[a-z]+=", html)


# Login throttling


def failed_login(client, username, ip, forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": "wrong password"},
        **extra,
    )


def login(client, username, ip, forwarded=None):
    password = "correct horse battery"  # noqa: S105 -- the fixtures' test password
    extra = {"REMOTE_ADDR": ip}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, **extra
    )


@pytest.fixture
def throttled(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_user("rita", "Reviewers", is_staff=True)
    make_user("edith", "Editors", is_staff=True)
    return settings


def test_repeated_failures_lock_the_username(throttled):
    client = Client()
    answers = [
        failed_login(client, "rita", f"10.0.0.{n}").status_code for n in (1, 2, 3)
    ]

    locked = login(client, "rita", "10.0.0.9")  # right password, new address

    assert answers == [200, 200, 429]  # the third failure reaches the limit

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert login(Client(), "edith", "10.0.0.9").status_code == 302


def test_repeated_failures_lock_the_address(throttled):
    for username in ("anna", "bert", "carl"):
        failed_login(Client(), username, "10.0.0.1")

    assert login(Client(), "edith", "10.0.0.1").status_code == 429
    assert login(Client(), "edith", "10.0.0.2").status_code == 302


def test_spoofed_forwarded_for_is_ignored_without_a_trusted_proxy(throttled):
    for number in range(3):
        failed_login(
            Client(), f"user{number}", "10.0.0.1", forwarded=f"203.0.113.{number}"
        )

    response = login(Client(), "edith", "10.0.0.1", forwarded="198.51.100.7")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_client_address_counts(throttled):
    throttled.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.254"
    # The attacker varies what it claims; the proxy appends the real address.
    for number in range(3):
        failed_login(
            Client(),
            f"user{number}",
            proxy,
            forwarded=f"203.0.113.{number}, 198.51.100.7",
        )

    attacker = login(Client(), "edith", proxy, forwarded="1.1.1.1, 198.51.100.7")
    colleague = login(Client(), "edith", proxy, forwarded="198.51.100.8")

    assert attacker.status_code == 429
    assert colleague.status_code == 302


def logged_addresses(caplog):
    return [
        record.msg["ip"]
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request_started"
    ]


def test_forged_forwarded_for_is_not_logged_as_the_client_address(db, caplog):
    Client().get("/ping", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert logged_addresses(caplog) == ["10.0.0.1"]


def test_behind_a_trusted_proxy_the_logged_address_is_the_client(db, settings, caplog):
    settings.TRUSTED_PROXY_COUNT = 1

    Client().get(
        "/ping", REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7"
    )

    assert logged_addresses(caplog) == ["198.51.100.7"]


def test_weak_passwords_are_refused(superuser):
    from tests.conftest import client_for

    response = client_for(superuser).post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "password1": "password",
            "password2": "password",
            "usable_password": "true",
        },
    )

    errors = str(response.context["adminform"].form.errors)
    assert "This password is too common." in errors
    assert not User.objects.filter(username="newbie").exists()
