"""Fixtures for the webhook tests: a receiver on 127.0.0.1, an owner, a clock of our own."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.market.notifications import receiver as receiver_mod


@pytest.fixture
def t0() -> datetime:
    """The tests' clock starts a minute from now (so what the test wrote is due) and moves
    only when a test says: schedules never depend on how fast the machine is."""
    return datetime.now(timezone.utc) + timedelta(minutes=1)


@pytest.fixture
def receiver():
    recv, server = receiver_mod.start()
    yield recv
    recv.stop.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooks(app):
    """Webhooks to 127.0.0.1 allowed (the allow-list a test or on-prem install uses); only
    the sweep sends, on the test's clock."""
    app.config.update(WEBHOOK_REQUIRE_HTTPS=False, WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"], WEBHOOK_DISPATCH="sweep",
                      WEBHOOK_SENDER_THREADS=2)
    return app


@pytest.fixture
def owner(tenant):
    return tenant("factory", "Hook Works")


@pytest.fixture
def tell(hooks):
    """tell(org_id, kind, data, event_id=None): the notification core's call, committed."""
    from market.db import unit_of_work
    from market.notifications.webhooks import deliver_webhook

    def tell(org_id: int, kind: str, data: dict | None = None, event_id: str | None = None) -> list[int]:
        with hooks.app_context(), unit_of_work() as s:
            ids = deliver_webhook(s, org_id, kind, data or {"order": {"id": "ord-1"}}, event_id=event_id)
            s.commit()
        return ids

    return tell


@pytest.fixture
def sweep(hooks):
    from market.notifications import sender

    def sweep(now: datetime) -> dict:
        with hooks.app_context():
            return sender.send_due(now)

    return sweep
