"""Real HTTP servers and helpers for the claims.capture tests.

Servers run in threads of the test process and listen on loopback addresses
only. block_outside_network() makes any attempt to reach beyond this machine
fail the test loudly instead of sending a packet.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
from warcio.archiveiterator import ArchiveIterator

from claims.capture import FetchPolicy

WARCIO = Path(sys.executable).with_name("warcio")
# Streaming routes stop by themselves after this long, even if nobody hangs up.
STREAM_SECONDS = 15

type Route = Callable[[BaseHTTPRequestHandler], None]


def block_outside_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail on any connect or name lookup that would leave this machine.

    Returns the list of attempts, so a test can also assert it stayed empty.
    """
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock: socket.socket, address: object) -> None:
        if not _is_local(address):
            attempts.append(address)
            raise AssertionError(f"test tried to connect to {address!r}")
        real_connect(sock, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in ("localhost", "localhost.") and not _is_local((host,)):
            attempts.append(host)
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def local_policy(networks: str = "127.0.0.0/8", **overrides: object) -> FetchPolicy:
    """A policy that may reach loopback servers, with timeouts short for tests."""
    settings: dict[str, object] = {
        "allow_networks": FetchPolicy.parse_networks(networks),
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "deadline": 10.0,
    }
    settings.update(overrides)
    return FetchPolicy(**settings)  # type: ignore[arg-type]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: Server

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up mid-response is what many tests are about.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.requests.append(self.path)
        owner.request_headers.append(dict(self.headers.items()))
        route = owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            respond(b"no such route", status=404)(self)
        else:
            route(self)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        return None


class Server:
    """A threaded HTTP(S) server with a fixed table of path -> route."""

    def __init__(
        self,
        routes: dict[str, Route],
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.routes = routes
        self.requests: list[str] = []
        self.request_headers: list[dict[str, str]] = []
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        if tls:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.host = host
        self.port = self._httpd.server_address[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(
            # a short poll keeps shutdown() from waiting half a second per test
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class Listener:
    """A listening socket that never answers; counts the connections made to it.

    The kernel completes TCP handshakes into the backlog without accept(), so
    counting by draining the backlog sees every connection that was made.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.create_server((host, port))
        self._sock.setblocking(False)
        self.host = host
        self.port = self._sock.getsockname()[1]
        self._accepted = 0

    def connections(self) -> int:
        while True:
            try:
                conn, _ = self._sock.accept()
            except BlockingIOError:
                return self._accepted
            conn.close()
            self._accepted += 1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._sock.close()


def _head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    status_line = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()
    lines = b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers)
    return status_line + lines + b"Connection: close\r\n"


def respond(
    body: bytes,
    *,
    status: int = 200,
    headers: Iterable[tuple[str, str]] = (("Content-Type", "text/html"),),
) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        length = f"Content-Length: {len(body)}\r\n\r\n".encode()
        handler.wfile.write(_head(status, headers) + length + body)

    return route


def raw(data: bytes) -> Route:
    """Send these exact bytes, then close."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(data)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return respond(b"", status=status, headers=(("Location", location),))


def chunked(
    pieces: Iterable[bytes],
    headers: Iterable[tuple[str, str]] = (("Content-Type", "text/html"),),
) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        out = handler.wfile
        out.write(_head(200, headers) + b"Transfer-Encoding: chunked\r\n\r\n")
        for piece in pieces:
            out.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        out.write(b"0\r\n\r\n")

    return route


def endless_chunks(piece: bytes = b"x" * 65536) -> Route:
    """A chunked body that never ends (until the client leaves or time is up)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        out = handler.wfile
        out.write(_head(200, (("Content-Type", "text/plain"),)))
        out.write(b"Transfer-Encoding: chunked\r\n\r\n")
        frame = b"%x\r\n%s\r\n" % (len(piece), piece)
        stop = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < stop:
            out.write(frame)

    return route


def drip(interval: float, length: int = 1000) -> Route:
    """Announce `length` bytes, then send one byte every `interval` seconds."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        out = handler.wfile
        out.write(_head(200, (("Content-Type", "text/plain"),)))
        out.write(f"Content-Length: {length}\r\n\r\n".encode())
        stop = time.monotonic() + STREAM_SECONDS
        for _ in range(length):
            if time.monotonic() > stop:
                return
            out.write(b"x")
            out.flush()
            time.sleep(interval)

    return route


def zeros(size: int, headers: Iterable[tuple[str, str]] = ()) -> Route:
    """A `size`-byte body of zeros, streamed without holding it in memory."""
    block = bytes(65536)

    def route(handler: BaseHTTPRequestHandler) -> None:
        out = handler.wfile
        out.write(_head(200, headers) + f"Content-Length: {size}\r\n\r\n".encode())
        left = size
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)

    return route


@dataclass
class Record:
    type: str
    headers: dict[str, str]
    http_headers: list[tuple[str, str]] | None
    content: bytes  # de-chunked and decoded by warcio, as a reader would see it


def pdf_of(objects: list[bytes], trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF file of these objects, numbered from 1, with its cross-reference
    table; `trailer` names the catalogue (and an /Info, if any)."""
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\n" % (len(objects) + 1, trailer)
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def read_records(path: Path) -> list[Record]:
    records = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            http = record.http_headers
            records.append(
                Record(
                    type=record.rec_type,
                    headers=dict(record.rec_headers.headers),
                    http_headers=list(http.headers) if http else None,
                    content=record.content_stream().read(),
                )
            )
    return records


def raw_block(path: Path, record_type: str = "response") -> bytes:
    """The block of the last record of this type, bytes exactly as stored."""
    found = b""
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, no_record_parse=True):
            if record.rec_type == record_type:
                found = record.raw_stream.read()
    return found


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WARCIO), "check", "-v", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
