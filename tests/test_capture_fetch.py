"""capture() against real servers on loopback: the archive, limits and errors."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import trustme

from claims.capture import (
    DEFAULT_USER_AGENT,
    FetchFailed,
    FetchTimeout,
    Hop,
    HTTPStatusError,
    Refused,
    RevisitOnly,
    RevisitTarget,
    TooLarge,
    capture,
    read_payload,
)
from tests.capture_servers import (
    Listener,
    Server,
    block_outside_network,
    chunked,
    drip,
    endless_chunks,
    local_policy,
    raw,
    raw_block,
    read_records,
    redirect,
    respond,
    warcio_check,
    zeros,
)

MB = 1024 * 1024
ARTICLE = (
    b"<!doctype html><html><head><title>Bridge Report</title></head><body>"
    b"<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
    b"<article><h1>Bridge Report</h1>"
    b"<p>The city council approved the repair of the old river bridge on Tuesday "
    b"after a debate that lasted more than four hours.</p>"
    b"<p>Work is expected to start in spring and to cost about 12 million euros, "
    b"according to the published budget documents.</p>"
    b"</article></body></html>"
)
HTML = (("Content-Type", "text/html; charset=utf-8"),)


@pytest.fixture(autouse=True)
def _stay_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    block_outside_network(monkeypatch)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_html_page_is_archived_with_title_text_and_provenance(tmp_path: Path) -> None:
    seen: list[str] = []
    with Server({"/article": respond(ARTICLE, headers=HTML)}) as server:
        url = server.url("/article")
        artifact = capture(
            url, local_policy(), workdir=tmp_path, find_revisit=seen.append
        )

    assert artifact.title == "Bridge Report"
    assert "approved the repair of the old river bridge" in artifact.text
    assert "12 million euros" in artifact.text
    assert artifact.payload_sha256 == sha256(ARTICLE) == seen[0]
    assert artifact.payload_size == len(ARTICLE)
    assert (artifact.requested_url, artifact.final_url) == (url, url)
    assert (artifact.http_status, artifact.ip) == (200, "127.0.0.1")
    assert artifact.content_type == "text/html; charset=utf-8"
    assert artifact.redirect_chain == []
    assert artifact.revisit_of is None
    assert artifact.user_agent == DEFAULT_USER_AGENT
    assert server.request_headers[0]["User-Agent"] == DEFAULT_USER_AGENT
    assert artifact.started_at.tzinfo == UTC
    assert artifact.started_at <= artifact.ended_at
    assert {"python", "warcio", "claims.capture"} <= artifact.tool_versions.keys()

    warc = artifact.warc_path
    assert list(tmp_path.iterdir()) == [warc], "spool files must be cleaned up"
    assert artifact.warc_sha256 == sha256(warc.read_bytes())
    assert artifact.warc_size == warc.stat().st_size
    check = warcio_check(warc)
    assert check.returncode == 0, check.stdout
    assert check.stdout.count("digest pass") == 4

    records = read_records(warc)
    assert [r.type for r in records] == ["warcinfo", "request", "response", "metadata"]
    info, request, response, metadata = records
    assert b"claims.capture/" in info.content
    assert DEFAULT_USER_AGENT.encode() in info.content
    for record in (request, response, metadata):
        assert record.headers["WARC-Target-URI"] == url
    response_id = response.headers["WARC-Record-ID"]
    assert request.headers["WARC-Concurrent-To"] == response_id
    assert metadata.headers["WARC-Refers-To"] == response_id
    assert response.headers["WARC-IP-Address"] == "127.0.0.1"
    assert response.content == ARTICLE

    provenance = json.loads(metadata.content)
    assert provenance["requested_url"] == provenance["final_url"] == url
    assert provenance["redirect_chain"] == []
    assert provenance["ip"] == "127.0.0.1"
    assert provenance["http_status"] == 200
    assert ["Content-Type", "text/html; charset=utf-8"] in provenance["http_headers"]
    assert provenance["started_at"] == artifact.started_at.isoformat()
    assert provenance["ended_at"] == artifact.ended_at.isoformat()
    assert provenance["user_agent"] == DEFAULT_USER_AGENT
    assert provenance["tool_versions"] == artifact.tool_versions
    assert provenance["payload_sha256"] == sha256(ARTICLE)


def test_response_record_holds_the_bytes_exactly_as_received(tmp_path: Path) -> None:
    answer = (
        b"HTTP/1.1 200 Fine Thanks\r\nx-ODD-case:   spaced value  \r\n"
        b"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    )
    with Server({"/raw": raw(answer + b"TRAILING GARBAGE")}) as server:
        artifact = capture(server.url("/raw"), local_policy(), workdir=tmp_path)

    assert raw_block(artifact.warc_path) == answer
    request = raw_block(artifact.warc_path, "request")
    assert request.startswith(
        f"GET /raw HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode()
    )
    assert f"User-Agent: {DEFAULT_USER_AGENT}\r\n".encode() in request
    assert request.endswith(b"\r\n\r\n")
    assert warcio_check(artifact.warc_path).returncode == 0


def test_interim_1xx_response_is_left_out_of_the_record(tmp_path: Path) -> None:
    final = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    )
    hints = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    with Server({"/": raw(hints + final)}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)

    assert raw_block(artifact.warc_path) == final
    assert (artifact.http_status, artifact.text) == (200, "hello")
    assert warcio_check(artifact.warc_path).returncode == 0


def test_body_delimited_by_connection_close_is_archived(tmp_path: Path) -> None:
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread until close"
    with Server({"/": raw(answer)}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)

    assert raw_block(artifact.warc_path) == answer
    assert artifact.text == "read until close"
    assert warcio_check(artifact.warc_path).returncode == 0


def test_next_vetted_address_is_tried_when_one_refuses(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.4", 0)) as probe:
        closed_port = probe.getsockname()[1]
    with Server({"/": respond(ARTICLE, headers=HTML)}, port=closed_port) as server:
        policy = local_policy(resolver=lambda host, port: ["127.0.0.4", "127.0.0.1"])
        artifact = capture(server.url(host="two.test"), policy, workdir=tmp_path)
    assert artifact.ip == "127.0.0.1"
    assert artifact.title == "Bridge Report"


def test_redirect_chain_is_recorded_hop_by_hop(tmp_path: Path) -> None:
    routes = {"/c": respond(ARTICLE, headers=HTML)}
    with Server(routes) as server:
        routes["/a"] = redirect("/b", status=302)
        routes["/b"] = redirect(server.url("/c"), status=301)
        artifact = capture(server.url("/a"), local_policy(), workdir=tmp_path)

    a, b, c = server.url("/a"), server.url("/b"), server.url("/c")
    assert artifact.redirect_chain == [
        Hop(url=a, status=302, location=b, ip="127.0.0.1"),
        Hop(url=b, status=301, location=c, ip="127.0.0.1"),
    ]
    assert (artifact.requested_url, artifact.final_url) == (a, c)
    assert artifact.title == "Bridge Report"
    records = read_records(artifact.warc_path)
    responses = [r for r in records if r.type == "response"]
    assert [r.headers["WARC-Target-URI"] for r in responses] == [a, b, c]
    provenance = json.loads(records[-1].content)
    assert [hop["status"] for hop in provenance["redirect_chain"]] == [302, 301]
    assert provenance["redirect_chain"][1]["location"] == c
    assert warcio_check(artifact.warc_path).returncode == 0


def test_too_many_redirects_are_refused(tmp_path: Path) -> None:
    with (
        Server({"/loop": redirect("/loop")}) as server,
        pytest.raises(Refused, match="redirected more than 3 times"),
    ):
        capture(server.url("/loop"), local_policy(max_redirects=3), workdir=tmp_path)
    assert len(server.requests) == 4  # the first request and three redirects
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw deflate
    ],
    ids=["gzip", "deflate", "raw-deflate"],
)
def test_compressed_body_is_decoded_for_text_and_kept_compressed_in_warc(
    tmp_path: Path, coding: str, compress: object
) -> None:
    packed = compress(ARTICLE)  # type: ignore[operator]
    headers = (*HTML, ("Content-Encoding", coding))
    with Server({"/": respond(packed, headers=headers)}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)

    assert "approved the repair" in artifact.text
    assert artifact.payload_sha256 == sha256(ARTICLE)
    assert artifact.payload_size == len(ARTICLE)
    assert raw_block(artifact.warc_path).endswith(b"\r\n\r\n" + packed)
    response = read_records(artifact.warc_path)[2]
    assert response.content == ARTICLE  # warcio decodes it back
    with artifact.warc_path.open("rb") as handle:
        headers_read, payload = read_payload(handle)
        assert b"".join(payload) == ARTICLE
    assert ("Content-Encoding", coding) in headers_read
    assert warcio_check(artifact.warc_path).returncode == 0


def test_gzip_of_two_members_is_decoded_whole(tmp_path: Path) -> None:
    packed = gzip.compress(ARTICLE[:99]) + gzip.compress(ARTICLE[99:])
    headers = (*HTML, ("Content-Encoding", "gzip"))
    with Server({"/": respond(packed, headers=headers)}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)

    assert artifact.payload_sha256 == sha256(ARTICLE)
    with artifact.warc_path.open("rb") as handle:
        assert b"".join(read_payload(handle)[1]) == ARTICLE


def test_unrequested_encoding_is_archived_undecoded(tmp_path: Path) -> None:
    body = b"\x8b\x02\x80opaque brotli-ish bytes\x03"
    headers = (("Content-Type", "text/html"), ("Content-Encoding", "br"))
    with Server({"/": respond(body, headers=headers)}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)

    assert server.request_headers[0]["Accept-Encoding"] == "gzip, deflate"
    assert artifact.payload_sha256 == sha256(body)
    assert (artifact.title, artifact.text) == ("", "")
    with artifact.warc_path.open("rb") as handle:
        assert b"".join(read_payload(handle)[1]) == body
    assert warcio_check(artifact.warc_path).returncode == 0


def test_gzip_bomb_is_stopped_at_the_body_limit(tmp_path: Path) -> None:
    bomb = gzip.compress(bytes(10 * MB))
    headers = (("Content-Type", "text/plain"), ("Content-Encoding", "gzip"))
    with (
        Server({"/bomb": respond(bomb, headers=headers)}) as server,
        pytest.raises(TooLarge) as caught,
    ):
        capture(server.url("/bomb"), local_policy(max_body_bytes=MB), workdir=tmp_path)

    assert caught.value.limit == "max_body_bytes"
    assert caught.value.limit_bytes == MB
    assert "1 MB limit" in caught.value.message
    assert not caught.value.transient
    assert list(tmp_path.iterdir()) == []


def test_chunked_body_is_archived_with_its_framing(tmp_path: Path) -> None:
    pieces = [ARTICLE[:100], ARTICLE[100:250], ARTICLE[250:]]
    with Server({"/": chunked(pieces, headers=HTML)}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)

    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    block = raw_block(artifact.warc_path)
    assert b"Transfer-Encoding: chunked\r\n" in block
    assert block.endswith(b"\r\n\r\n" + framed)
    assert artifact.payload_sha256 == sha256(ARTICLE)
    assert read_records(artifact.warc_path)[2].content == ARTICLE
    with artifact.warc_path.open("rb") as handle:
        assert b"".join(read_payload(handle)[1]) == ARTICLE
    assert warcio_check(artifact.warc_path).returncode == 0


def test_endless_chunked_body_is_stopped_at_the_wire_limit(tmp_path: Path) -> None:
    policy = local_policy(max_wire_bytes=2 * MB, max_body_bytes=100 * MB)
    with (
        Server({"/endless": endless_chunks()}) as server,
        pytest.raises(TooLarge) as caught,
    ):
        capture(server.url("/endless"), policy, workdir=tmp_path)

    assert caught.value.limit == "max_wire_bytes"
    assert "2 MB limit" in caught.value.message
    assert list(tmp_path.iterdir()) == []


def test_announced_length_over_the_wire_limit_is_refused_before_download(
    tmp_path: Path,
) -> None:
    with Server({"/big": zeros(200 * MB)}) as server:
        started = time.monotonic()
        with pytest.raises(TooLarge) as caught:
            capture(
                server.url("/big"), local_policy(max_wire_bytes=MB), workdir=tmp_path
            )
    assert caught.value.limit == "max_wire_bytes"
    assert time.monotonic() - started < 2
    assert list(tmp_path.iterdir()) == []


def test_slow_drip_is_cut_at_the_deadline(tmp_path: Path) -> None:
    policy = local_policy(deadline=1.5, read_timeout=1.0)
    with Server({"/drip": drip(interval=0.1)}) as server:
        started = time.monotonic()
        with pytest.raises(FetchTimeout) as caught:
            capture(server.url("/drip"), policy, workdir=tmp_path)
        elapsed = time.monotonic() - started

    assert 1.5 <= elapsed < 2.5
    assert caught.value.message == "The page did not finish loading within 1.5 seconds"
    assert caught.value.transient
    assert list(tmp_path.iterdir()) == []


def test_silent_server_hits_the_read_timeout(tmp_path: Path) -> None:
    policy = local_policy(read_timeout=0.5, deadline=5)
    with Listener() as silent:
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match="stopped sending data for 0.5 seconds"):
            capture(f"http://127.0.0.1:{silent.port}/", policy, workdir=tmp_path)
        assert time.monotonic() - started < 1.5


class FullBacklog:
    """A listener whose accept queue is full, so the kernel drops further
    handshakes: to a client it looks like a host that never answers."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=0)
        self.port = self._sock.getsockname()[1]
        self._fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", self.port))
            self._fillers.append(filler)
        time.sleep(0.05)

    def __enter__(self) -> FullBacklog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for filler in self._fillers:
            filler.close()
        self._sock.close()


