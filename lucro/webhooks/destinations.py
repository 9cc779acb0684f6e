"""Where a webhook may be sent: URL checks and address vetting against SSRF (SPEC §13).

Unless ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is on, a URL must be https and its host must
resolve only to public addresses: not private, loopback, link-local, shared (CGNAT),
multicast, reserved or unspecified, in IPv4 or IPv6, and not an IPv6 address that embeds
one of those (IPv4-mapped, NAT64, 6to4). The check runs when a URL is saved (a 400 with
pointer ``/url``) and again at every send (``transport.post`` connects only to the
addresses vetted here), so a name that later resolves somewhere else (DNS rebinding) is
refused then. Numeric forms such as ``http://2130706433/`` are covered: it is the resolved
addresses that are judged, never the text.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from lucro.webhooks.models import URL_MAX_LENGTH

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationRefused(Exception):
    """A URL or an address a webhook must not be sent to (the message says why)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 one carries (mapped, NAT64 or 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_problem(address: IPAddress) -> str | None:
    """Return why ``address`` is not a public one, or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = address_problem(embedded)
            return f"{address} embeds {embedded}: {inner}" if inner else None
    kinds = [
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        # Whatever else IANA does not call globally reachable (e.g. 100.64.0.0/10).
        ("non-public", not address.is_global),
    ]
    for kind, applies in kinds:
        if applies:
            return f"{address} is a {kind} address"
    return None


def addresses_resolve(host: str, port: int) -> list[IPAddress]:
    """Return the addresses ``host`` resolves to, in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DestinationRefused(f"The host {host!r} does not resolve.") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        # An IPv6 link-local answer may carry a zone ("fe80::1%eth0"): judge the address.
        text = str(info[4][0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise DestinationRefused(f"The host {host!r} does not resolve.")
    return addresses


def addresses_vetted(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Return the addresses to connect to for ``host``, all public unless ``allow_private``.

    One non-public address refuses the host: a sender that tried the public ones first
    would still reach the private one when they fail to answer.
    """
    addresses = addresses_resolve(host, port)
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise DestinationRefused(
                    f"The URL's host resolves to a non-public address ({problem}); webhooks "
                    "are only sent to public addresses."
                )
    return addresses


def url_parts(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, path with query) of an http(s) URL, or refuse it."""
    if len(url) > URL_MAX_LENGTH:
        raise DestinationRefused(f"At most {URL_MAX_LENGTH} characters.")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise DestinationRefused("A URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused(f"Not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise DestinationRefused("Must be an http or https URL.")
    if not parts.hostname:
        raise DestinationRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        # They would be shown in every listing of the endpoint (and in logs): the signature
        # is how a receiver knows the sender.
        raise DestinationRefused("The URL must not carry a user name or password.")
    if parts.fragment:
        raise DestinationRefused("The URL must not have a fragment (#…).")
    if port == 0:
        raise DestinationRefused("The URL's port must be 1 to 65535.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def url_check(url: str, *, allow_private: bool) -> None:
    """Refuse (``DestinationRefused``) a URL that webhooks may not be sent to now."""
    scheme, host, port, _ = url_parts(url)
    if not allow_private:
        if scheme != "https":
            raise DestinationRefused("Must be an https URL.")
        addresses_vetted(host, port, allow_private=False)
