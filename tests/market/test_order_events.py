"""Orders tells the domains above it that an order moves (market/orders/domain_events.py) and
knows none of them: payments and production act only because they listen on the bus."""
from __future__ import annotations

from sqlalchemy import func, select

from market import bus, errors
from market.db import unit_of_work
from market.orders.domain_events import OrderMoveRequested, OrderMoving
from market.payments.models import Payment
from market.production import handlers as production_handlers
from tests.conftest import order_body
from tests.market.payment_world import world  # noqa: F401


def test_with_payments_not_listening_an_accepted_order_has_no_payment(app, world):
    bus.init_app(app, [production_handlers])  # the app's wiring, less payments
    oid = world.order(split=False)
    assert world.buyer.get(f"/api/v1/orders/{oid}").get_json()["state"] == "accepted"
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count(Payment.id))) == 0


def test_a_party_s_move_is_published_with_ids_and_states_and_a_listener_may_refuse_it(app, world):
    seen = []

    def refuse_cancelling(session, event):
        seen.append(event)
        if isinstance(event, OrderMoving) and event.note == "refuse":
            raise errors.Conflict("a listener refuses", field="to")

    for event_type in (OrderMoveRequested, OrderMoving):
        app.extensions["bus"].in_unit_of_work(event_type, refuse_cancelling)
    order = world.buyer.post("/api/v1/orders", json=order_body(submit=True)).get_json()
    refused = world.buyer.post(f"/api/v1/orders/{order['id']}/transitions", json={"to": "cancelled", "note": "refuse"})
    assert refused.status_code == 409 and refused.get_json()["detail"] == "a listener refuses"
    after = world.buyer.get(f"/api/v1/orders/{order['id']}").get_json()
    assert after["state"] == "open" and len(after["history"]) == len(order["history"])

    assert world.buyer.post(f"/api/v1/orders/{order['id']}/transitions",
                            json={"to": "cancelled", "note": "changed plans"}).status_code == 200
    requested, moving = seen[-2:]
    assert type(requested) is OrderMoveRequested and type(moving) is OrderMoving
    assert (moving.from_state, moving.to_state, moving.note, moving.quote_id) == ("open", "cancelled", "changed plans", None)
    assert requested.order_id == moving.order_id and moving.actor["org_public_id"] == str(world.buyer_t.actor.org_public_id)
