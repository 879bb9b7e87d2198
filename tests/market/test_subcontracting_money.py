"""Subcontracting's money: one escrow per tier, each tier paying its subcontractor out of its
own payout, commission per tier, and a sub-order never paid before its parent's escrow holds
the money. Money tests: they run on PostgreSQL too."""
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.market.subcontract_world import tiers  # noqa: F401  (fixture)

ROOT_TOTAL = 163000  # 100000 + 40000 + 20000 work, 3000 transport (payment_world)
FINISH_NET = 60000 - 3200 - 1000  # anodizing 8 %, CMM 5 % (metrology) on the free tier


def _pay(tiers, oid):
    return tiers.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={"bank_reference": "ICBC-1"})


def _finish_payout(tiers, root):
    (mine,) = tiers.payment(root, tiers.finish["client"])["payouts"]
    return mine


def _confirm_all(tiers, oid, kind):
    for m in tiers.payment(oid)["movements"]:
        if m["kind"] == kind and m["state"] == "pending":
            response = tiers.operator.post(f"/api/v1/orders/{oid}/movements/confirm",
                                           json={"movement_id": m["id"], "bank_reference": "BANK-1"})
            assert response.status_code == 200, response.get_json()


def _ship(tiers, oid, maker, buyer):
    (lot,) = buyer.get(f"/api/v1/orders/{oid}/lots").get_json()["items"]
    for op in buyer.get(f"/api/v1/orders/{oid}").get_json()["operations"]:
        for step, body in (("start", {}), ("finish", {"good": lot["quantity"]})):
            assert maker.post(f"/api/v1/lots/{lot['id']}/operations/{op['seq']}/{step}", json=body).status_code == 200
    assert maker.post(f"/api/v1/lots/{lot['id']}/qc", json={"result": "pass", "inspector": "QA"}).status_code in (200, 201)
    assert maker.post(f"/api/v1/lots/{lot['id']}/shipment",
                      json={"carrier": "SF Express", "tracking_ref": "SF2"}).status_code in (200, 201)


def test_a_sub_order_is_funded_from_the_parent_escrow_only_once_it_holds_the_money(tiers):
    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    assert tiers.book_sub(sub["id"], tiers.coat, 30000).status_code == 200
    assert tiers.payment(sub["id"])["state"] == "requires_payment"
    assert tiers.payment(sub["id"], tiers.finish["client"])["bank_details"] is None  # not paid by bank transfer
    assert _finish_payout(tiers, root)["subcontracted_minor"] == 30000
    assert _finish_payout(tiers, root)["net_minor"] == FINISH_NET - 30000
    # nobody pays a sub-order by hand, and it cannot start before it is funded
    refused = _pay(tiers, sub["id"])
    assert refused.status_code == 409 and "payment" in refused.get_json()["errors"]
    start = tiers.coat["client"].post(f"/api/v1/orders/{sub['id']}/transitions", json={"to": "in_production"})
    assert start.status_code == 409
    # the buyer's money arrives in the root escrow: the sub-order's escrow is funded from it
    assert _pay(tiers, root).status_code == 200
    funded = tiers.payment(sub["id"])
    assert funded["state"] == "captured"
    (capture,) = [m for m in funded["movements"] if m["kind"] == "capture"]
    assert capture["amount_minor"] == 30000 and capture["ledger_index"] is not None
    tiers.move(sub["id"], "in_production", who=tiers.coat["client"])


def test_a_sub_quote_the_payout_cannot_cover_is_refused_and_nothing_is_booked(tiers):
    from market.catalog.models import CapacityWindow

    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    refused = tiers.book_sub(sub["id"], tiers.coat, FINISH_NET + 1)
    assert refused.status_code == 409 and "quote" in refused.get_json()["errors"]
    assert tiers.finish["client"].get(f"/api/v1/orders/{sub['id']}").get_json()["state"] == "quoted"
    assert tiers.row(CapacityWindow, status="booked", factory_id=_factory_id(tiers, tiers.coat)) == []
    assert _finish_payout(tiers, root)["subcontracted_minor"] == 0
    assert tiers.book_sub(sub["id"], tiers.coat, FINISH_NET).status_code == 200


def _factory_id(tiers, site):
    from market.catalog.models import Factory

    (f,) = tiers.row(Factory, public_id=uuid.UUID(site["factory"]["id"]))
    return f.id


