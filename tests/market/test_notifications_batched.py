"""The catalogue's listeners are batch handlers (telling.in_batch): the events of one outbox
batch are written together, each told once, and running them again writes nothing more."""
from __future__ import annotations

from sqlalchemy import func, select

from market import bus
from market.db import unit_of_work
from market.notifications import handlers
from market.notifications.domain_events import WebhookEndpointDisabled
from market.notifications.models import Notification


def test_a_batch_of_events_of_one_kind_is_told_once_each_and_idempotently(app, tenant):
    owner = tenant("factory", "Batch Works")
    with app.app_context():
        assert "market.notifications.handlers.on_endpoint_disabled" in app.extensions["bus"].batched
        events = [WebhookEndpointDisabled(endpoint_id=f"00000000-0000-0000-0000-00000000000{n}",
                                          organization_id=owner.actor.org_id, url=f"https://hooks.example/{n}",
                                          reason="down", disabled_at="2026-01-01T00:00:00+00:00") for n in range(3)]
        with unit_of_work() as s:
            bus.publish(s, *events)  # one transaction: its outbox rows run as one batch after the commit
            s.commit()
        mine = select(func.count()).select_from(Notification).where(Notification.user_id == owner.actor.user_id,
                                                                     Notification.kind == "webhook.disabled")
        with unit_of_work() as s:
            assert s.scalar(mine) == 3
            rows = s.execute(select(bus.OutboxMessage.id, bus.OutboxMessage.status)
                             .where(bus.OutboxMessage.handler.like("%on_endpoint_disabled"))).all()
        assert [status for _, status in rows] == ["done"] * 3
        # the same rows run again by hand (an operator, a lost lease): nothing written twice
        batch = handlers.in_batch(handlers.on_endpoint_disabled)
        batch([(row_id, event) for (row_id, _), event in zip(sorted(rows), events)])
        with unit_of_work() as s:
            assert s.scalar(mine) == 3
