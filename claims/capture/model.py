"""The values capture() returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Hop:
    """One redirect response on the way to the final URL."""

    url: str
    status: int
    location: str  # absolute URL the redirect pointed to
    ip: str


@dataclass(frozen=True)
class RevisitTarget:
    """An earlier capture whose payload is identical to the one just fetched."""

    uri: str
    date: datetime


@dataclass
class CaptureArtifact:
    requested_url: str
    final_url: str
    redirect_chain: list[Hop]
    ip: str
    http_status: int
    http_headers: list[tuple[str, str]]
    content_type: str
    started_at: datetime
    ended_at: datetime
    user_agent: str
    tool_versions: dict[str, str]
    payload_sha256: str
    payload_size: int
    warc_path: Path
    warc_sha256: str
    warc_size: int
    title: str
    text: str
    revisit_of: RevisitTarget | None
