"""capture(): fetch one URL under a FetchPolicy and archive it as a WARC file."""

from __future__ import annotations

import functools
import hashlib
import platform
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from uuid import uuid4

from claims.capture import __version__
from claims.capture.errors import Refused
from claims.capture.extract import extract_isolated
from claims.capture.fetch import (
    CHUNK,
    Clock,
    Payload,
    Response,
    Spool,
    WireBudget,
    fetch,
)
from claims.capture.model import CaptureArtifact, Hop, RevisitTarget
from claims.capture.policy import FetchPolicy
from claims.capture.target import parse_target, vet_addresses
from claims.capture.warc import WARC_VERSION, write_warc

SOFTWARE = f"claims.capture/{__version__} (FactcheckWorkbench)"
_TOOLS = ("warcio", "h11", "trafilatura", "pypdf", "w3lib")


def capture(
    url: str,
    policy: FetchPolicy,
    *,
    workdir: Path,
    find_revisit: Callable[[str], RevisitTarget | None] | None = None,
) -> CaptureArtifact:
    """Fetch `url` and write a WARC file into `workdir`.

    Raises a CaptureError subclass on any failure and then leaves no files
    behind. `find_revisit` is called with the payload's SHA-256; when it names an
    earlier capture, the WARC gets a revisit record instead of the payload.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    spool = Spool(workdir)
    warc_path = workdir / f"capture-{started_at:%Y%m%dT%H%M%SZ}-{uuid4().hex}.warc.gz"
    try:
        responses, payload = _fetch_chain(url, policy, spool)
        ended_at = datetime.now(UTC)
        revisit = find_revisit(payload.sha256) if find_revisit else None
        artifact = _artifact(
            url, policy, responses, payload, revisit, (started_at, ended_at)
        )
        write_warc(
            warc_path,
            responses=responses,
            revisit=revisit,
            info=_warcinfo(policy.user_agent),
            provenance=_provenance(artifact),
        )
        artifact.warc_path = warc_path
        artifact.warc_sha256, artifact.warc_size = _file_sha256(warc_path)
        if payload.decoded:
            artifact.title, artifact.text = extract_isolated(
                payload.path, artifact.content_type
            )
    except BaseException:
        warc_path.unlink(missing_ok=True)
        raise
    finally:
        spool.cleanup()
    return artifact


def _fetch_chain(
    url: str, policy: FetchPolicy, spool: Spool
) -> tuple[list[Response], Payload]:
    """Follow redirects by hand, vetting every hop like the first one."""
    clock = Clock(policy.deadline)
    budget = WireBudget(policy.max_wire_bytes)
    responses: list[Response] = []
    target = parse_target(url, policy)
    while True:
        addresses = vet_addresses(target, policy)
        response, payload = fetch(target, addresses, policy, clock, budget, spool)
        responses.append(response)
        if payload is not None:
            return responses, payload
        if len(responses) > policy.max_redirects:
            raise Refused(
                f"Refused: the page redirected more than {policy.max_redirects} times"
            )
        assert response.location is not None, "fetch returns no payload on redirect"
        target = parse_target(response.location, policy)


def _artifact(
    url: str,
    policy: FetchPolicy,
    responses: list[Response],
    payload: Payload,
    revisit: RevisitTarget | None,
    period: tuple[datetime, datetime],
) -> CaptureArtifact:
    """The artifact without its WARC fields and extracted text, set later."""
    final = responses[-1]
    return CaptureArtifact(
        requested_url=url,
        final_url=final.url,
        redirect_chain=[
            Hop(url=r.url, status=r.status, location=r.location or "", ip=r.ip)
            for r in responses[:-1]
        ],
        ip=final.ip,
        http_status=final.status,
        http_headers=final.headers,
        content_type=final.header("Content-Type") or "",
        started_at=period[0],
        ended_at=period[1],
        user_agent=policy.user_agent,
        tool_versions=tool_versions(),
        payload_sha256=payload.sha256,
        payload_size=payload.size,
        warc_path=Path(),
        warc_sha256="",
        warc_size=0,
        title="",
        text="",
        revisit_of=revisit,
    )


def _provenance(artifact: CaptureArtifact) -> dict[str, Any]:
    revisit = artifact.revisit_of
    return {
        "requested_url": artifact.requested_url,
        "final_url": artifact.final_url,
        "redirect_chain": [asdict(hop) for hop in artifact.redirect_chain],
        "ip": artifact.ip,
        "http_status": artifact.http_status,
        "http_headers": [list(header) for header in artifact.http_headers],
        "content_type": artifact.content_type,
        "started_at": artifact.started_at.isoformat(),
        "ended_at": artifact.ended_at.isoformat(),
        "user_agent": artifact.user_agent,
        "tool_versions": artifact.tool_versions,
        "payload_sha256": artifact.payload_sha256,
        "payload_size": artifact.payload_size,
        "revisit_of": {"uri": revisit.uri, "date": revisit.date.isoformat()}
        if revisit
        else None,
    }


def _warcinfo(user_agent: str) -> dict[str, str]:
    versions = tool_versions()
    return {
        "software": SOFTWARE,
        "format": f"WARC File Format {WARC_VERSION}",
        "conformsTo": "https://iipc.github.io/warc-specifications/"
        "specifications/warc-format/warc-1.1/",
        "http-header-user-agent": user_agent,
        "robots": "ignore",
        **{f"tool-{name}": value for name, value in versions.items()},
    }


def tool_versions() -> dict[str, str]:
    return dict(_tool_versions())


@functools.cache
def _tool_versions() -> tuple[tuple[str, str], ...]:
    versions = [("python", platform.python_version()), ("claims.capture", __version__)]
    for name in _TOOLS:
        try:
            versions.append((name, version(name)))
        except PackageNotFoundError:
            versions.append((name, "unknown"))
    return tuple(versions)


def _file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
