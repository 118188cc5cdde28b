"""Rate-limit counters in Redis, for replicas behind a load balancer (`REDIS_URL`).

Several app machines see one client's requests between them, so a per-machine SQLite file
would let each replica hand out the full allowance. The counting is the `limits` library's
sliding-window counter (the store Flask-Limiter uses), the same algorithm as the embedded
SQLite limiter: this minute's count plus the previous minute's, weighted by its overlap.
"""
from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError

from .ratelimit import Decision, RateLimitStoreError

KEY_PREFIX = "jm-search"  # keeps our counters apart from anything else in a shared Redis


class RedisRateLimiter:
    def __init__(self, url: str) -> None:
        # socket timeouts bound how long a request waits on an unreachable Redis before the
        # caller's failure policy applies, instead of hanging a worker.
        self.storage = RedisStorage(url, key_prefix=KEY_PREFIX, socket_timeout=2, socket_connect_timeout=2)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self._items: dict[int, RateLimitItemPerMinute] = {}

    def hit(self, client: str, rule: str, limit: int) -> Decision:
        """Count one request of `client` against `rule` (at most `limit` a minute)."""
        item = self._items.setdefault(limit, RateLimitItemPerMinute(limit))
        try:
            allowed = self.limiter.hit(item, rule, client)
            stats = self.limiter.get_window_stats(item, rule, client)
        except RedisError as exc:
            raise RateLimitStoreError(f"Redis rate-limit store: {exc}") from exc
        if allowed:
            return Decision(True, limit, stats.remaining, 0)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return Decision(False, limit, 0, retry_after)
