"""Incremental Content-Encoding decoders whose output per step is bounded.

Written by hand because the caller must be able to stop after every 64 kB of
output: a few kilobytes of gzip can expand to gigabytes, and a decoder
that returns everything a chunk expands to would exhaust memory before any size
limit could be checked. urllib3 has similar code, but only as private API.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Protocol

STEP = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class DecodeError(ValueError):
    """The body is not valid data in its declared Content-Encoding."""


class Decoder(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...


class Identity:
    def decode(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield bytes(data)


class _Zlib:
    """gzip (including multi-member files) and deflate, raw or zlib-wrapped."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(self._wbits)
        self._started = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        while True:
            out = self._step(data)
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                data = self._next_member()
            if out:
                yield out
            # A full step may leave output pending inside zlib: ask again.
            if not data and len(out) < STEP:
                return

    def _step(self, data: bytes) -> bytes:
        try:
            out = self._zlib.decompress(data, STEP)
        except zlib.error as error:
            # Many servers send raw deflate while labelling it "deflate".
            if self._gzip or self._started or self._wbits < 0:
                raise DecodeError(str(error)) from None
            self._wbits = -zlib.MAX_WBITS
            self._zlib = zlib.decompressobj(self._wbits)
            return self._step(data)
        self._started = True
        return out

    def _next_member(self) -> bytes:
        rest = self._zlib.unused_data
        if not (self._gzip and rest.startswith(_GZIP_MAGIC)):
            return b""  # browsers ignore trailing garbage after the stream
        self._zlib = zlib.decompressobj(self._wbits)
        return rest


# Not br: warcio 1.8.1 cannot read brotli records with the maintained brotli
# package (webrecorder/warcio#73), so `warcio check` would fail on them.
ACCEPT_ENCODING = "gzip, deflate"


def decoder_for(content_encoding: str | None) -> Decoder | None:
    """A decoder for the header value, or None if we cannot decode it.

    We only ask for gzip and deflate. Anything else a server sends anyway (br,
    stacked codings such as "gzip, gzip") is kept undecoded, as warcio does.
    """
    coding = (content_encoding or "identity").strip().lower()
    if coding == "identity":
        return Identity()
    if coding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if coding == "deflate":
        return _Zlib(gzip=False)
    return None


def decode_all(chunks: Iterable[bytes], decoder: Decoder) -> Iterator[bytes]:
    for chunk in chunks:
        yield from decoder.decode(chunk)
