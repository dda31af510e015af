"""SSRF guard for URLs our servers call on a client's behalf (status webhooks).

A URL is allowed when its scheme is http or https and every address its host
resolves to is a public unicast address: private (RFC 1918, ULA), loopback,
link-local, multicast, reserved, unspecified, shared (CGNAT) and IPv4-mapped
forms of those are refused, for IPv4 and IPv6, and so is a port other than 80,
443 and ``WEBHOOK_ALLOWED_PORTS``, unless the operator turns on
``WEBHOOK_ALLOW_PRIVATE``. ``resolve_url`` answers the addresses so the caller
connects to exactly the address that was checked (no second DNS lookup an
attacker could rebind between the check and the connection).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class UrlRefusedError(ValueError):
    """``code`` is a stable reason: invalid_url, scheme_not_allowed, port_not_allowed,
    unresolvable, private_address."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ResolvedUrl:
    scheme: str
    host: str  # as written in the URL (for Host / SNI / certificate checks)
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]  # checked, in resolver order


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip.sixtofour is not None or ip.teredo is not None:
            return False
    return (
        not (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_multicast
            or ip.is_reserved
            or ip.is_unspecified
        )
        and ip.is_global
    )


def parse_url(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or len(url) > 500:
        raise UrlRefusedError("Not a valid URL.", code="invalid_url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefusedError("Not a valid URL.", code="invalid_url") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefusedError("Only http and https URLs are allowed.", code="scheme_not_allowed")
    if not parts.hostname or parts.username or parts.password:
        raise UrlRefusedError("The URL needs a host and no user name or password.", code="invalid_url")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), target


def resolve_url(url: str, *, allow_private: bool | None = None) -> ResolvedUrl:
    """Check ``url`` and resolve its host; raises UrlRefusedError."""
    scheme, host, port, target = parse_url(url)
    allow = settings.WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefusedError(f"Cannot resolve {host}.", code="unresolvable") from exc
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UrlRefusedError(f"Cannot resolve {host}.", code="unresolvable")
    if not allow:
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise UrlRefusedError(f"{host} resolves to a non-public address ({refused[0]}).", code="private_address")
        if port not in (80, 443, *settings.WEBHOOK_ALLOWED_PORTS):
            raise UrlRefusedError(
                f"Port {port} is not allowed for webhooks (80, 443 or WEBHOOK_ALLOWED_PORTS).", code="port_not_allowed"
            )
    return ResolvedUrl(scheme, host, port, target, addresses)
