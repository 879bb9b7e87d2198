"""Writing what an event tells: for each recipient an in-app notification and, when the
recipient wants it, an e-mail delivery row, all in one transaction keyed by the event's outbox
row (market/bus.py), so running the same row twice writes nothing more (the unique key
(outbox_id, user_id, channel) of notification_deliveries backs it). E-mail rows are drained by
`send_due`, off the request path."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from market import bus
from market.accounts.models import User
from market.db import among, insert_ids, unit_of_work, utcnow
from market.i18n import LANGUAGES
from market.notifications import catalogue, quiet
from market.notifications.email import html_part, send_email
from market.web.links import public_base_url
from market.notifications.models import Notification, NotificationDelivery, NotificationPreference
from market.notifications.webhooks import Owed, deliver_webhooks

log = logging.getLogger("market.notifications")

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)


def now() -> datetime:
    """The notifications' clock: the app's NOTIFICATIONS_CLOCK (tests inject one), else UTC now."""
    return current_app.config.get("NOTIFICATIONS_CLOCK", utcnow)()


def language_of(user: User) -> str:
    return user.locale if user.locale in LANGUAGES else "en"


def preferences(s: Session, user_id: int) -> NotificationPreference:
    """The user's row, or an unsaved one holding the defaults."""
    return s.get(NotificationPreference, user_id) or _default_preferences(user_id)


def email_choice(prefs: NotificationPreference, kind: str) -> bool | str:
    """True (each mail), False (none) or "digest" (listed in the periodic digest, digest.py)."""
    return (prefs.email or {}).get(kind, catalogue.wants_email_by_default(kind))


def wants_email(prefs: NotificationPreference, kind: str) -> bool:
    return bool(email_choice(prefs, kind))


def in_digest(prefs: NotificationPreference, kind: str) -> bool:
    """All of the user's mail (the digest switch) or this kind's (its own choice) waits for the digest."""
    return bool(prefs.digest) or email_choice(prefs, kind) == "digest"


@dataclass
class Tell:
    """One recipient of one kind, with the params only they may read."""

    user: User
    kind: str
    params: dict = field(default_factory=dict)


def write(s: Session, tells: list[Tell], link: tuple[str, str] | None, *, outbox_id: int | None = None,
          at: datetime | None = None) -> int:
    """Record `tells` in session `s` (the caller commits); returns how many notifications it
    wrote. A user told twice by one event (two audiences) is told once, by the first tell."""
    outbox_id = outbox_id if outbox_id is not None else bus.delivering()
    if outbox_id is None:
        raise RuntimeError("notifications are written by an after-commit handler (bus.delivering() is None)")
    return write_many(s, [(outbox_id, tells, link)], at=at)


def write_many(s: Session, told: list[tuple[int, list[Tell], tuple[str, str] | None]], *,
               at: datetime | None = None) -> int:
    """`write` for the events of a batch at once, [(outbox id, tells, link), ...]: the same rows,
    with a few statements for the whole batch (what is written already, the preferences, the
    notifications, the deliveries, the webhook endpoints and deliveries) instead of those per
    event. Returns how many notifications it wrote."""
    if not told:
        return 0
    at = at or now()
    done = set(tuple(row) for row in s.execute(
        select(NotificationDelivery.outbox_id, NotificationDelivery.user_id, NotificationDelivery.channel,
               NotificationDelivery.notification_id)
        .where(among(s, NotificationDelivery.outbox_id, {outbox_id for outbox_id, _, _ in told}))).all())
    notified = {(outbox_id, user_id): note_id for outbox_id, user_id, channel, note_id in done if channel == "in_app"}
    done = {row[:3] for row in done}
    # each event's recipients, each once (the first tell)
    firsts = []
    for outbox_id, tells, link in told:
        seen: set[int] = set()
        for tell in tells:
            if tell.user.id not in seen:
                seen.add(tell.user.id)
                firsts.append((outbox_id, tell, link))
    prefs = _preferences(s, {tell.user.id for _, tell, _ in firsts})
    # Core inserts: a fan-out writes these per event, and the ORM's flush costs more than the rows
    notes = [{"user_id": tell.user.id, "kind": tell.kind, "params": tell.params, "created_at": at,
              "link_kind": link[0] if link else None, "link_id": link[1] if link else None}
             for outbox_id, tell, link in firsts if (outbox_id, tell.user.id, "in_app") not in done]
    if notes:
        table = Notification.__table__
        new_ids = iter(insert_ids(s, table, notes))
    deliveries, written = [], 0
    for outbox_id, tell, link in firsts:
        user = tell.user
        language = language_of(user)
        if (outbox_id, user.id, "in_app") not in done:
            note_id = notified[(outbox_id, user.id)] = next(new_ids)
            deliveries.append({"outbox_id": outbox_id, "user_id": user.id, "channel": "in_app", "kind": tell.kind,
                               "notification_id": note_id, "status": "sent", "language": language, "subject": "",
                               "created_at": at, "send_after": at, "sent_at": at})
            written += 1
        pref = prefs.get(user.id) or DEFAULTS
        if (outbox_id, user.id, "email") not in done and wants_email(pref, tell.kind):
            subject, _ = catalogue.render(tell.kind, tell.params, language)
            deliveries.append({
                "outbox_id": outbox_id, "user_id": user.id, "channel": "email", "kind": tell.kind,
                "notification_id": notified.get((outbox_id, user.id)),
                "status": "digest" if in_digest(pref, tell.kind) else "pending",
                "language": language, "subject": subject[:300], "created_at": at, "sent_at": None,
                "send_after": quiet.release_at(at, pref.quiet_start, pref.quiet_end, pref.time_zone)})
    if deliveries:
        s.execute(insert(NotificationDelivery.__table__), deliveries)
    _to_webhooks(s, told)
    s.flush()
    return written


