"""The digest: a user who chose it (for every kind, or for some) gets at most one mail per
DIGEST_EVERY_S listing what they were told meanwhile, instead of one mail each. Fan-out leaves
those e-mail deliveries 'digest' (fanout.write); `send_due`, a periodic task, turns a user's
waiting rows into one mail and marks them 'digested' in the same transaction, so a crash or a
second sender never lists a row twice. The period runs from the user's last digest (or, before
the first, from the oldest row waiting); quiet hours hold it like any mail."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import func, select, update

from market.accounts.models import User
from market.db import unit_of_work
from market.notifications import catalogue, quiet
from market.notifications.email import queue_email
from market.notifications.fanout import external_link, language_of, now, preferences
from market.notifications.models import Notification, NotificationDelivery

SUBJECT = _l("Your notifications: %(count)s since the last digest")
MOST = 200  # rows listed in one mail; the rest wait for the next


def due_at(last_digest: datetime | None, oldest_waiting: datetime, period: timedelta) -> datetime:
    """When a user's next digest may leave: a period after their last one, or after the oldest
    row waiting when there was none."""
    return (last_digest or oldest_waiting) + period


def send_due(at: datetime | None = None) -> dict:
    at = at or now()
    period = timedelta(seconds=float(current_app.config["DIGEST_EVERY_S"]))
    with unit_of_work() as s:
        waiting = dict(s.execute(select(NotificationDelivery.user_id, func.min(NotificationDelivery.created_at))
                                 .where(NotificationDelivery.channel == "email", NotificationDelivery.status == "digest")
                                 .group_by(NotificationDelivery.user_id)).all())
        last = dict(s.execute(select(NotificationDelivery.user_id, func.max(NotificationDelivery.sent_at))
                              .where(NotificationDelivery.channel == "email", NotificationDelivery.status == "digested",
                                     NotificationDelivery.user_id.in_(list(waiting)))
                              .group_by(NotificationDelivery.user_id)).all()) if waiting else {}
    counts = {"digests": 0, "listed": 0}
    for user_id, oldest in sorted(waiting.items()):
        if due_at(last.get(user_id), oldest, period) <= at:
            listed = _send_one(user_id, at)
            counts["digests"] += bool(listed)
            counts["listed"] += listed
    return counts


def _send_one(user_id: int, at: datetime) -> int:
    """One user's digest; returns how many rows it listed (0: quiet hours, or another sender)."""
    with unit_of_work() as s:
        prefs = preferences(s, user_id)
        if quiet.release_at(at, prefs.quiet_start, prefs.quiet_end, prefs.time_zone) > at:
            return 0
        rows = s.scalars(select(NotificationDelivery).where(
            NotificationDelivery.user_id == user_id, NotificationDelivery.channel == "email",
            NotificationDelivery.status == "digest").order_by(NotificationDelivery.id).limit(MOST)).all()
        ids = [r.id for r in rows]
        claimed = s.execute(update(NotificationDelivery).where(
            NotificationDelivery.id.in_(ids), NotificationDelivery.status == "digest").values(
            status="digested", sent_at=at, attempts=NotificationDelivery.attempts + 1)).rowcount
        if not ids or claimed != len(ids):  # another sender has them: it lists them
            return 0
        user = s.get(User, user_id)
        language = language_of(user)
        notes = {n.id: n for n in s.scalars(select(Notification).where(
            Notification.id.in_([r.notification_id for r in rows if r.notification_id])))}
        items = []
        for r in rows:
            note = notes.get(r.notification_id)
            title, body = catalogue.render(r.kind, note.params if note else {}, language)
            items.append((title, body, external_link(note.link_kind if note else None, note.link_id if note else None)))
        with force_locale(language):
            subject = str(SUBJECT) % {"count": len(items)}
        text = "\n\n".join(f"{title}\n{body}\n{link}" for title, body, link in items) + "\n"
        html = ("<!doctype html><html><body><h1 style=\"font-size:18px\">" + str(escape(subject)) + "</h1><ul>"
                + "".join(f"<li><strong>{escape(title)}</strong><br>{escape(body)}<br><a href=\"{escape(link)}\">"
                          f"{escape(link)}</a></li>" for title, body, link in items) + "</ul></body></html>")
        queue_email(s, user, subject, text, html, language)  # commits with the rows it lists
        s.commit()
        return len(items)
