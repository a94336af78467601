"""One HTTP/1.1 request and response over a socket opened to a vetted address.

h11 parses; we own the socket, so every byte is counted against the limits,
every read is bounded by the deadline, and the response is kept exactly as
received (status line, headers, chunk framing, compressed body) for the WARC.
"""

from __future__ import annotations

import hashlib
import math
import socket
import ssl
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin

import h11

from claims.capture.decoding import (
    ACCEPT_ENCODING,
    DecodeError,
    Decoder,
    decoder_for,
)
from claims.capture.errors import (
    FetchFailed,
    FetchTimeout,
    HTTPStatusError,
    Refused,
    TooLarge,
    human_size,
)
from claims.capture.policy import FetchPolicy
from claims.capture.target import Target

CHUNK = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = (
    "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5"
)


class Clock:
    """The overall wall-clock deadline, shared by every hop of one capture."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def timeout(self, per_operation: float) -> float:
        """Timeout for the next socket operation; raises once the deadline passed."""
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            raise self.expired()
        return min(per_operation, remaining)

    def is_over(self) -> bool:
        return time.monotonic() >= self._end

    def expired(self) -> FetchTimeout:
        return FetchTimeout(
            f"The page did not finish loading within {self.seconds:g} seconds"
        )


class WireBudget:
    """Bytes received from the network, over all hops of one capture."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def check(self, size: int) -> None:
        if size > self.limit:
            raise TooLarge(
                f"The download was larger than the {human_size(self.limit)} limit",
                limit="max_wire_bytes",
                limit_bytes=self.limit,
            )

    def spend(self, size: int) -> None:
        self.used += size
        self.check(self.used)