@dataclass(frozen=True)
class _Defaults:
    """What a user without a preferences row has (read-only; no ORM object per recipient)."""

    email: dict = field(default_factory=dict)
    digest: bool = False
    quiet_start: str | None = None
    quiet_end: str | None = None
    time_zone: str = "Asia/Shanghai"


DEFAULTS = _Defaults()


def _default_preferences(user_id: int) -> NotificationPreference:
    return NotificationPreference(user_id=user_id, email={}, digest=False, quiet_start=None, quiet_end=None,
                                  time_zone="Asia/Shanghai")


def _preferences(s: Session, user_ids: set[int]) -> dict[int, NotificationPreference]:
    """The saved choices of these users, in one query (a user without a row has the defaults)."""
    if not user_ids:
        return {}
    return {p.user_id: p for p in s.scalars(select(NotificationPreference)
                                             .where(among(s, NotificationPreference.user_id, user_ids)))}


def _to_webhooks(s: Session, told: list[tuple[int, list[Tell], tuple[str, str] | None]]) -> None:
    """The same news for each recipient organization's subscribed endpoints (webhooks, chat
    robots): its first tell's kind and params, which only its members may read anyway. One
    event id per (event, organization), so a handler run twice owes nothing twice."""
    owed = []
    for outbox_id, tells, link in told:
        first: dict[int, Tell] = {}
        for tell in tells:
            first.setdefault(tell.user.organization_id, tell)
        for organization_id, tell in first.items():
            _, summary = catalogue.render(tell.kind, tell.params, "en")
            data = {"summary": summary, "params": tell.params}
            if link:
                data.update(object={"type": link[0], "id": link[1]}, links={"self": external_link(*link)})
            owed.append(Owed(organization_id, tell.kind, data, f"evt_{outbox_id}_{organization_id}"))
    deliver_webhooks(s, owed)


def link_path(link_kind: str | None, link_id: str | None, *, external: bool = False) -> str:
    """Where a notification leads (catalogue.LINKS), as a path of this site or absolute."""
    if link_kind not in catalogue.LINKS:
        return url_for("notifications.index", _external=external)
    endpoint, arg = catalogue.LINKS[link_kind]
    return url_for(endpoint, _external=external, **({arg: link_id} if arg else {}))


def external_link(link_kind: str | None, link_id: str | None) -> str:
    """The same, absolute, from the configured public address (never a request's Host).
    Built with a URL adapter bound to that address (what url_for does inside a request made
    for it, without making one per link: the fan-out builds one per event)."""
    base = public_base_url()
    app = current_app._get_current_object()
    adapters = app.extensions.setdefault("notification_link_adapters", {})
    adapter = adapters.get(base)
    if adapter is None:
        parts = urlsplit(base)
        adapter = adapters[base] = app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                                    url_scheme=parts.scheme)
    endpoint, values = "notifications.index", {}
    if link_kind in catalogue.LINKS:
        endpoint, arg = catalogue.LINKS[link_kind]
        values = {arg: link_id} if arg else {}
    app.inject_url_defaults(endpoint, values)
    return base + adapter.build(endpoint, values)


def send_due(at: datetime | None = None, limit: int = 200) -> dict:
    """Send the e-mail deliveries whose quiet hours are over (the periodic sender; the lead
    wires it next to market.mail's queue). Each row is claimed first, so two senders never
    send one twice; a failure is retried with back-off, then left 'failed'."""
    at = at or now()
    with unit_of_work() as s:
        ids = s.scalars(select(NotificationDelivery.id).where(
            NotificationDelivery.channel == "email", NotificationDelivery.status == "pending",
            NotificationDelivery.send_after <= at).order_by(NotificationDelivery.id).limit(limit)).all()
    counts = {"sent": 0, "failed": 0, "retry": 0}
    for delivery_id in ids:
        with unit_of_work() as s:
            claimed = s.execute(update(NotificationDelivery).where(
                NotificationDelivery.id == delivery_id, NotificationDelivery.status == "pending",
                NotificationDelivery.send_after <= at).values(
                attempts=NotificationDelivery.attempts + 1, send_after=at + LEASE)).rowcount
            s.commit()
            if not claimed:
                continue
            row = s.get(NotificationDelivery, delivery_id)
            user = s.get(User, row.user_id)
            note = s.get(Notification, row.notification_id) if row.notification_id else None
            title, body = catalogue.render(row.kind, note.params if note else {}, row.language)
            link = external_link(note.link_kind if note else None, note.link_id if note else None)
            try:
                send_email(user, row.subject or title, f"{body}\n\n{link}\n", html_part(title, body, link), row.language)
            except Exception as exc:  # noqa: BLE001 - one bad address must not stop the batch
                log.error("notification mail failed", exc_info=exc, extra={"delivery_id": delivery_id})
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status, counts["failed"] = "failed", counts["failed"] + 1
                else:
                    row.send_after, counts["retry"] = at + timedelta(seconds=min(3600, 30 * 2 ** row.attempts)), \
                        counts["retry"] + 1
            else:
                row.status, row.sent_at, counts["sent"] = "sent", at, counts["sent"] + 1
            s.commit()
    return counts
