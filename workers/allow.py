"""``VITRINE_FETCH_ALLOW_HOSTS``: private image hosts (a storefront's internal CDN) that image
fetches may reach, by exact host name or by network (CIDR).

Image fetches refuse every non-public address (indexer/media.py), which also refuses an
internal CDN. Naming it here lifts the refusal for that host alone: a URL on an allowed host
name may connect wherever the name resolves, and any URL may connect to an address inside an
allowed network. Everything else keeps the public-only rule.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from errors import SettingsError
from indexer.media import Address, FetchPolicy

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AllowList:
    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Sequence[str]) -> AllowList:
        """Entries are host names or CIDRs (a bare address is a /32 or /128).

        Raises:
            SettingsError: an entry that is neither.
        """
        names: set[str] = set()
        networks: list[Network] = []
        for entry in (e.strip().lower() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if "/" in entry or ":" in entry or not all(part for part in entry.split(".")):
                raise SettingsError(f"VITRINE_FETCH_ALLOW_HOSTS: {entry!r} is neither a host name nor a CIDR")
            names.add(entry)
        return cls(frozenset(names), tuple(networks))

    def policy_for(self, url: str, policy: FetchPolicy) -> FetchPolicy:
        """``policy``, widened for ``url`` when its host or the address it reaches is allowed."""
        if not self.names and not self.networks:
            return policy
        host = (urlsplit(url).hostname or "").lower()
        if host in self.names:
            return dataclasses.replace(policy, allowed=lambda address: True)
        base = policy.allowed
        networks = self.networks

        def allowed(address: Address) -> bool:
            return base(address) or any(address in net for net in networks)

        return dataclasses.replace(policy, allowed=allowed)