def test_each_tier_is_paid_out_of_the_tier_above_with_commission_per_tier(tiers):
    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    tiers.book_sub(sub["id"], tiers.coat, 30000)
    _pay(tiers, root)
    tiers.move(sub["id"], "in_production", who=tiers.coat["client"])
    _ship(tiers, sub["id"], tiers.coat["client"], tiers.finish["client"])
    tiers.move(sub["id"], "delivered", who=tiers.finish["client"])
    _confirm_all(tiers, sub["id"], "transfer")
    coat = tiers.payment(sub["id"])
    (coat_payout,) = coat["payouts"]
    assert coat_payout["state"] == "paid" and coat_payout["commission_minor"] == 2400  # 8 % of 30000
    assert {m["kind"]: m["amount_minor"] for m in coat["movements"] if m["kind"] in ("transfer", "commission")} == \
        {"transfer": 27600, "commission": 2400}
    # the root order runs to delivery: Finish Lab's transfer is its net less what it paid Coat Co
    tiers.move(root, "in_production")
    tiers.ship(root)
    tiers.move(root, "delivered")
    _confirm_all(tiers, root, "transfer")
    moves = tiers.payment(root)["movements"]
    finish_id = tiers.finish["factory"]["id"]
    assert [m["amount_minor"] for m in moves if m["kind"] == "transfer" and m["factory_id"] == finish_id] == \
        [FINISH_NET - 30000]
    assert sum(m["amount_minor"] for m in moves if m["kind"] == "commission" and m["factory_id"] == finish_id) == 4200


def test_cancelling_the_parent_returns_the_sub_escrow_to_the_original_buyer(tiers):
    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    tiers.book_sub(sub["id"], tiers.coat, 30000)
    _pay(tiers, root)
    tiers.move(root, "cancelled")
    assert tiers.payment(sub["id"])["state"] == "refunded"
    refunds = [m for m in tiers.payment(root)["movements"] if m["kind"] == "refund"]
    assert sum(m["amount_minor"] for m in refunds) == ROOT_TOTAL
    assert _finish_payout(tiers, root)["subcontracted_minor"] == 0


def test_a_sub_order_in_production_is_flagged_not_cancelled_with_its_parent(tiers, app):
    from market.db import unit_of_work
    from market.notifications.models import Notification

    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    tiers.book_sub(sub["id"], tiers.coat, 30000)
    _pay(tiers, root)
    tiers.move(sub["id"], "in_production", who=tiers.coat["client"])
    tiers.move(root, "cancelled")
    assert tiers.coat["client"].get(f"/api/v1/orders/{sub['id']}").get_json()["state"] == "in_production"
    tree = tiers.finish["client"].get(f"/api/v1/orders/{sub['id']}/tiers").get_json()
    assert tree["cancel_flag"] == "needs_agreement"
    refunds = [m for m in tiers.payment(root)["movements"] if m["kind"] == "refund"]
    assert sum(m["amount_minor"] for m in refunds) == ROOT_TOTAL - 30000  # the sub-tier's money stays with it
    assert tiers.payment(sub["id"])["state"] == "captured"
    with app.app_context(), unit_of_work() as s:
        told = {n.user_id for n in s.scalars(select(Notification).where(Notification.kind == "suborder.cancel_blocked"))}
    assert tiers.coat["tenant"].actor.user_id in told and tiers.operator_t.actor.user_id in told
    assert tiers.finish["client"].post(f"/api/v1/orders/{sub['id']}/cancel-agreement",
                                       json={"agreed": True}).status_code == 403
    answer = tiers.coat["client"].post(f"/api/v1/orders/{sub['id']}/cancel-agreement", json={"agreed": True})
    assert answer.status_code == 200 and answer.get_json()["cancel_flag"] == "agreed"


# --- the property: a sub-order is never paid before its parent's escrow holds the money --------

ACTIONS = ("pay_root", "sub1", "sub2", "pay_sub_by_hand", "start_sub1", "start_sub2", "cancel_sub1", "cancel_root",
           "deliver_sub2")


