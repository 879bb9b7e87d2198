"""Small steps every listener of market/notifications takes: a time as texts show it, who is
told what, and writing it (fanout.write) in the listener's unit of work.

`in_batch(handler)` registers a per-event listener as a batch one (bus.after_commit(...,
batch=True)): the listener runs for each event of the outbox batch as before (its reads), but
what it `save`s is collected and written for the whole batch by one fanout.write_many (a few
statements for the batch instead of those per event)."""
from __future__ import annotations

import functools
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from sqlalchemy.orm import Session

from market.db import unit_of_work
from market.notifications.fanout import Tell, write, write_many


def when(moment: datetime | date | str | None) -> str:
    """A time as the texts show it (UTC, to the minute; a date as is): the reader's zone is
    not known here."""
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = date.fromisoformat(moment) if len(moment) == 10 else datetime.fromisoformat(moment)
    if not isinstance(moment, datetime):
        return moment.isoformat()
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def order_link(order) -> tuple[str, str]:
    return ("order", str(order.public_id))


def tell(users, kind: str, params: dict) -> list[Tell]:
    return [Tell(u, kind, dict(params)) for u in users]


@dataclass(frozen=True)
class Recipient:
    """What the fan-out reads of a user, copied while the listener's session is open: the
    batch is written after that session closed (and rolled back its savepoint)."""

    id: int
    locale: str | None
    organization_id: int


class _Batch:
    def __init__(self) -> None:
        self.outbox_id: int | None = None
        self.told: list[tuple[int, list[Tell], tuple[str, str] | None]] = []


_batch: ContextVar[_Batch | None] = ContextVar("notifications_batch", default=None)


def save(s: Session, tells: list[Tell], link) -> None:
    batch = _batch.get()
    if batch is None:
        write(s, tells, link)
        s.commit()
        return
    copies = [Tell(Recipient(t.user.id, t.user.locale, t.user.organization_id), t.kind, t.params) for t in tells]
    if batch.told and batch.told[-1][0] == batch.outbox_id:  # saved twice for one event: one entry
        outbox_id, earlier, first_link = batch.told[-1]
        batch.told[-1] = (outbox_id, earlier + copies, first_link)
    else:
        batch.told.append((batch.outbox_id, copies, link))


def in_batch(handler: Callable) -> Callable:
    """`handler(event)` as a batch handler, `run([(outbox_id, event), ...])`, under the same
    name (outbox rows name their handler). If anything raises, the bus runs each event alone
    (a batch of one), so one bad event fails alone."""

    @functools.wraps(handler)
    def run(events: list[tuple[int, object]]) -> None:
        batch = _Batch()
        token = _batch.set(batch)
        try:
            for outbox_id, event in events:
                batch.outbox_id = outbox_id
                handler(event)
        finally:
            _batch.reset(token)
        if batch.told:
            with unit_of_work() as s:
                write_many(s, batch.told)
                s.commit()

    return run
