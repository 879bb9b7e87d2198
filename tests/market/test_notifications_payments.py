"""Notification kinds of payments and the shop floor (market/notifications/catalogue.py): the
buyer is asked to pay, told the money arrived, went back, is late, and that a delivery will be
confirmed for it; each factory learns its own payout and nobody else's; the buyer follows the
lot and the next factory learns the pieces are coming. Each in the reader's language, only to
them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from tests.market.notify_helpers import kinds, mails, set_locale, told
from tests.market.payment_world import world  # noqa: F401
from tests.market.test_payments_offline import _confirm_all


def test_payment_requested_received_and_payouts_tell_each_party_only_its_own_money(app, world):
    set_locale(app, world.buyer_t, "zh_CN")
    oid = world.order(split=True)  # 140000 + 20000 + 3000 transport: the buyer owes 163000
    [asked] = told(app, world.buyer_t, "payment.requested")
    assert asked["title"] == "已发起付款" and "¥1,630.00" in asked["body"] and asked["params"]["reference"].startswith("SMM-")
    assert asked["link"] == ("order", oid)
    assert [m["kind"] for m in mails(app, world.buyer_t)] == ["payment.requested"]
    for site in (world.mill, world.finish):
        assert "payment.requested" not in kinds(app, site["tenant"])
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    assert told(app, world.buyer_t, "payment.received")
    for site in (world.mill, world.finish):
        [note] = told(app, site["tenant"], "payment.received")
        assert note["params"] == {"order": "Bracket"}  # the order's total stays the buyer's
    assert not told(app, world.operator_t, "payment.received")  # the operator confirmed it
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    _confirm_all(world, oid, "transfer")
    [mill_paid] = told(app, world.mill["tenant"], "payout.sent")
    [finish_paid] = told(app, world.finish["tenant"], "payout.sent")
    assert mill_paid["params"]["amount"] == "¥950.00" and finish_paid["params"]["amount"] == "¥558.00"
    assert "558" not in mill_paid["body"] and "950" not in finish_paid["body"]
    assert not told(app, world.buyer_t, "payout.sent")


def test_a_refund_tells_the_buyer_the_amount_and_no_factory(app, world):
    oid = world.order(split=False)
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "cancelled")
    assert not told(app, world.buyer_t, "payment.refunded")  # on its way, not done
    _confirm_all(world, oid, "refund")
    [note] = told(app, world.buyer_t, "payment.refunded")
    assert note["params"]["amount"] == "¥1,000.00" and "refunded" in note["body"]
    for site in (world.mill, world.finish):
        assert "payment.refunded" not in kinds(app, site["tenant"])


def test_the_shop_floor_tells_the_buyer_of_the_lot_and_the_next_factory_of_the_pieces(app, world):
    set_locale(app, world.finish["tenant"], "zh_CN")
    oid = world.order(split=True)  # milling at Mill Works, then anodizing and CMM at Finish Lab
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    [started] = told(app, world.buyer_t, "lot.started")
    assert started["params"]["seq"] == 1 and started["link"] == ("order", oid)
    assert [n["params"]["seq"] for n in told(app, world.buyer_t, "operation.finished")] == [1, 2, 3]
    [handover] = told(app, world.finish["tenant"], "operation.finished")  # op 1 done elsewhere: its pieces come
    assert handover["params"]["seq"] == 1 and handover["title"] == "工序完成"
    assert not told(app, world.mill["tenant"], "operation.finished")  # it finished #1 and makes nothing after
    assert not told(app, world.mill["tenant"], "lot.started") and not told(app, world.operator_t, "lot.started")


def _at(days: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days)


def test_an_unpaid_order_is_overdue_once_and_a_shipment_warns_before_auto_confirmation(app, world):
    from market.db import unit_of_work
    from market.orders.models import OrderEvent
    from market.payments import reminders

    app.config.update(PAYMENT_DUE_DAYS=7, DELIVERY_AUTO_CONFIRM_DAYS=14, AUTO_CONFIRM_NOTICE_DAYS=2)
    unpaid = world.order(split=False)
    with app.app_context():
        assert reminders.publish_due(_at(6.9))["payment_overdue"] == 0
        assert reminders.publish_due(_at(7.1))["payment_overdue"] == 1
        assert reminders.publish_due(_at(8))["payment_overdue"] == 0  # told once
    [late] = told(app, world.buyer_t, "payment.overdue")
    assert late["params"]["days"] == 7 and "7 days" in late["body"]
    for site in (world.mill, world.finish):
        assert "payment.overdue" not in kinds(app, site["tenant"])

    world.operator.post(f"/api/v1/orders/{unpaid}/payment/confirm", json={})
    world.move(unpaid, "in_production")
    world.move(unpaid, "shipped")
    shipped = datetime.now(timezone.utc) - timedelta(days=11)
    with app.app_context(), unit_of_work() as s:
        s.execute(update(OrderEvent).where(OrderEvent.to_state == "shipped").values(at=shipped))
        s.commit()
    with app.app_context():
        now = datetime.now(timezone.utc)
        assert reminders.publish_due(now)["auto_confirm_coming"] == 0  # 3 days before: not yet
        counts = reminders.publish_due(now + timedelta(days=1.5))
        assert counts["auto_confirm_coming"] == 1 and counts["payment_overdue"] == 0  # paid since
        assert reminders.publish_due(now + timedelta(days=1.6))["auto_confirm_coming"] == 0
    [soon] = told(app, world.buyer_t, "delivery.auto_confirm_soon")
    assert soon["params"]["at"] == (shipped + timedelta(days=14)).strftime("%Y-%m-%d %H:%M UTC")
    assert "delivery.auto_confirm_soon" in [m["kind"] for m in mails(app, world.buyer_t)]
    for site in (world.mill, world.finish):
        assert "delivery.auto_confirm_soon" not in kinds(app, site["tenant"])