def test_unanswered_connect_hits_the_connect_timeout(tmp_path: Path) -> None:
    policy = local_policy(connect_timeout=0.5, read_timeout=5, deadline=10)
    with FullBacklog() as full:
        started = time.monotonic()
        with pytest.raises(FetchTimeout) as caught:
            capture(f"http://127.0.0.1:{full.port}/", policy, workdir=tmp_path)
        elapsed = time.monotonic() - started

    assert 0.5 <= elapsed < 1.5
    assert caught.value.message == "127.0.0.1 did not respond in time"
    assert caught.value.transient
    assert list(tmp_path.iterdir()) == []


class ResettingServer:
    """Reads each request, then resets the first `resets` connections (RST, via
    SO_LINGER 0) and answers the others with `body`."""

    def __init__(self, resets: int, body: bytes = ARTICLE) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        self._resets = resets
        self._answer = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096) or b"\r\n\r\n"
                self.connections += 1
                if self.connections <= self._resets:
                    linger = struct.pack("ii", 1, 0)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                else:
                    conn.sendall(self._answer)

    def __enter__(self) -> ResettingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


def test_connection_reset_is_a_transient_reset_failure(tmp_path: Path) -> None:
    with ResettingServer(resets=1) as server:
        with pytest.raises(FetchFailed) as caught:
            capture(server.url(), local_policy(), workdir=tmp_path)
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)

    assert (caught.value.kind, caught.value.transient) == ("reset", True)
    assert caught.value.message == "127.0.0.1 closed the connection unexpectedly"
    assert artifact.title == "Bridge Report"  # the same server, once it answers
    assert server.connections == 2


