"""Outgoing webhook POSTs, guarded against server-side request forgery.

- The host is resolved once; every address it resolves to must be public (not loopback,
  private, link-local, multicast, reserved, unspecified or shared, IPv4-mapped IPv6 judged as
  the IPv4 it carries) unless the host or the address is in the allow-list. The connection then
  goes to the address that was checked (the URL is rewritten to it, with ``Host`` and, for
  https, the TLS server name and certificate check kept on the original name), so a second DNS
  answer cannot swap in another address (no rebinding window).
- Redirects are not followed (a 3xx is a failed attempt), no proxy from the environment is used,
  and the whole attempt has one deadline.
- At most ``max_body`` bytes of the response are read; a longer one fails the attempt as
  RESPONSE_TOO_LARGE.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not "private" in Python


_tls: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """One TLS context for every delivery: building one (and loading the CA store) costs more
    CPU than a whole plain-HTTP delivery."""
    global _tls
    if _tls is None:
        _tls = ssl.create_default_context()
    return _tls


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in entries:
            e = entry.strip().lower().strip("[]")
            if not e:
                continue
            try:
                networks.append(ipaddress.ip_network(e, strict=False))
            except ValueError:
                hosts.add(e.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in n for n in self.networks if n.version == address.version)


def _plain(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: IPAddress) -> bool:
    a = _plain(address)
    if (
        a.is_loopback
        or a.is_private
        or a.is_link_local
        or a.is_multicast
        or a.is_reserved
        or a.is_unspecified
        or not a.is_global
    ):
        return False
    if isinstance(a, ipaddress.IPv4Address) and a in _SHARED:
        return False
    # 6to4 and Teredo carry an IPv4 address we would have to judge too: refused.
    return not (isinstance(a, ipaddress.IPv6Address) and (a.sixtofour or a.teredo))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook URL at all (before any resolution), or None."""
    if len(url) > 2000:
        return "is longer than 2000 characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an absolute http or https URL"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.fragment:
        return "must not have a fragment"
    return None


async def resolve_checked(url: str, allow: AllowList) -> IPAddress:
    """The address to connect to for ``url``: resolved once, refused unless public or allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        candidates = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as e:
            raise AddressRefused(f"{host} does not resolve") from e
        candidates = list(
            dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
        )
        if not candidates:
            raise AddressRefused(f"{host} does not resolve")
    host_allowed = literal is None and allow.allows_host(host)
    for address in candidates:
        if not (host_allowed or is_public(address) or allow.allows_address(_plain(address))):
            # Every answer must pass: a name that resolves to one public and one private
            # address is refused rather than raced.
            raise AddressRefused(f"{host} resolves to an address that is not public")
    return candidates[0]


@dataclass
class PostResult:
    status_code: int | None
    latency_ms: int
    body: bytes
    error: str | None
    """None, TIMEOUT, RESPONSE_TOO_LARGE, CONNECTION or ADDRESS_REFUSED."""
    error_message: str | None = None


async def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow: AllowList,
    timeout: float,
    max_body: int,
) -> PostResult:
    """POST ``body`` to ``url`` through the SSRF guard; how it went (never raises for the
    network)."""
    started = time.monotonic()

    def result(status: int | None, data: bytes, error: str | None, msg: str | None) -> PostResult:
        return PostResult(status, int((time.monotonic() - started) * 1000), data, error, msg)

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        async with asyncio.timeout(timeout):
            try:
                address = await resolve_checked(url, allow)
            except AddressRefused as e:
                return result(None, b"", "ADDRESS_REFUSED", str(e))
            netloc = f"[{address}]" if address.version == 6 else str(address)
            if parts.port:
                netloc += f":{parts.port}"
            target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
            host_header = parts.netloc.rsplit("@", 1)[-1]
            extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
            async with httpx.AsyncClient(
                follow_redirects=False, trust_env=False, timeout=timeout, verify=_tls_context()
            ) as client:
                request = client.build_request(
                    "POST",
                    target,
                    content=body,
                    headers={**headers, "Host": host_header, "Content-Type": "application/json"},
                    extensions=extensions,
                )
                response = await client.send(request, stream=True)
                try:
                    data = bytearray()
                    async for chunk in response.aiter_raw():
                        data += chunk
                        if len(data) > max_body:
                            return result(
                                response.status_code,
                                bytes(data[:max_body]),
                                "RESPONSE_TOO_LARGE",
                                f"the response is longer than {max_body} bytes",
                            )
                finally:
                    await response.aclose()
                return result(response.status_code, bytes(data), None, None)
    except TimeoutError:
        return result(None, b"", "TIMEOUT", f"no complete answer within {timeout:g} s")
    except httpx.HTTPError as e:
        return result(None, b"", "CONNECTION", f"{type(e).__name__}: {e}"[:500])
    except OSError as e:
        return result(None, b"", "CONNECTION", f"{type(e).__name__}: {e}"[:500])
