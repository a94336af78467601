"""Turn a URL into a vetted fetch target: normalised host, port and addresses.

Everything here decides *where* a request may go; nothing here does I/O except
calling the policy's resolver once per hop.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import string
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from claims.capture.errors import FetchFailed, Refused
from claims.capture.policy import FetchPolicy

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_HOST_LENGTH = 253
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Target:
    url: str  # normalised, without fragment; what goes into WARC-Target-URI
    scheme: str
    host: str  # for the Host header and TLS (IDNA-encoded, IPv6 without brackets)
    port: int
    # Set when the URL names an address, not a name; an IPv4-mapped IPv6
    # address is its IPv4 address, which is what a connection to it reaches.
    literal: IPAddress | None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"

    @property
    def request_target(self) -> str:
        parts = urlsplit(self.url)
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path


def parse_target(url: str, policy: FetchPolicy) -> Target:
    """Validate and normalise a URL. Raises Refused for anything unsafe."""
    url = url.strip()
    if _CONTROL.search(url):
        raise Refused("Refused: the link contains control characters")
    raw = _split(url)
    scheme = raw.scheme.lower()
    if scheme not in policy.allowed_schemes or scheme not in DEFAULT_PORTS:
        allowed = " and ".join(policy.allowed_schemes)
        raise Refused(f"Refused: only {allowed} links can be captured")
    # A user name in the authority is the classic way to disguise the real host
    # (http://trusted.example@10.0.0.1/); no cited source needs one.
    if "@" in raw.netloc or "\\" in raw.netloc:
        raise Refused("Refused: links with a user name or password are not allowed")
    try:
        parts = _split(safe_url_string(url))
        port = DEFAULT_PORTS[scheme] if parts.port is None else parts.port
    except ValueError:
        raise Refused("Refused: the link is not a valid web address") from None
    host, literal = _parse_host(parts.hostname or "", bracketed="[" in parts.netloc)
    shown = f"[{host}]" if ":" in host else host
    netloc = shown if port == DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    normalised = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(normalised, scheme, host, port, literal)


def host_key(url: str) -> str:
    """The host `url` reaches, normalised as for fetching (lowercase, IDNA, no
    trailing dot, addresses in standard form, IPv4-mapped ones as IPv4); "" if
    the URL would be refused. Key per-host limits on it, so that every
    spelling of a host shares them."""
    try:
        target = parse_target(url, FetchPolicy())
    except Refused:
        return ""
    return target.host if target.literal is None else str(target.literal)


def _split(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError:
        raise Refused("Refused: the link is not a valid web address") from None


def _parse_host(host: str, *, bracketed: bool) -> tuple[str, IPAddress | None]:
    if not host:
        raise Refused("Refused: the link has no site name")
    if bracketed:
        try:
            # Zone ids (fe80::1%eth0) only make sense on this machine's links.
            address = ipaddress.IPv6Address(host) if "%" not in host else None
        except ValueError:
            address = None
        if address is None:
            raise Refused("Refused: the link is not a valid web address")
        return str(address), _unmapped(address)
    host = host.removesuffix(".")
    if _ends_in_number(host):
        address = _parse_ipv4(host)
        return str(address), address
    if len(host) > MAX_HOST_LENGTH:
        raise Refused("Refused: the site name is too long")
    if not all(_LABEL.match(label) for label in host.split(".")):
        raise Refused("Refused: the site name is not valid")
    return host, None


def _ends_in_number(host: str) -> bool:
    last = host.rsplit(".", 1)[-1]
    return _is_decimal(last) or (last[:2] in ("0x", "0X") and _is_hex(last[2:]))


def _is_decimal(digits: str) -> bool:
    return bool(digits) and all(c in string.digits for c in digits)


def _is_hex(digits: str) -> bool:
    return all(c in string.hexdigits for c in digits)


def _parse_ipv4(host: str) -> ipaddress.IPv4Address:
    """Parse an IPv4 host the way browsers and the C library do.

    ipaddress only accepts dotted quads, but 2130706433, 0x7f.1, 0177.0.0.1 and
    127.1 all reach 127.0.0.1 when given to a socket, so we must see them as such
    (WHATWG URL standard, "IPv4 parser").
    """
    parts = host.split(".")
    try:
        numbers = [_ipv4_number(part) for part in parts]
    except ValueError:
        numbers = []
    if not 1 <= len(numbers) <= 4 or any(n > 255 for n in numbers[:-1]):
        raise Refused(f"Refused: {host} is not a valid address")
    last = numbers[-1]
    if last >= 256 ** (5 - len(numbers)):
        raise Refused(f"Refused: {host} is not a valid address")
    value = last
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int:
    # int() alone would also accept "1_0", " 1" and non-ASCII digits
    if part[:2] in ("0x", "0X") and _is_hex(part[2:]):
        return int(part[2:] or "0", 16)
    if not _is_decimal(part):
        raise ValueError(part)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def vet_addresses(target: Target, policy: FetchPolicy) -> list[str]:
    """Resolve once and return the addresses to connect to, or raise Refused.

    Every address must pass: a name that resolves to one public and one private
    address is refused, since we cannot control which one a retry would use.
    """
    if target.literal is not None:
        addresses: list[IPAddress] = [target.literal]
    else:
        addresses = _resolve(target, policy)
    for address in addresses:
        _check_address(address, target.port, policy)
    return [str(address) for address in addresses]


def _resolve(target: Target, policy: FetchPolicy) -> list[IPAddress]:
    try:
        found = policy.resolver(target.host, target.port)
    except socket.gaierror as error:
        missing = error.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", 0))
        if missing:
            raise FetchFailed(
                f"The site name {target.host} does not exist",
                kind="dns",
                transient=False,
            ) from None
        raise FetchFailed(
            f"The site name {target.host} could not be looked up", kind="dns"
        ) from None
    except OSError:
        raise FetchFailed(
            f"The site name {target.host} could not be looked up", kind="dns"
        ) from None
    if not found:
        raise FetchFailed(
            f"The site name {target.host} has no addresses", kind="dns", transient=False
        )
    try:
        return [_unmapped(ipaddress.ip_address(address)) for address in found]
    except ValueError:
        raise FetchFailed(
            f"The site name {target.host} resolved to an invalid address",
            kind="dns",
            transient=False,
        ) from None


def _unmapped(address: IPAddress) -> IPAddress:
    """::ffff:a.b.c.d is a.b.c.d to the socket layer: judge and reach that."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def _check_address(address: IPAddress, port: int, policy: FetchPolicy) -> None:
    if any(address in network for network in policy.allow_networks):
        return
    problem = non_public_reason(address)
    if problem:
        raise Refused(f"Refused: {address} is {problem}")
    if port not in policy.allowed_ports:
        raise Refused(f"Refused: port {port} is not allowed")


def non_public_reason(address: IPAddress) -> str | None:
    """Say why an address is not on the public internet, or None if it is."""
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        # fec0::/10 (deprecated, RFC 3879) is still routed inside some networks,
        # but ipaddress judges it global.
        (getattr(address, "is_site_local", False), "a site-local address"),
        (not address.is_global, "not a public address"),
    )
    reason = next((reason for failed, reason in checks if failed), None)
    if reason or isinstance(address, ipaddress.IPv4Address):
        return reason
    for embedded in _embedded_ipv4(address):
        reason = non_public_reason(embedded)
        if reason:
            return f"{reason} in IPv6 form"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses that an IPv6 address routes to on some networks.

    How ipaddress judges these forms has changed between Python releases
    (CVE-2024-4032), so we check the embedded IPv4 address ourselves.
    """
    embedded = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        embedded.extend(address.teredo)
    if address in _NAT64 or int(address) >> 32 == 0:
        # NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible form (::a.b.c.d)
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [ip for ip in embedded if ip is not None]