class Spool:
    """Temporary files in the work directory, all removed by cleanup()."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._paths: list[Path] = []

    def new(self, suffix: str) -> Path:
        with tempfile.NamedTemporaryFile(
            dir=self.workdir, prefix=".capture-", suffix=suffix, delete=False
        ) as handle:
            path = Path(handle.name)
        self._paths.append(path)
        return path

    def cleanup(self) -> None:
        for path in self._paths:
            path.unlink(missing_ok=True)


@dataclass
class Response:
    url: str
    ip: str
    started_at: datetime
    request_head: bytes  # the request exactly as sent
    head: bytes  # status line and headers exactly as received
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body_path: Path  # body exactly as received: still chunked and compressed
    location: str | None = None  # absolute redirect target, for redirects only

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class Payload:
    """The entity body with Content-Encoding removed (see docs/capture.md)."""

    path: Path
    size: int = 0
    sha256: str = ""  # hex
    decoded: bool = True  # False if the Content-Encoding is one we cannot decode


def fetch(
    target: Target,
    addresses: list[str],
    policy: FetchPolicy,
    clock: Clock,
    budget: WireBudget,
    spool: Spool,
) -> tuple[Response, Payload | None]:
    """Fetch one URL. Returns no payload for redirects; raises for status >= 400."""
    started_at = datetime.now(UTC)
    sock, ip = _connect(target, addresses, policy, clock)
    with sock:
        wire = _Wire(sock, target.host, policy.read_timeout, clock, budget)
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        request_head = _send_request(wire, conn, target, policy.user_agent)
        head, event = _read_head(wire, conn)
        response = Response(
            url=target.url,
            ip=ip,
            started_at=started_at,
            request_head=request_head,
            head=head,
            status=event.status_code,
            reason=event.reason.decode("latin-1"),
            headers=[
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in event.headers.raw_items()
            ],
            body_path=spool.new(".body"),
        )
        _raise_for_status(response)
        _check_announced_length(response, budget)
        location = response.header("Location")
        if response.status in REDIRECT_STATUSES and location:
            response.location = _absolute(target.url, location)
            with response.body_path.open("wb") as raw:
                _read_body(wire, conn, raw, None)
            return response, None
        return response, _read_payload(wire, conn, response, policy, spool)


def _read_payload(
    wire: _Wire,
    conn: h11.Connection,
    response: Response,
    policy: FetchPolicy,
    spool: Spool,
) -> Payload:
    payload = Payload(spool.new(".payload"))
    decoder = decoder_for(response.header("Content-Encoding"))
    payload.decoded = decoder is not None
    with response.body_path.open("wb") as raw, payload.path.open("wb") as out:
        sink = _PayloadSink(out, payload, decoder, policy.max_body_bytes)
        _read_body(wire, conn, raw, sink)
    payload.sha256 = sink.hexdigest()
    return payload


def _connect(
    target: Target, addresses: list[str], policy: FetchPolicy, clock: Clock
) -> tuple[socket.socket, str]:
    sock, ip = _open_tcp(target, addresses, policy.connect_timeout, clock)
    if target.scheme != "https":
        return sock, ip
    try:
        with _network_errors(target.host, clock):
            return _start_tls(sock, target.host, policy.ca_file), ip
    except BaseException:
        sock.close()
        raise


def _open_tcp(
    target: Target, addresses: list[str], timeout: float, clock: Clock
) -> tuple[socket.socket, str]:
    """Connect to the first vetted address that answers; never re-resolve."""
    last_error: OSError | None = None
    for ip in addresses:
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as error:  # e.g. no IPv6 on this machine
            last_error = error
            continue
        try:
            sock.settimeout(clock.timeout(timeout))
            sock.connect((ip, target.port))
        except OSError as error:
            sock.close()
            last_error = error
            continue
        except BaseException:
            sock.close()
            raise
        return sock, ip
    assert last_error is not None, "vet_addresses never returns an empty list"
    with _network_errors(target.host, clock):
        raise last_error


def _start_tls(
    sock: socket.socket, host: str, ca_file: Path | str | None
) -> socket.socket:
    # Verification and SNI use the host name although we connected to an address.
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["http/1.1"])
    return context.wrap_socket(sock, server_hostname=host)


@contextmanager
def _network_errors(host: str, clock: Clock) -> Iterator[None]:
    """Translate socket, TLS and HTTP parsing errors into CaptureErrors."""
    try:
        yield
    except ssl.SSLCertVerificationError:
        raise FetchFailed(
            f"The security certificate of {host} could not be verified",
            kind="tls",
            transient=False,
        ) from None
    except ssl.SSLError:
        raise FetchFailed(
            f"A secure connection to {host} could not be established", kind="tls"
        ) from None
    except TimeoutError:
        if clock.is_over():
            raise clock.expired() from None
        raise FetchTimeout(f"{host} did not respond in time") from None
    except ConnectionRefusedError:
        raise FetchFailed(f"{host} refused the connection", kind="connect") from None
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        raise FetchFailed(
            f"{host} closed the connection unexpectedly", kind="reset"
        ) from None
    except h11.RemoteProtocolError:
        raise FetchFailed(
            f"{host} sent an incomplete or malformed response", kind="protocol"
        ) from None
    except OSError:
        raise FetchFailed(f"Could not connect to {host}", kind="connect") from None


class _Wire:
    """A socket whose every operation obeys the read timeout, deadline and budget."""

    def __init__(
        self,
        sock: socket.socket,
        host: str,
        read_timeout: float,
        clock: Clock,
        budget: WireBudget,
    ) -> None:
        self._sock = sock
        self.host = host
        self._read_timeout = read_timeout
        self._clock = clock
        self._budget = budget

    def send(self, data: bytes) -> None:
        with _network_errors(self.host, self._clock):
            self._sock.settimeout(self._clock.timeout(self._read_timeout))
            self._sock.sendall(data)

    def recv(self) -> bytes:
        with _network_errors(self.host, self._clock):
            self._sock.settimeout(self._clock.timeout(self._read_timeout))
            try:
                data = self._sock.recv(CHUNK)
            except TimeoutError:
                if self._clock.is_over():
                    raise self._clock.expired() from None
                raise FetchTimeout(
                    f"{self.host} stopped sending data for "
                    f"{self._read_timeout:g} seconds"
                ) from None
        self._budget.spend(len(data))
        return data

    def next_event(self, conn: h11.Connection) -> h11.Event | type[h11.NEED_DATA]:
        with _network_errors(self.host, self._clock):
            return conn.next_event()


def _send_request(
    wire: _Wire, conn: h11.Connection, target: Target, user_agent: str
) -> bytes:
    request = h11.Request(
        method="GET",
        target=target.request_target,
        headers=[
            ("Host", target.host_header),
            ("User-Agent", user_agent),
            ("Accept", ACCEPT),
            ("Accept-Encoding", ACCEPT_ENCODING),
            ("Connection", "close"),
        ],
    )
    try:
        data = conn.send(request) + conn.send(h11.EndOfMessage())
    except h11.LocalProtocolError:
        raise Refused("Refused: the link is not a valid web address") from None
    wire.send(data)
    return data


def _read_head(wire: _Wire, conn: h11.Connection) -> tuple[bytes, h11.Response]:
    received = bytearray()
    while True:
        event = wire.next_event(conn)
        if event is h11.NEED_DATA:
            data = wire.recv()
            received += data
            conn.receive_data(data)
        elif isinstance(event, h11.InformationalResponse):
            # 1xx interim responses are not part of the response we archive.
            del received[: len(received) - len(conn.trailing_data[0])]
        elif isinstance(event, h11.Response):
            end = len(received) - len(conn.trailing_data[0])
            return bytes(received[:end]), event
        else:
            raise FetchFailed(
                f"{wire.host} closed the connection without answering",
                kind="protocol",
            )


class _PayloadSink:
    """Decodes the entity body into the payload file, enforcing max_body_bytes."""

    def __init__(
        self, out: BinaryIO, payload: Payload, decoder: Decoder | None, limit: int
    ) -> None:
        self._out = out
        self._payload = payload
        self._decoder = decoder
        self._limit = limit
        self._sha256 = hashlib.sha256()

    def write(self, data: bytes) -> None:
        pieces = self._decoder.decode(data) if self._decoder else iter((data,))
        try:
            for piece in pieces:  # lazily: a piece is checked before the next
                self._keep(piece)
        except DecodeError:
            raise FetchFailed(
                "The site sent a damaged compressed response",
                kind="protocol",
                transient=False,
            ) from None

    def _keep(self, piece: bytes) -> None:
        self._payload.size += len(piece)
        if self._payload.size > self._limit:
            raise TooLarge(
                f"The page was larger than the {human_size(self._limit)} "
                "limit once unpacked",
                limit="max_body_bytes",
                limit_bytes=self._limit,
            )
        self._sha256.update(piece)
        self._out.write(piece)

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()


def _read_body(
    wire: _Wire, conn: h11.Connection, raw: BinaryIO, sink: _PayloadSink | None
) -> None:
    raw.write(conn.trailing_data[0])  # body bytes that arrived with the head
    while True:
        event = wire.next_event(conn)
        if event is h11.NEED_DATA:
            data = wire.recv()
            raw.write(data)
            conn.receive_data(data)
        elif isinstance(event, h11.Data):
            if sink:
                sink.write(event.data)
        elif isinstance(event, h11.EndOfMessage):
            # Bytes after the end of the message are not part of the response.
            raw.truncate(raw.tell() - len(conn.trailing_data[0]))
            return


def _raise_for_status(response: Response) -> None:
    if response.status >= 400:
        raise HTTPStatusError(
            response.status,
            response.reason,
            retry_after_seconds(response.header("Retry-After"), datetime.now(UTC)),
            response.url,
        )


def _check_announced_length(response: Response, budget: WireBudget) -> None:
    # h11 has already validated Content-Length; refuse before downloading.
    length = response.header("Content-Length")
    if length and length.strip().isdigit():
        budget.check(budget.used + int(length))


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """Retry-After as seconds from now; it may be a delay or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - now).total_seconds()))


def _absolute(base: str, location: str) -> str:
    try:
        return urljoin(base, _redecode(location))
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 literal)
        raise Refused(
            "Refused: the page redirected to a link that is not a valid web address"
        ) from None


def _redecode(header_value: str) -> str:
    # h11 hands us bytes we decoded as latin-1; servers mostly mean UTF-8.
    raw = header_value.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return header_value
