"""Small steps every listener of market/notifications takes: a time as texts show it, who is
told what, and writing it (fanout.write) in the listener's unit of work."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from market.notifications.fanout import Tell, write


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


def save(s: Session, tells: list[Tell], link) -> None:
    write(s, tells, link)
    s.commit()
