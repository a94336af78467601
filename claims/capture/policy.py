"""What capture() may fetch, and how long and how much it may take."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from claims.capture import __version__

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network
type Resolver = Callable[[str, int], list[str]]

DEFAULT_USER_AGENT = (
    f"FactcheckWorkbench/{__version__} "
    "(+https://github.com/factcheck-workbench; archiving cited sources)"
)
MB = 1024 * 1024


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system, keeping every address it returns."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one capture.

    `allow_networks` is the only way to reach non-public addresses. An address
    inside it may also be reached on any port: `allowed_ports` only restricts
    public addresses. List only hosts you trust completely.
    """

    allowed_schemes: tuple[str, ...] = ("http", "https")
    allowed_ports: tuple[int, ...] = (80, 443)
    allow_networks: tuple[Network, ...] = ()
    max_redirects: int = 10
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 120.0
    max_wire_bytes: int = 250 * MB
    max_body_bytes: int = 250 * MB
    user_agent: str = DEFAULT_USER_AGENT
    resolver: Resolver = system_resolver
    ca_file: Path | str | None = None

    @staticmethod
    def parse_networks(text: str) -> tuple[Network, ...]:
        """Parse a comma-separated CIDR list such as "127.0.0.1/32, 10.0.0.0/8"."""
        networks = []
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not a valid network; "
                    "write addresses in CIDR form such as 10.0.0.0/8 or ::1/128"
                ) from None
        return tuple(networks)
