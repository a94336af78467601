"""Errors raised by capture(); each carries a message a non-technical user can read."""

from __future__ import annotations

from http import HTTPStatus

_KIB = 1024


def human_size(size: int) -> str:
    """Render a byte count the way the limits are configured (1 MB = 1024 * 1024)."""
    for unit, scale in (("GB", _KIB**3), ("MB", _KIB**2), ("kB", _KIB)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


class CaptureError(Exception):
    """Base class. `transient` says whether trying again later may succeed."""

    transient: bool = False

    def __init__(self, message: str, *, transient: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if transient is not None:
            self.transient = transient


class Refused(CaptureError):
    """The fetch policy forbids this URL, address, port or redirect."""


class TooLarge(CaptureError):
    """A size limit was hit; `limit` names the policy field that was exceeded."""

    def __init__(self, message: str, *, limit: str, limit_bytes: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.limit_bytes = limit_bytes


class FetchTimeout(CaptureError):
    transient = True


class FetchFailed(CaptureError):
    """Network-level failure. `kind` is one of dns, connect, tls, protocol, reset."""

    transient = True

    def __init__(self, message: str, *, kind: str, transient: bool = True) -> None:
        super().__init__(message, transient=transient)
        self.kind = kind


class HTTPStatusError(CaptureError):
    """The server answered with a status of 400 or more."""

    def __init__(
        self, status: int, reason: str, retry_after: int | None, final_url: str
    ) -> None:
        reason = reason or _standard_reason(status)
        super().__init__(
            f"The site answered with an error: {status} {reason}".rstrip(),
            transient=status == 429 or status >= 500,
        )
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.final_url = final_url


def _standard_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
