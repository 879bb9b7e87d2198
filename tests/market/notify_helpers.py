"""Reading what a user was told (for the notification tests)."""
from __future__ import annotations

from sqlalchemy import select, update


def set_locale(app, tenant, locale: str) -> None:
    from market.accounts.models import User
    from market.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        s.execute(update(User).where(User.email == tenant.email).values(locale=locale))
        s.commit()


def told(app, tenant, kind: str | None = None) -> list[dict]:
    """The in-app notifications of the tenant's user, oldest first, rendered in their language."""
    from market.accounts.models import User
    from market.db import unit_of_work
    from market.notifications.catalogue import render
    from market.notifications.fanout import language_of
    from market.notifications.models import Notification

    with app.app_context(), unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == tenant.email))
        stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        out = []
        for n in s.scalars(stmt):
            title, body = render(n.kind, n.params, language_of(user))
            out.append({"kind": n.kind, "title": title, "body": body, "params": n.params, "link": (n.link_kind, n.link_id),
                        "read": n.read_at is not None})
        return out


def kinds(app, tenant) -> list[str]:
    return [n["kind"] for n in told(app, tenant) if not n["kind"].startswith("security.")]


def mails(app, tenant) -> list[dict]:
    """The e-mail deliveries recorded for the tenant's user (none is sent in these tests)."""
    from market.accounts.models import User
    from market.db import unit_of_work
    from market.notifications.models import NotificationDelivery

    with app.app_context(), unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == tenant.email))
        return [{"kind": d.kind, "language": d.language, "subject": d.subject, "status": d.status,
                 "send_after": d.send_after}
                for d in s.scalars(select(NotificationDelivery).where(NotificationDelivery.user_id == user.id,
                                                                       NotificationDelivery.channel == "email")
                                   .order_by(NotificationDelivery.id))]


def eventually(read, timeout: float = 15):
    """`read()` once it returns something: a background job's notifications are written just
    after the job's own commit (its after-commit handler), so a poller may see the job done first."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
