"""An in-process cache of what a bearer token acts as, invalidated through the database.

Every API call authenticates its token. Without the cache that is a session, a three-table
join and an Actor per call (~1/5 of an order list's Python in bench/api_cost.py). With it a
call reads one counter row (`token_generation`, by primary key) and reuses the actor this
process found for the token while the counter is unchanged.

Invalidation: any ORM flush that revokes a token, changes a user's role or organization, or
renames or re-kinds an organization also bumps the counter, in the same transaction
(`before_flush` below): the next call in *any* process or app instance on the database sees a
new value and looks the token up again, so a revocation or a demotion takes effect at once.
A change made behind the ORM's back (hand-written SQL on those tables) does not bump it: such
a change is seen within TTL_S seconds, the bound on any entry's age (which also keeps
`last_used_at`, touched at most once a minute, within about two minutes of the truth).
Without the counter row (a database not migrated this far) nothing is cached."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from market.accounts.models import ApiToken, Organization, TokenGeneration, User
from market.auth import Actor

TTL_S = 60.0
MAX_ENTRIES = 10_000  # tokens in use at once in one process; past it the cache starts afresh

# what a token acts as: these columns changing on a row already stored must bump the counter
WATCHED = {ApiToken: ("revoked_at", "scope", "organization_id", "created_by_id", "token_hash"),
           User: ("role", "organization_id"),
           Organization: ("name", "kind")}

READ = select(TokenGeneration.value).where(TokenGeneration.id == 1)
BUMP = update(TokenGeneration).where(TokenGeneration.id == 1).values(value=TokenGeneration.value + 1)


@dataclass(frozen=True)
class Entry:
    actor: Actor
    generation: int
    at: float  # time.monotonic() when looked up


class TokenCache:
    def __init__(self, ttl_s: float = TTL_S, clock=time.monotonic):
        self.ttl_s, self.clock = ttl_s, clock
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, generation: int | None) -> Actor | None:
        entry = self._entries.get(digest)
        if entry is None or generation is None or entry.generation != generation:
            return None
        if self.clock() - entry.at >= self.ttl_s:
            return None
        return entry.actor

    def put(self, digest: str, generation: int | None, actor: Actor) -> None:
        if generation is None:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = Entry(actor, generation, self.clock())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def read_generation(conn) -> int | None:
    """The counter, read before the token (so a change committed in between is never cached
    under the old value)."""
    return conn.execute(READ).scalar()


def _changes_an_actor(session: Session) -> bool:
    for obj in session.dirty:
        columns = WATCHED.get(type(obj))
        if columns and session.is_modified(obj, include_collections=False):
            from sqlalchemy import inspect

            state = inspect(obj)
            if any(state.attrs[c].history.has_changes() for c in columns):
                return True
    return any(type(obj) in WATCHED for obj in session.deleted)


@event.listens_for(Session, "before_flush")
def _bump_on_change(session: Session, flush_context, instances) -> None:
    if _changes_an_actor(session):
        session.connection().execute(BUMP)