@pytest.mark.parametrize(
    ("status", "transient"), [(404, False), (410, False), (500, True), (503, True)]
)
def test_error_status_raises_http_status_error(
    tmp_path: Path, status: int, transient: bool
) -> None:
    routes = {"/gone": respond(b"error page", status=status)}
    with Server(routes) as server:
        routes["/start"] = redirect("/gone")
        with pytest.raises(HTTPStatusError) as caught:
            capture(server.url("/start"), local_policy(), workdir=tmp_path)

    error = caught.value
    assert (error.status, error.transient, error.retry_after) == (
        status,
        transient,
        None,
    )
    assert error.final_url == server.url("/gone")
    assert str(status) in error.message
    assert list(tmp_path.iterdir()) == []


def test_too_many_requests_reports_retry_after_seconds(tmp_path: Path) -> None:
    route = respond(b"slow down", status=429, headers=(("Retry-After", "7"),))
    with Server({"/": route}) as server, pytest.raises(HTTPStatusError) as caught:
        capture(server.url(), local_policy(), workdir=tmp_path)
    assert caught.value.retry_after == 7
    assert caught.value.transient
    assert caught.value.reason == "Too Many Requests"


def test_retry_after_as_http_date_becomes_seconds(tmp_path: Path) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    route = respond(b"maintenance", status=503, headers=(("Retry-After", later),))
    with Server({"/": route}) as server, pytest.raises(HTTPStatusError) as caught:
        capture(server.url(), local_policy(), workdir=tmp_path)
    assert caught.value.retry_after is not None
    assert 110 <= caught.value.retry_after <= 121


