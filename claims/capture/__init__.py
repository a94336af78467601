"""Fetch one URL safely and archive it as a WARC file.

A self-contained library: it knows nothing of claims, Django or storage. See
docs/capture.md for the safety rules and the decisions behind the WARC layout.
"""

__version__ = "0.1.0"

from claims.capture.core import capture  # noqa: E402
from claims.capture.errors import (  # noqa: E402
    CaptureError,
    FetchFailed,
    FetchTimeout,
    HTTPStatusError,
    Refused,
    TooLarge,
)
from claims.capture.model import CaptureArtifact, Hop, RevisitTarget  # noqa: E402
from claims.capture.policy import DEFAULT_USER_AGENT, FetchPolicy  # noqa: E402
from claims.capture.target import host_key  # noqa: E402
from claims.capture.warc import RevisitOnly, read_payload  # noqa: E402

__all__ = [
    "DEFAULT_USER_AGENT",
    "CaptureArtifact",
    "CaptureError",
    "FetchFailed",
    "FetchPolicy",
    "FetchTimeout",
    "HTTPStatusError",
    "Hop",
    "Refused",
    "RevisitOnly",
    "RevisitTarget",
    "TooLarge",
    "capture",
    "host_key",
    "read_payload",
]
