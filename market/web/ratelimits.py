"""A `limits` storage in the application's own database: RATELIMIT_STORAGE_URI=database://.

Every gunicorn worker (and every machine on one database) counts into the same rows, so a
"20 per minute" limit is 20 per minute, not 20 per worker. One atomic upsert per hit; only
the fixed-window strategy (Flask-Limiter's default) is supported. The X-RateLimit headers of a
response are read from the hit that request just made (remembered on `flask.g`), not from two
more queries per call."""
from __future__ import annotations

import itertools
import time

from flask import current_app, g, has_request_context
from limits.storage import Storage
from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError

from market.web.models import RateLimitCounter

# Either the window ran out (start again at `amount`) or it goes on (add `amount`).
_INCR = text("""
INSERT INTO rate_limit_counters (bucket, count, expires_at) VALUES (:bucket, :amount, :now + :expiry)
ON CONFLICT (bucket) DO UPDATE SET
  count = CASE WHEN rate_limit_counters.expires_at <= :now THEN :amount ELSE rate_limit_counters.count + :amount END,
  expires_at = CASE WHEN rate_limit_counters.expires_at <= :now THEN :now + :expiry ELSE rate_limit_counters.expires_at END
RETURNING count, expires_at""")
PURGE_EVERY = 1000  # hits of this process between deletions of ran-out windows


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._hits = itertools.count(1)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _engine():
        return current_app.extensions["db"].engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._engine().begin() as conn:
            count, expires_at = conn.execute(
                _INCR, {"bucket": key, "amount": amount, "now": now, "expiry": expiry}).one()
            if next(self._hits) % PURGE_EVERY == 0:
                conn.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at < now))
        if has_request_context():
            g.setdefault("rate_limit_hits", {})[key] = (count, expires_at)
        return count

    @staticmethod
    def _this_request(key: str) -> tuple[int, float] | None:
        return g.get("rate_limit_hits", {}).get(key) if has_request_context() else None

    def get(self, key: str) -> int:
        if (hit := self._this_request(key)) is not None:
            return hit[0]
        with self._engine().connect() as conn:
            count = conn.execute(select(RateLimitCounter.count).where(
                RateLimitCounter.bucket == key, RateLimitCounter.expires_at > time.time())).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        if (hit := self._this_request(key)) is not None:
            return max(hit[1], time.time())
        with self._engine().connect() as conn:
            expires_at = conn.execute(select(RateLimitCounter.expires_at).where(RateLimitCounter.bucket == key)).scalar()
        return max(expires_at or 0.0, time.time())

    def check(self) -> bool:
        try:
            with self._engine().connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._engine().begin() as conn:
            return conn.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as conn:
            conn.execute(delete(RateLimitCounter).where(RateLimitCounter.bucket == key))
