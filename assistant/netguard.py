"""Outbound fetch guard (SSRF): URLs never reach this machine or a private network unless allowed.

Every request the :class:`~assistant.sources.Reader` sends goes through
:class:`GuardedTransport`: the host is resolved, *every* address it resolves to must be public
(not loopback, private, link-local, CGNAT, multicast, reserved or unspecified; IPv4-mapped and
6to4/Teredo IPv6 forms are unwrapped first), and the connection is then made to the checked
address itself, so a second DNS answer cannot swap in another one. Redirects are new requests
through the same transport, so each hop is checked. Decimal and hex IPv4 spellings
(``2130706433``, ``0x7f000001``) resolve to what they mean and are caught the same way.

Operators allow private targets with ``ASSISTANT_ALLOW_PRIVATE_URLS=true`` (everything) or
``ASSISTANT_URL_ALLOWLIST`` (host names, addresses or networks such as ``10.1.0.0/16``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from assistant.errors import IngestError, URLRefused

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")
HOW_TO_ALLOW = (
    "set ASSISTANT_ALLOW_PRIVATE_URLS=true or add the host to ASSISTANT_URL_ALLOWLIST "
    "if this is intended"
)


def unwrap(ip: IP) -> IP:
    """The IPv4 address inside an IPv4-mapped, 6to4 or Teredo IPv6 address (else ``ip``)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def is_public(ip: IP) -> bool:
    """Whether ``ip`` is a globally routable unicast address."""
    inner = unwrap(ip)
    return inner.is_global and not inner.is_multicast


@dataclass(frozen=True)
class NetGuard:
    """Which hosts URL fetches may reach. Cheap to build; resolves on each check."""

    allow_private: bool = False
    allowlist: tuple[str, ...] = ()

    def allowing(self, hosts: Iterable[str]) -> NetGuard:
        """This guard, also allowing ``hosts`` (e.g. the ones an operator typed)."""
        return replace(self, allowlist=self.allowlist + tuple(h.lower() for h in hosts if h))

    def _listed(self, host: str, ip: IP | None) -> bool:
        for entry in self.allowlist:
            entry = entry.strip().lower().strip("[]")
            if entry == host.lower():
                return True
            if ip is not None:
                try:
                    if ip in ipaddress.ip_network(entry, strict=False) or (
                        unwrap(ip) in ipaddress.ip_network(entry, strict=False)
                    ):
                        return True
                except ValueError:
                    continue
        return False

    def resolve(self, url: httpx.URL | str) -> list[str]:
        """The checked addresses ``url``'s host resolves to.

        Raises:
            URLRefused: not http(s), or the host is (or resolves to) a non-public address.
            IngestError: the host cannot be resolved.
        """
        try:
            url = httpx.URL(url) if isinstance(url, str) else url
        except httpx.InvalidURL as e:
            raise URLRefused(f"{str(url)[:200]}: not a valid URL ({e})") from e
        shown = str(url)[:200]
        if url.scheme not in SCHEMES:
            raise URLRefused(f"{shown}: only http(s) URLs can be fetched")
        host = url.host
        if not host:
            raise URLRefused(f"{shown}: the URL has no host")
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as e:
            raise IngestError(f"{shown}: cannot resolve host {host!r} ({e})") from e
        addrs: list[str] = []
        for info in infos:
            addr = str(info[4][0]).split("%", 1)[0]
            if addr not in addrs:
                addrs.append(addr)
        if self.allow_private:
            return addrs
        for addr in addrs:
            ip = ipaddress.ip_address(addr)
            if not is_public(ip) and not self._listed(host, ip):
                what = host if addr == host else f"{host} (resolves to {addr})"
                raise URLRefused(
                    f"{shown}: refused to fetch: {what} is an address on this machine or a "
                    f"private network; {HOW_TO_ALLOW}"
                )
        return addrs

    def transport(self, **kw: Any) -> GuardedTransport:
        """An httpx transport that checks and pins every request (and so every redirect)."""
        return GuardedTransport(self, **kw)


class GuardedTransport(httpx.HTTPTransport):
    """Checks each request's host with a :class:`NetGuard` and connects to the checked address."""

    def __init__(self, guard: NetGuard, **kw: Any) -> None:
        super().__init__(**kw)
        self.guard = guard

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        addr = self.guard.resolve(request.url)[0]
        host = request.url.host
        if addr == host or self.guard.allow_private:
            return super().handle_request(request)
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = host  # TLS still verifies the certificate for host
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=addr),
            headers=request.headers,  # keeps Host: the original name
            stream=request.stream,
            extensions=extensions,
        )
        return super().handle_request(pinned)
