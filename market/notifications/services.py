"""The notification centre: a user's notifications (only their own: every query filters on
the caller's user id), marking them read, and their preferences."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from market import errors
from market.auth import Actor
from market.db import unit_of_work, utcnow
from market.notifications import catalogue, quiet
from market.notifications.fanout import preferences
from market.notifications.models import Notification, NotificationPreference
from market.pagination import Order as Keys
from market.pagination import Page, paginate


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:  # a token nobody made (created by the platform): it has no inbox
        raise errors.Forbidden("notifications belong to a user; this token has none")
    return actor.user_id


def unread_count(actor: Actor) -> int:
    with unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == _user_id(actor), Notification.read_at.is_(None))) or 0


def list_notifications(actor: Actor, *, unread: bool = False, kind: str | None = None, page: int = 1,
                       per_page: int = 20, cursor: str | None = None) -> Page[Notification]:
    if kind and kind not in catalogue.BY_NAME:
        raise errors.Invalid(f"unknown kind {kind!r}; kinds are {', '.join(catalogue.BY_NAME)}", field="kind")
    with unit_of_work() as s:
        stmt = select(Notification).where(Notification.user_id == _user_id(actor))
        if unread:
            stmt = stmt.where(Notification.read_at.is_(None))
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return paginate(s, stmt, page, per_page, cursor=cursor,
                        order=Keys.of(Notification.created_at.desc(), Notification.id.desc()))


def _mine(s: Session, actor: Actor, public_id: uuid.UUID) -> Notification:
    note = s.scalar(select(Notification).where(Notification.public_id == public_id,
                                               Notification.user_id == _user_id(actor)))
    if note is None:
        raise errors.NotFound(f"notification {public_id} not found")
    return note


def mark_read(actor: Actor, public_id: uuid.UUID) -> Notification:
    with unit_of_work() as s:
        note = _mine(s, actor, public_id)
        if note.read_at is None:
            note.read_at = utcnow()
            s.commit()
            s.refresh(note)
        return note


def mark_all_read(actor: Actor) -> int:
    with unit_of_work() as s:
        count = s.execute(update(Notification).where(Notification.user_id == _user_id(actor),
                                                     Notification.read_at.is_(None))
                          .values(read_at=utcnow())).rowcount
        s.commit()
        return count


@dataclass(frozen=True)
class Preferences:
    email: dict[str, bool]  # every kind: e-mail on or off (the default where the user chose nothing)
    digest: bool
    digest_kinds: frozenset[str]  # kinds whose mail waits for the digest (all of them when `digest`)
    quiet_start: str | None
    quiet_end: str | None
    time_zone: str


def get_preferences(actor: Actor) -> Preferences:
    with unit_of_work() as s:
        row = preferences(s, _user_id(actor))
        return _view(row)


def _view(row: NotificationPreference) -> Preferences:
    chosen = row.email or {}
    return Preferences({k.name: bool(chosen.get(k.name, k.action)) for k in catalogue.KINDS}, bool(row.digest),
                       frozenset(k for k, v in chosen.items() if v == "digest"),
                       row.quiet_start, row.quiet_end, row.time_zone)


def set_preferences(actor: Actor, *, email: dict[str, bool | str], digest: bool, quiet_start: str | None,
                    quiet_end: str | None, time_zone: str) -> Preferences:
    """`email`: kind -> True (each mail), False (none) or "digest" for the kinds given (others
    keep their default)."""
    unknown = sorted(set(email) - set(catalogue.BY_NAME))
    if unknown:
        raise errors.Invalid(f"unknown kind(s) {', '.join(unknown)}", field="email")
    bad = sorted(k for k, v in email.items() if not (v is True or v is False or v == "digest"))
    if bad:
        raise errors.Invalid(f"e-mail choice of {', '.join(bad)} is not true, false or \"digest\"", field="email")
    # worded for the portal's reader too (the settings page shows them by their fields)
    for name, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        try:
            quiet.parse_hhmm(value)
        except ValueError as exc:
            raise errors.refusal(errors.Invalid, _l("%(text)s is not a time of day as HH:MM (00:00 to 23:59)",
                                                     text=repr(value)), field=name, detail=str(exc)) from None
    if bool(quiet_start) != bool(quiet_end):
        raise errors.refusal(errors.Invalid, _l("quiet hours need both a start and an end"),
                             field="quiet_end" if quiet_start else "quiet_start")
    try:
        quiet.zone(time_zone)
    except ValueError as exc:
        raise errors.refusal(errors.Invalid, _l("unknown time zone %(name)s; use an IANA name such as Asia/Shanghai",
                                                 name=repr(time_zone)), field="time_zone", detail=str(exc)) from None
    user_id = _user_id(actor)
    with unit_of_work() as s:
        row = s.get(NotificationPreference, user_id)
        if row is None:
            row = NotificationPreference(user_id=user_id)
            s.add(row)
        # only what differs from the catalogue's default is kept: a changed default reaches everyone else
        row.email = {k: v for k, v in email.items() if v != catalogue.BY_NAME[k].action}
        row.digest, row.time_zone = digest, time_zone
        row.quiet_start, row.quiet_end = quiet_start or None, quiet_end or None
        s.commit()
        return _view(row)