def _paid_before_parent(app, order_ids: list[str]) -> list[str]:
    """Every sub-order whose escrow was funded or whose payout was sent while its parent's
    escrow held no money (by movement order); also each payout's set-aside against the
    sub-order escrows it funds."""
    from market.db import unit_of_work
    from market.orders.models import Order
    from market.payments.models import Movement, Payment, Payout

    problems = []
    ids = [uuid.UUID(i) for i in order_ids]
    with app.app_context(), unit_of_work() as s:
        for sub in s.scalars(select(Order).where(Order.public_id.in_(ids), Order.parent_order_id.is_not(None))):
            paid = s.scalars(select(Movement).where(Movement.order_id == sub.id, Movement.state == "succeeded",
                                                    Movement.kind.in_(("capture", "transfer")))).all()
            parent_capture = s.scalar(select(Movement.id).where(Movement.order_id == sub.parent_order_id,
                                                                Movement.kind == "capture", Movement.state == "succeeded"))
            for m in paid:
                if parent_capture is None or parent_capture > m.id:
                    problems.append(f"{m.kind} of sub-order {sub.id} before its parent's escrow held the money")
        tree = select(Order.id).where(Order.public_id.in_(ids))
        for payout in s.scalars(select(Payout).where(Payout.order_id.in_(tree))):
            subs = s.scalars(select(Payment).join(Order, Order.id == Payment.order_id).where(
                Order.parent_order_id == payout.order_id, Order.buyer_org_id == payout.factory_org_id,
                Payment.state.in_(("requires_payment", "captured")))).all()
            if payout.subcontracted_minor != sum(p.amount_minor for p in subs):
                problems.append(f"payout {payout.id} sets aside {payout.subcontracted_minor}, "
                                f"its live sub-orders cost {sum(p.amount_minor for p in subs)}")
    return problems


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=9))
def test_no_sequence_of_tier_actions_pays_a_sub_order_before_its_parents_escrow_holds_the_money(tiers, app, actions):
    root = tiers.order()
    state = {"sub1": None, "sub2": None}
    for action in actions:
        if action == "pay_root":
            _pay(tiers, root)
        elif action == "sub1" and state["sub1"] is None:
            made = tiers.subcontract(tiers.finish["client"], root, [2])
            if made.status_code == 201:
                state["sub1"] = made.get_json()["id"]
                tiers.book_sub(state["sub1"], tiers.coat, 30000)
        elif action == "sub2" and state["sub1"] and state["sub2"] is None:
            made = tiers.subcontract(tiers.coat["client"], state["sub1"], [1])
            if made.status_code == 201:
                state["sub2"] = made.get_json()["id"]
                tiers.book_sub(state["sub2"], tiers.deep, 20000, buyer=tiers.coat["client"])
        elif action == "pay_sub_by_hand":
            for oid in filter(None, state.values()):
                assert _pay(tiers, oid).status_code in (404, 409)
        elif action in ("start_sub1", "start_sub2") and state[action[-4:]]:
            maker = tiers.coat if action == "start_sub1" else tiers.deep
            maker["client"].post(f"/api/v1/orders/{state[action[-4:]]}/transitions", json={"to": "in_production"})
        elif action == "cancel_sub1" and state["sub1"]:
            tiers.finish["client"].post(f"/api/v1/orders/{state['sub1']}/transitions", json={"to": "cancelled"})
        elif action == "cancel_root":
            tiers.buyer.post(f"/api/v1/orders/{root}/transitions", json={"to": "cancelled"})
        elif action == "deliver_sub2" and state["sub2"]:
            order = tiers.coat["client"].get(f"/api/v1/orders/{state['sub2']}").get_json()
            if order["state"] == "in_production":
                _ship(tiers, state["sub2"], tiers.deep["client"], tiers.coat["client"])
                tiers.coat["client"].post(f"/api/v1/orders/{state['sub2']}/transitions", json={"to": "delivered"})
                for m in tiers.payment(state["sub2"])["movements"]:
                    if m["kind"] == "transfer" and m["state"] == "pending":
                        tiers.operator.post(f"/api/v1/orders/{state['sub2']}/movements/confirm",
                                            json={"movement_id": m["id"], "bank_reference": "B"})
        assert _paid_before_parent(app, [root, *filter(None, state.values())]) == [], action


def test_two_racing_requests_pass_an_operation_on_once(tiers, app):
    """Both requests check that the operation is not passed on yet; the parent row lock (and
    the write lock) make the second see the first's sub-order: one 201, one 409."""
    import threading

    root = tiers.order()
    token = tiers.finish["tenant"].token
    barrier, answers, lock = threading.Barrier(4), [], threading.Lock()

    def ask():
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/orders/{root}/sub-orders", json={"operation_seqs": [2, 3], "request_quotes": False},
                               headers={"Authorization": f"Bearer {token}"})
        with lock:
            answers.append(response.status_code)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == [201, 409, 409, 409]
    from market.orders.models import Order
    (parent,) = tiers.row(Order, public_id=uuid.UUID(root))
    assert len(tiers.row(Order, parent_order_id=parent.id)) == 1
