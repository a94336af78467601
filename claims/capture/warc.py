"""Writing the capture as a WARC/1.1 file, and reading its payload back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from uuid import uuid4

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from claims.capture.decoding import Identity, decoder_for
from claims.capture.fetch import CHUNK, Response
from claims.capture.model import RevisitTarget

WARC_VERSION = "1.1"
_RESPONSE_PROTOCOLS = ["HTTP/1.0", "HTTP/1.1"]
_REQUEST_METHODS = ["GET"]


class RevisitOnly(ValueError):
    """The WARC holds a revisit record: the payload lives in an earlier capture."""

    def __init__(self, target: RevisitTarget) -> None:
        super().__init__(
            "This capture only refers to an identical earlier capture of "
            f"{target.uri} made at {target.date.isoformat()}; read that one instead"
        )
        self.target = target


class _AsReceived(StatusAndHeaders):
    """HTTP headers that are written byte for byte as they crossed the wire.

    warcio re-serialises parsed headers when it writes a record (normalising
    case, spacing and non-ASCII bytes); the WARC must keep what the server sent.
    """

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        return None


def _as_received(head: bytes, protocols: list[str]) -> _AsReceived:
    parsed = StatusAndHeadersParser(protocols, verify=False).parse(BytesIO(head))
    headers = _AsReceived(parsed.statusline, parsed.headers, protocol=parsed.protocol)
    headers.headers_buff = head
    return headers


def warc_date(moment: datetime) -> str:
    # warcio expects naive UTC datetimes
    return datetime_to_iso_date(
        moment.astimezone(UTC).replace(tzinfo=None), use_micros=True
    )


def write_warc(
    path: Path,
    *,
    responses: list[Response],
    revisit: RevisitTarget | None,
    info: dict[str, str],
    provenance: dict[str, Any],
) -> None:
    """Write warcinfo, request/response pairs for every hop, and provenance."""
    with path.open("xb") as out:
        writer = WARCWriter(out, gzip=True, warc_version=WARC_VERSION)
        writer.write_record(writer.create_warcinfo_record(path.name, info))
        for hop in responses[:-1]:
            _write_exchange(writer, hop, None)
        final_id = _write_exchange(writer, responses[-1], revisit)
        body = json.dumps(provenance, indent=2, ensure_ascii=False).encode()
        metadata = writer.create_warc_record(
            responses[-1].url,
            "metadata",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type="application/json",
            warc_headers_dict={
                "WARC-Date": warc_date(responses[-1].started_at),
                "WARC-Refers-To": final_id,
                "WARC-Concurrent-To": final_id,
            },
        )
        writer.write_record(metadata)


def _write_exchange(
    writer: WARCWriter, response: Response, revisit: RevisitTarget | None
) -> str:
    record_id = f"<urn:uuid:{uuid4()}>"
    headers = {
        "WARC-Record-ID": record_id,
        "WARC-Date": warc_date(response.started_at),
        "WARC-IP-Address": response.ip,
    }
    request = writer.create_warc_record(
        response.url,
        "request",
        payload=BytesIO(),
        length=0,
        http_headers=_as_received(response.request_head, _REQUEST_METHODS),
        warc_headers_dict={
            "WARC-Date": headers["WARC-Date"],
            "WARC-Concurrent-To": record_id,
        },
    )
    writer.write_record(request)
    http_headers = _as_received(response.head, _RESPONSE_PROTOCOLS)
    if revisit:
        record = writer.create_revisit_record(
            response.url,
            digest=_wire_digest(response.body_path),
            refers_to_uri=revisit.uri,
            refers_to_date=warc_date(revisit.date),
            http_headers=http_headers,
            warc_headers_dict=headers,
        )
        writer.write_record(record)
        return record_id
    with response.body_path.open("rb") as body:
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=body,
            length=response.body_path.stat().st_size,
            http_headers=http_headers,
            warc_headers_dict=headers,
        )
        writer.write_record(record)
    return record_id


def _wire_digest(path: Path) -> str:
    """WARC-Payload-Digest as warcio computes it: over the body as stored."""
    digester = Digester("sha1")
    with path.open("rb") as body:
        while chunk := body.read(CHUNK):
            digester.update(chunk)
    return str(digester)


def read_payload(
    fileobj: BinaryIO,
) -> tuple[list[tuple[str, str]], Iterator[bytes]]:
    """HTTP headers and decoded payload of the final response in a capture WARC.

    The payload is de-chunked and has its Content-Encoding removed, so it hashes
    to the capture's payload_sha256. `fileobj` must be seekable and stay open
    while the returned iterator is consumed. Raises RevisitOnly for a WARC whose
    final response is a revisit record.
    """
    record = _final_response(fileobj)
    if record.rec_type == "revisit":
        raise RevisitOnly(
            RevisitTarget(
                uri=record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                date=iso_date_to_datetime(
                    record.rec_headers.get_header("WARC-Refers-To-Date"),
                    tz_aware=True,
                ),
            )
        )
    return list(record.http_headers.headers), _decoded_chunks(record)


def _final_response(fileobj: BinaryIO) -> ArcWarcRecord:
    # Redirect hops come first; the capture's own response is the last one.
    offset = None
    records = ArchiveIterator(fileobj)
    for record in records:
        if record.rec_type in ("response", "revisit"):
            offset = records.get_record_offset()
    if offset is None:
        raise ValueError("The WARC file holds no response record")
    fileobj.seek(offset)
    return next(iter(ArchiveIterator(fileobj)))


def _decoded_chunks(record: ArcWarcRecord) -> Iterator[bytes]:
    headers = record.http_headers
    stream = record.raw_stream
    encoding = (headers.get_header("Transfer-Encoding") or "").lower()
    if encoding.endswith("chunked"):
        stream = ChunkedDataReader(stream)
    decoder = decoder_for(headers.get_header("Content-Encoding")) or Identity()
    while chunk := stream.read(CHUNK):
        yield from decoder.decode(chunk)
