"""The fence: capture() must never reach a non-public address unless allowed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from claims.capture import FetchPolicy, Refused, capture, host_key
from claims.capture.policy import system_resolver
from claims.capture.target import parse_target, vet_addresses
from tests.capture_servers import (
    Listener,
    Server,
    block_outside_network,
    local_policy,
    redirect,
    respond,
)

PUBLIC = "93.184.216.34"  # never contacted: block_outside_network would fail the test
FAKE_DNS = {
    "internal.example": ["10.1.2.3"],
    "mapped.example": ["::ffff:10.1.2.3"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC, "127.0.0.1"],
    "public.example": [PUBLIC],
    "site-local.example": ["fec0::10"],
    "v6-loopback.example": ["::1"],
}

# (URL with {port} of a recording listener on 127.0.0.1, words the refusal must say)
HOSTILE_URLS = [
    ("http://127.0.0.1:{port}/", "127.0.0.1 is a loopback address"),
    ("HTTP://127.0.0.1:{port}/", "127.0.0.1 is a loopback address"),
    ("http://localhost:{port}/", "loopback"),
    ("http://localhost.:{port}/", "loopback"),
    ("http://2130706433:{port}/", "127.0.0.1 is a loopback address"),
    ("http://0x7f000001:{port}/", "127.0.0.1 is a loopback address"),
    ("http://0x7f.1:{port}/", "127.0.0.1 is a loopback address"),
    ("http://0177.0.0.1:{port}/", "127.0.0.1 is a loopback address"),
    ("http://0x7f.0x0.0x0.0x1:{port}/", "127.0.0.1 is a loopback address"),
    ("http://127.1:{port}/", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1.:{port}/", "127.0.0.1 is a loopback address"),
    (
        "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}/",
        "127.0.0.1 is a loopback",
    ),
    ("http://[::1]:{port}/", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]:{port}/", "127.0.0.1 is a loopback address"),
    ("http://[::ffff:7f00:1]:{port}/", "127.0.0.1 is a loopback address"),
    ("http://[::FFFF:192.168.1.1]:{port}/", "192.168.1.1 is a private address"),
    ("http://[::ffff:169.254.169.254]/", "169.254.169.254 is a link-local address"),
    ("http://[::ffff:{public}]:{port}/", "is not allowed"),
    ("http://[::127.0.0.1]:{port}/", "::7f00:1 is a reserved address"),
    ("http://[2002:7f00:1::]:{port}/", "2002:7f00:1:: is a"),
    ("http://[64:ff9b::7f00:1]:{port}/", "64:ff9b::7f00:1 is a"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/", "is a private address"),
    ("http://0.0.0.0:{port}/", "unspecified"),
    ("http://0:{port}/", "0.0.0.0 is an unspecified address"),
    ("http://[::]:{port}/", "unspecified"),
    ("http://10.0.0.1:{port}/", "10.0.0.1 is a private address"),
    ("http://172.16.0.1:{port}/", "172.16.0.1 is a private address"),
    ("http://192.168.1.1:{port}/", "192.168.1.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://100.64.0.1:{port}/", "100.64.0.1 is not a public address"),
    ("http://[fc00::1]:{port}/", "fc00::1 is a private address"),
    ("http://[fe80::1]:{port}/", "fe80::1 is a link-local address"),
    ("http://[fe80::1%25lo]:{port}/", "not a valid web address"),
    ("http://[fec0::1]:{port}/", "fec0::1 is a site-local address"),
    ("http://site-local.example/", "fec0::10 is a site-local address"),
    ("http://224.0.0.1:{port}/", "multicast"),
    ("http://[ff02::1]:{port}/", "multicast"),
    ("http://240.0.0.1:{port}/", "240.0.0.1 is a"),
    ("http://255.255.255.255:{port}/", "255.255.255.255 is a"),
    ("http://[::ffff:10.0.0.1]:{port}/", "10.0.0.1 is a private address"),
    ("http://mapped.example/", "10.1.2.3 is a private address"),
    ("http://256.0.0.1:{port}/", "not a valid address"),
    ("http://1.2.3.4.5:{port}/", "not a valid address"),
    ("http://example.com@127.0.0.1:{port}/", "user name or password"),
    ("http://user:pass@public.example/", "user name or password"),
    ("http://public.example:80\\@127.0.0.1:{port}/", "user name or password"),
    ("http://127.0.0.1:{port}#@public.example/", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1:{port}?@public.example/", "127.0.0.1 is a loopback address"),
    ("http://internal.example:{port}/", "10.1.2.3 is a private address"),
    ("http://metadata.example/", "169.254.169.254 is a link-local address"),
    ("http://mixed.example/", "127.0.0.1 is a loopback address"),
    ("http://v6-loopback.example:{port}/", "::1 is a loopback address"),
    ("http://public.example:{port}/", "is not allowed"),
    ("http://public.example:22/", "port 22 is not allowed"),
    ("file:///etc/passwd", "only http and https"),
    ("ftp://127.0.0.1:{port}/", "only http and https"),
    ("gopher://127.0.0.1:{port}/_GET", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("data:text/html,<h1>hi</h1>", "only http and https"),
    ("//127.0.0.1:{port}/", "only http and https"),
    ("http:///etc/passwd", "no site name"),
    ("http://:{port}/", "no site name"),
    ("http://" + "a" * 250 + ".example.com/", "too long"),
    ("http://bad_host!.example/", "not valid"),
    ("http://127.0.0.1:{port}/\r\nHost: evil", "control characters"),
    ("http://public.example:99999/", "not a valid web address"),
    ("http://[::1/", "not a valid web address"),
]


def fake_dns(host: str, port: int) -> list[str]:
    if host in FAKE_DNS:
        return FAKE_DNS[host]
    return system_resolver(host, port)  # localhost only: anything else fails


@pytest.fixture(autouse=True)
def outside_attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    attempts = block_outside_network(monkeypatch)
    yield attempts
    assert attempts == [], "a test tried to leave this machine"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener("127.0.0.1") as recording:
        yield recording


@pytest.mark.parametrize(("template", "reason"), HOSTILE_URLS)
def test_hostile_url_is_refused_without_any_connection(
    tmp_path: Path, listener: Listener, template: str, reason: str
) -> None:
    url = template.replace("{port}", str(listener.port)).replace("{public}", PUBLIC)
    policy = FetchPolicy(resolver=fake_dns, connect_timeout=1, deadline=3)

    with pytest.raises(Refused) as caught:
        capture(url, policy, workdir=tmp_path)

    assert reason in caught.value.message
    assert caught.value.message.startswith("Refused: ")
    assert not caught.value.transient
    assert listener.connections() == 0
    assert list(tmp_path.iterdir()) == []


def test_battery_covers_at_least_25_hostile_urls() -> None:
    assert len(HOSTILE_URLS) >= 25


def test_redirect_to_private_address_is_refused(tmp_path: Path) -> None:
    policy = local_policy("127.0.0.2/32")
    with Listener("127.0.0.1") as private:
        target = f"http://127.0.0.1:{private.port}/secret"
        with (
            Server({"/": redirect(target)}, host="127.0.0.2") as server,
            pytest.raises(Refused, match="127.0.0.1 is a loopback address"),
        ):
            capture(server.url(), policy, workdir=tmp_path)
        assert server.requests == ["/"]
        assert private.connections() == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "http://user@127.0.0.2/", "gopher://127.0.0.2/"],
)
def test_redirect_to_forbidden_url_is_refused(tmp_path: Path, location: str) -> None:
    with (
        Server({"/": redirect(location)}, host="127.0.0.2") as server,
        pytest.raises(Refused),
    ):
        capture(server.url(), local_policy("127.0.0.2/32"), workdir=tmp_path)
    assert server.requests == ["/"]


def test_redirect_to_a_malformed_link_is_refused(tmp_path: Path) -> None:
    with (
        Server({"/": redirect("http://[::1")}, host="127.0.0.2") as server,
        pytest.raises(Refused, match="not a valid web address"),
    ):
        capture(server.url(), local_policy("127.0.0.2/32"), workdir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_dns_rebinding_gets_only_the_vetted_address(tmp_path: Path) -> None:
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.2"] if len(asked) == 1 else ["127.0.0.3"]

    page = respond(b"<html><title>Real page</title><p>Served from .2</p></html>")
    policy = local_policy("127.0.0.2/32", resolver=rebinding)
    with (
        Server({"/": page}, host="127.0.0.2") as server,
        Listener("127.0.0.3", server.port) as rebound,
    ):
        artifact = capture(server.url(host="rebind.test"), policy, workdir=tmp_path)
        assert rebound.connections() == 0
    assert asked == ["rebind.test"]
    assert artifact.ip == "127.0.0.2"
    assert artifact.title == "Real page"
    assert server.request_headers[0]["Host"] == f"rebind.test:{server.port}"


def test_allowed_network_opens_any_port_but_only_inside_it(tmp_path: Path) -> None:
    page = respond(b"<html><title>Inside</title><p>allowed</p></html>")
    with Server({"/": page}, host="127.0.0.2") as server:
        artifact = capture(server.url(), local_policy("127.0.0.2/32"), workdir=tmp_path)
        with pytest.raises(Refused, match="127.0.0.1 is a loopback address"):
            capture(
                server.url(host="127.0.0.1"),
                local_policy("127.0.0.2/32"),
                workdir=tmp_path,
            )
    assert artifact.http_status == 200
    assert len(server.requests) == 1


def test_ipv4_mapped_form_of_an_allowed_address_reaches_the_ipv4_address(
    tmp_path: Path,
) -> None:
    page = respond(b"<html><title>Mapped</title><p>ok</p></html>")
    with Server({"/": page}) as server:  # listens on IPv4 only
        url = f"http://[::ffff:127.0.0.1]:{server.port}/"
        artifact = capture(url, local_policy("127.0.0.1/32"), workdir=tmp_path)
    assert artifact.ip == "127.0.0.1"
    assert artifact.final_url == url
    assert server.requests == ["/"]


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        (f"http://[::ffff:{PUBLIC}]/", []),
        ("http://[::ffff:5db8:d822]/", []),
        ("http://mapped-public.example/", [f"::ffff:{PUBLIC}"]),
    ],
)
def test_ipv4_mapped_public_address_is_judged_and_reached_as_ipv4(
    url: str, resolved: list[str]
) -> None:
    """Judged as the IPv4 address it maps, not as a reserved IPv6 address."""
    policy = FetchPolicy(resolver=lambda host, port: resolved)
    assert vet_addresses(parse_target(url, policy), policy) == [PUBLIC]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://News.Example.ORG./a", "news.example.org"),
        ("https://news.example.org:8443/b?c", "news.example.org"),
        ("http://bücher.example/", "xn--bcher-kva.example"),
        ("http://2130706433/", "127.0.0.1"),
        ("http://[::FFFF:7F00:1]/", "127.0.0.1"),
        ("http://[2001:DB8::1]/", "2001:db8::1"),
        ("file:///etc/passwd", ""),
        ("nicht einmal eine URL", ""),
    ],
)
def test_host_key_is_the_normalised_host(url: str, host: str) -> None:
    assert host_key(url) == host


def test_parse_networks_reads_a_comma_separated_cidr_list() -> None:
    assert FetchPolicy.parse_networks(" 127.0.0.1/32, 10.0.0.0/8,,::1/128 ") == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    assert FetchPolicy.parse_networks("") == ()


@pytest.mark.parametrize(
    "bad", ["10.0.0.0/33", "not-a-network", "10.0.0.0/8, 300.1.1.1"]
)
def test_parse_networks_rejects_a_bad_cidr_with_a_clear_message(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid network"):
        FetchPolicy.parse_networks(bad)


def test_default_policy_allows_no_private_network() -> None:
    policy = FetchPolicy()
    assert policy.allow_networks == ()
    assert policy.allowed_ports == (80, 443)
    assert policy.allowed_schemes == ("http", "https")