def test_large_body_streams_through_bounded_memory(tmp_path: Path) -> None:
    size = 20 * MB
    headers = (("Content-Type", "application/octet-stream"),)
    with Server({"/large": zeros(size, headers)}) as server:
        tracemalloc.start()
        try:
            artifact = capture(server.url("/large"), local_policy(), workdir=tmp_path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert peak < 2 * MB, f"peak Python allocations {peak} bytes"
    assert artifact.payload_size == size
    expected = hashlib.sha256()
    for _ in range(size // MB):
        expected.update(bytes(MB))
    assert artifact.payload_sha256 == expected.hexdigest()
    assert (artifact.title, artifact.text) == ("", "")


def test_body_over_the_body_limit_is_too_large(tmp_path: Path) -> None:
    with (
        Server({"/large": zeros(3 * MB)}) as server,
        pytest.raises(TooLarge) as caught,
    ):
        capture(server.url("/large"), local_policy(max_body_bytes=MB), workdir=tmp_path)
    assert caught.value.limit == "max_body_bytes"
    assert list(tmp_path.iterdir()) == []


def test_identical_payload_is_stored_as_a_revisit_record(tmp_path: Path) -> None:
    original = RevisitTarget(
        uri="http://example.org/original",
        date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    asked: list[str] = []

    def find_revisit(payload_sha256: str) -> RevisitTarget:
        asked.append(payload_sha256)
        return original

    with Server({"/": respond(ARTICLE, headers=HTML)}) as server:
        artifact = capture(
            server.url(), local_policy(), workdir=tmp_path, find_revisit=find_revisit
        )

    assert asked == [sha256(ARTICLE)]
    assert artifact.revisit_of == original
    assert artifact.title == "Bridge Report"  # extracted before the payload was dropped
    records = read_records(artifact.warc_path)
    assert [r.type for r in records] == ["warcinfo", "request", "revisit", "metadata"]
    revisit = records[2]
    assert revisit.headers["WARC-Profile"] == (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    assert revisit.headers["WARC-Refers-To-Target-URI"] == original.uri
    assert revisit.headers["WARC-Refers-To-Date"] == "2024-01-02T03:04:05Z"
    assert revisit.headers["WARC-Payload-Digest"].startswith("sha1:")
    assert revisit.content == b""
    assert ("Content-Type", "text/html; charset=utf-8") in revisit.http_headers
    assert b"river bridge" not in gzip.decompress(artifact.warc_path.read_bytes())
    assert json.loads(records[3].content)["revisit_of"]["uri"] == original.uri
    assert warcio_check(artifact.warc_path).returncode == 0
    with artifact.warc_path.open("rb") as handle, pytest.raises(RevisitOnly) as caught:
        read_payload(handle)
    assert caught.value.target == original


def test_https_is_verified_against_the_host_name_not_the_address(
    tmp_path: Path,
) -> None:
    authority = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("capture.test").configure_cert(server_context)
    workdir = tmp_path / "work"
    with Server({"/": respond(ARTICLE, headers=HTML)}, tls=server_context) as server:
        policy = local_policy(
            ca_file=ca_file, resolver=lambda host, port: ["127.0.0.1"]
        )
        artifact = capture(server.url(host="capture.test"), policy, workdir=workdir)
        with pytest.raises(FetchFailed) as caught:
            capture(server.url(host="other.test"), policy, workdir=workdir)

    assert artifact.final_url == f"https://capture.test:{server.port}/"
    assert artifact.ip == "127.0.0.1"
    assert server.request_headers[0]["Host"] == f"capture.test:{server.port}"
    assert artifact.title == "Bridge Report"
    assert (caught.value.kind, caught.value.transient) == ("tls", False)
    assert list(workdir.iterdir()) == [artifact.warc_path]


def test_refused_connection_is_a_transient_connect_failure(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free again once the probe is closed
    with pytest.raises(FetchFailed) as caught:
        capture(f"http://127.0.0.1:{port}/", local_policy(), workdir=tmp_path)
    assert (caught.value.kind, caught.value.transient) == ("connect", True)
    assert "refused" in caught.value.message


def test_unknown_host_name_is_a_permanent_dns_failure(tmp_path: Path) -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchFailed) as caught:
        capture(
            "http://no-such-site.test/",
            local_policy(resolver=resolver),
            workdir=tmp_path,
        )
    assert (caught.value.kind, caught.value.transient) == ("dns", False)
    assert "no-such-site.test does not exist" in caught.value.message


@pytest.mark.parametrize(
    "answer",
    [
        b"THIS IS NOT HTTP\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        b"",
    ],
    ids=["garbage", "truncated-body", "no-answer"],
)
def test_broken_response_is_a_protocol_failure(tmp_path: Path, answer: bytes) -> None:
    with Server({"/": raw(answer)}) as server, pytest.raises(FetchFailed) as caught:
        capture(server.url(), local_policy(), workdir=tmp_path)
    assert caught.value.kind == "protocol"
    assert list(tmp_path.iterdir()) == []
