"""Shoppers: who is browsing (cookie or storefront id), and their favourites, clicks,
search history and preferences, kept in Redis.

Identity:
- An anonymous shopper gets a random id in the ``vitrine_shopper`` cookie (HttpOnly,
  SameSite=Lax, a year long), so a browser keeps its favourites across visits.
- A storefront that knows its logged-in shopper sends ``X-Vitrine-Shopper: <its id>``
  with a bearer token; the id is namespaced by the client, so one storefront can never
  read another's shoppers, and an anonymous caller cannot claim anyone's id.

Keys (``{sid}`` is ``a:<cookie>`` or ``c:<client>:<storefront id>``). A profile is created
by the shopper's first change (a favourite, a click, the taste switch) or by a search sent
with the cookie an earlier answer gave, never by a request without one: each of those would
otherwise leave a profile behind. Anonymous
profiles expire VITRINE_PROFILE_TTL after their last use (each change or recorded search
renews it); storefront profiles persist (Redis runs with AOF in production). ``vitrine:`` is
the instance's prefix (ApiSettings.redis_prefix):
    vitrine:shopper:{sid}:fav      zset product id -> added at (unix seconds)
    vitrine:shopper:{sid}:clicks   zset product id -> last clicked at
    vitrine:shopper:{sid}:history  list of JSON entries, newest first
    vitrine:shopper:{sid}:prefs    hash (taste = "1" | "0")
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis

COOKIE = "vitrine_shopper"
HEADER = "X-Vitrine-Shopper"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
SHOPPER_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
MAX_FAVORITES = 500
MAX_CLICKS = 200  # older clicks weigh next to nothing in the taste vector anyway
MAX_HISTORY = 50
PREFIX = "vitrine:shopper:"


def new_anonymous_id() -> str:
    """A fresh cookie value: 128 random bits, unguessable."""
    return secrets.token_urlsafe(16)


def valid_id(value: str | None) -> bool:
    return bool(value) and SHOPPER_ID.fullmatch(value or "") is not None


@dataclass(frozen=True)
class ShopperKeys:
    """The Redis keys of one shopper."""

    sid: str
    prefix: str = PREFIX

    def key(self, part: str) -> str:
        return f"{self.prefix}{self.sid}:{part}"


def _without_time(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "at"}


class ShopperStore:
    """Profile operations for one shopper on a Redis client (callers handle outages)."""

    def __init__(
        self, client: redis.Redis, sid: str, anonymous_ttl_s: int | None = None, key_prefix: str = "vitrine:",
    ) -> None:
        """``key_prefix``: the instance's Redis prefix (ApiSettings.redis_prefix): profiles of
        one collection's products never show in another's."""
        self.r = client
        self.k = ShopperKeys(sid, f"{key_prefix}shopper:")
        self.ttl_s = anonymous_ttl_s if sid.startswith("a:") else None

    def _keys(self) -> list[str]:
        return [self.k.key(p) for p in ("fav", "clicks", "history", "prefs")]

    def touch(self) -> None:
        """Renew an anonymous profile's lifetime (storefront profiles have none)."""
        if self.ttl_s:
            pipe = self.r.pipeline(transaction=False)
            for key in self._keys():
                pipe.expire(key, self.ttl_s)
            pipe.execute()

    def record_search(self, entry: dict[str, Any]) -> None:
        """Add a search to the history and renew the profile's lifetime."""
        self.add_history(entry)
        self.touch()

    # -- favourites ------------------------------------------------------------------------

    def add_favorite(self, product_id: str, now: float | None = None) -> bool:
        """Add (or refresh) a favourite; returns whether it was new."""
        added = bool(self.r.zadd(self.k.key("fav"), {product_id: now or time.time()}))
        # Keep the newest MAX_FAVORITES: rank 0 is the oldest.
        self.r.zremrangebyrank(self.k.key("fav"), 0, -MAX_FAVORITES - 1)
        return added

    def remove_favorite(self, product_id: str) -> bool:
        return bool(self.r.zrem(self.k.key("fav"), product_id))

    def favorites(self, limit: int = MAX_FAVORITES) -> list[tuple[str, float]]:
        """(product id, added at), newest first."""
        rows = self.r.zrevrange(self.k.key("fav"), 0, limit - 1, withscores=True)
        return [(m.decode(), float(s)) for m, s in rows]

    # -- clicks ----------------------------------------------------------------------------

    def add_click(self, product_id: str, now: float | None = None) -> None:
        self.r.zadd(self.k.key("clicks"), {product_id: now or time.time()})
        self.r.zremrangebyrank(self.k.key("clicks"), 0, -MAX_CLICKS - 1)

    def clicks(self, limit: int = MAX_CLICKS) -> list[tuple[str, float]]:
        rows = self.r.zrevrange(self.k.key("clicks"), 0, limit - 1, withscores=True)
        return [(m.decode(), float(s)) for m, s in rows]

    # -- history ---------------------------------------------------------------------------

    def add_history(self, entry: dict[str, Any]) -> None:
        """Record a search; repeating the newest search does not add a duplicate line."""
        line = json.dumps(entry, sort_keys=True)
        newest = self.r.lindex(self.k.key("history"), 0)
        if newest is not None:
            previous = json.loads(newest)
            if _without_time(previous) == _without_time(entry):
                self.r.lset(self.k.key("history"), 0, line)
                return
        pipe = self.r.pipeline()
        pipe.lpush(self.k.key("history"), line)
        pipe.ltrim(self.k.key("history"), 0, MAX_HISTORY - 1)
        pipe.execute()

    def history(self, limit: int = MAX_HISTORY) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.r.lrange(self.k.key("history"), 0, limit - 1)]

    def clear_history(self) -> int:
        """Forget every past search; returns how many there were."""
        count = int(self.r.llen(self.k.key("history")))
        self.r.delete(self.k.key("history"))
        return count

    # -- preferences -----------------------------------------------------------------------

    def taste_enabled(self) -> bool:
        """Personal ranking is on unless the shopper switched it off."""
        return self.r.hget(self.k.key("prefs"), "taste") != b"0"

    def set_taste(self, enabled: bool) -> None:
        self.r.hset(self.k.key("prefs"), "taste", "1" if enabled else "0")

    def forget(self) -> None:
        """Delete the whole profile."""
        self.r.delete(*self._keys())
