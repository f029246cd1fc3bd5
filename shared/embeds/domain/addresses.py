"""Which network addresses a link preview may be fetched from.

Only public unicast addresses: never loopback, private (RFC 1918, IPv6 ULA), link-local
(169.254/16, the cloud metadata address among them; fe80::/10), site-local, multicast,
unspecified, shared (CGNAT, 100.64/10), documentation, benchmarking or reserved ones. An IPv4
address written as IPv6 (``::ffff:a.b.c.d``, NAT64's ``64:ff9b::/96``) is judged as the IPv4
address it carries. An explicit allow-list (the local stack and tests serve pages from
loopback) admits its networks on any port; nothing else is ever admitted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

__all__ = ["Address", "AddressPolicy", "is_public", "parse_address"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The only ports a public page is fetched on: the schemes' own.
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def parse_address(text: str) -> Address:
    """An address as a resolver answers it (an IPv6 scope suffix such as ``%eth0`` dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Whether an address is a public unicast one (see the module's docstring)."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = _carried_ipv4(address)
        if carried is not None:
            return is_public(carried)
        if address.is_site_local:
            return False
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_private
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_unspecified
        and not address.is_reserved
    )


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses on the scheme's own port, plus the explicitly allowed networks."""

    allowed: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, networks: list[str]) -> AddressPolicy:
        """A policy allowing these networks (``"127.0.0.1/32"``, ``"::1"``) besides public ones."""
        return cls(tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks))

    def explicitly_allowed(self, address: Address) -> bool:
        return any(address.version == n.version and address in n for n in self.allowed)

    def permits(self, address: Address, scheme: str, port: int) -> bool:
        """Whether a page may be fetched from ``address`` on ``port``."""
        if self.explicitly_allowed(address):
            return True
        return is_public(address) and DEFAULT_PORTS.get(scheme) == port
