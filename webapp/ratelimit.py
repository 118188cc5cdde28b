"""Per-client rate limits shared by every gunicorn worker.

Counters live in one SQLite file (WAL mode) in the data directory, so two workers enforce
one limit, not two halves of it, and a restart does not hand out a fresh allowance. The
sliding-window counter (this minute's count plus the previous minute's, weighted by how
much of it still overlaps the last 60 s) avoids the burst a fixed window allows at its edge.
"""
from __future__ import annotations

import math
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until a request would be allowed again (0 when allowed)


class RateLimitStoreError(Exception):
    """The counter store cannot be reached or read (Redis down, for one)."""


class RateLimitStore(Protocol):
    """Where the counters live: SQLite on one machine (below), Redis across replicas."""

    def hit(self, client: str, rule: str, limit: int) -> Decision: ...


class RateLimiter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS hits (client TEXT, rule TEXT, window INTEGER, count INTEGER,"
                " PRIMARY KEY (client, rule, window))"
            )

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread (and so per forked worker: it is made after the fork).
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # counters, not records: speed over durability
            self._local.db = db
        return db

    def hit(self, client: str, rule: str, limit: int, now: float | None = None) -> Decision:
        """Count one request of `client` against `rule` (at most `limit` a minute)."""
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        elapsed = (now % WINDOW_SECONDS) / WINDOW_SECONDS
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            previous = _count(db, client, rule, window - 1)
            current = _count(db, client, rule, window)
            used = previous * (1 - elapsed) + current
            if used + 1 > limit:
                db.execute("COMMIT")
                return Decision(False, limit, 0, _retry_after(previous, current, limit, elapsed))
            db.execute(
                "INSERT INTO hits VALUES (?, ?, ?, 1) ON CONFLICT(client, rule, window) DO UPDATE SET count = count + 1",
                (client, rule, window),
            )
            if current == 0:  # first hit of a window: forget windows nobody can reach any more
                db.execute("DELETE FROM hits WHERE window < ?", (window - 1,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return Decision(True, limit, max(0, int(limit - used - 1)), 0)


def _count(db: sqlite3.Connection, client: str, rule: str, window: int) -> int:
    row = db.execute("SELECT count FROM hits WHERE client=? AND rule=? AND window=?", (client, rule, window)).fetchone()
    return int(row[0]) if row else 0


def _retry_after(previous: int, current: int, limit: int, elapsed: float) -> int:
    """Whole seconds until one more request fits under the weighted count, if nobody sends any.

    Within this window: previous * (1 - e') + current + 1 <= limit. When this window is
    already full, the wait runs into the next one, where this window's count becomes the
    weighted previous one: current * (1 - f) + 1 <= limit.
    """
    if current + 1 <= limit:
        needed = 1 - (limit - current - 1) / previous if previous else elapsed
        wait = (needed - elapsed) * WINDOW_SECONDS
    else:
        next_window = max(0.0, 1 - (limit - 1) / current)
        wait = (1 - elapsed + next_window) * WINDOW_SECONDS
    # floor + 1 rather than ceil: at exactly the boundary float rounding could still refuse.
    return max(1, math.floor(wait) + 1)
