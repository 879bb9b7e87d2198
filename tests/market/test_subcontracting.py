"""Subcontracting: a booked factory passes operations on as a sub-order, one tier down."""
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.market.subcontract_world import tiers  # noqa: F401  (fixture)


def _count_orders(app):
    from market.db import unit_of_work
    from market.orders.models import Order

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count(Order.id)))


def test_a_booked_factory_subcontracts_its_operation_with_the_parents_due_bound_and_certifications(tiers):
    root = tiers.order()
    made = tiers.subcontract(tiers.finish["client"], root, [2])
    assert made.status_code == 201, made.get_json()
    sub = made.get_json()
    assert sub["tier"] == 1 and sub["operation_seqs"] == [2] and sub["parent_order_id"] == root
    assert sub["state"] == "open" and sub["required_certifications"] == ["ISO9001"]
    quote = next(q for q in tiers.buyer.get(f"/api/v1/orders/{root}/quotes").get_json()["items"] if q["status"] == "accepted")
    line_end = max(datetime.fromisoformat(ln["end"]) for ln in quote["lines"] if ln["seq"] == 2)
    assert datetime.fromisoformat(sub["due_at"]) == line_end  # when the parent needs anodizing back
    # the sub-order is an order like any other, with the factory as its buyer
    seen = tiers.finish["client"].get(f"/api/v1/orders/{sub['id']}").get_json()
    assert [op["process_code"] for op in seen["operations"]] == ["anodizing"]
    assert seen["budget_minor"] == 40000  # by default no more than the operation earns on the parent


def test_subcontracting_an_operation_you_do_not_own_is_refused_with_a_field_message_and_nothing_written(tiers):
    root = tiers.order()
    before = _count_orders(tiers.app)
    refused = tiers.subcontract(tiers.mill["client"], root, [2])  # anodizing is Finish Lab's
    assert refused.status_code == 403
    assert "operation_seqs" in refused.get_json()["errors"]
    outsider = tiers.subcontract(tiers.coat["client"], root, [2])  # not even a party: the order is not found
    assert outsider.status_code == 404
    assert tiers.subcontract(tiers.buyer, root, [2]).status_code == 403
    unknown = tiers.subcontract(tiers.finish["client"], root, [9])
    assert unknown.status_code == 422 and "operation_seqs" in unknown.get_json()["errors"]
    empty = tiers.subcontract(tiers.finish["client"], root, [])
    assert empty.status_code == 422 and "operation_seqs" in empty.get_json()["errors"]
    late = tiers.subcontract(tiers.finish["client"], root, [2], due_at=(datetime.now().astimezone()
                                                                        + timedelta(days=60)).isoformat())
    assert late.status_code == 422 and "due_at" in late.get_json()["errors"]
    assert _count_orders(tiers.app) == before
    assert tiers.subcontract(tiers.finish["client"], root, [2]).status_code == 201
    again = tiers.subcontract(tiers.finish["client"], root, [2, 3])
    assert again.status_code == 409 and "operation_seqs" in again.get_json()["errors"]
    assert _count_orders(tiers.app) == before + 1


def test_three_tiers_deep_and_the_original_buyer_sees_the_tree_with_names_only_by_consent(tiers):
    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    assert tiers.book_sub(sub["id"], tiers.coat, 30000).status_code == 200
    subsub = tiers.subcontract(tiers.coat["client"], sub["id"], [1])
    assert subsub.status_code == 201, subsub.get_json()
    assert subsub.get_json()["tier"] == 2
    assert tiers.book_sub(subsub.get_json()["id"], tiers.deep, 12000, buyer=tiers.coat["client"]).status_code == 200
    third = tiers.subcontract(tiers.deep["client"], subsub.get_json()["id"], [1])
    assert third.status_code == 201 and third.get_json()["tier"] == 3

    tree = tiers.buyer.get(f"/api/v1/orders/{root}/tiers").get_json()
    (t1,) = tree["subs"]
    (t2,) = t1["subs"]
    assert (tree["tier"], t1["tier"], t2["tier"], t2["subs"][0]["tier"]) == (0, 1, 2, 3)
    assert t1["factories"] == ["a certified subcontractor"] and t1["order_id"] is None
    assert tree["promised_at"] is not None and t1["promised_at"] is not None
    assert "minor" not in str(tree) and "price" not in str(tree)
    # Coat Co lets the buyers above see its name; Deep Coat does not
    consent = tiers.coat["client"].put(f"/api/v1/orders/{sub['id']}/name-consent", json={"name_disclosed": True})
    assert consent.status_code == 200, consent.get_json()
    tree = tiers.buyer.get(f"/api/v1/orders/{root}/tiers").get_json()
    assert tree["subs"][0]["factories"] == ["Coat Co"]
    assert tree["subs"][0]["subs"][0]["factories"] == ["a certified subcontractor"]
    # Finish Lab hired Coat Co: it sees the name whatever the consent; only the maker may consent
    assert tiers.finish["client"].put(f"/api/v1/orders/{sub['id']}/name-consent",
                                      json={"name_disclosed": False}).status_code == 403
    zh = tiers.buyer.get(f"/api/v1/orders/{root}/tiers", headers={"Accept-Language": "zh-CN"}).get_json()
    assert zh["subs"][0]["subs"][0]["factories"] != ["a certified subcontractor"]


def test_tiers_cannot_read_each_others_prices_api(tiers):
    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    tiers.book_sub(sub["id"], tiers.coat, 30000)
    buyer, coat, finish = tiers.buyer, tiers.coat["client"], tiers.finish["client"]
    # the original buyer never reaches the sub-order, its quotes or its payment
    for url in (f"/api/v1/orders/{sub['id']}", f"/api/v1/orders/{sub['id']}/quotes",
                f"/api/v1/orders/{sub['id']}/payment", f"/api/v1/orders/{sub['id']}/tiers"):
        assert buyer.get(url).status_code == 404, url
    # the sub-tier never reaches the parent order, its quotes, its payment or its tiers
    for url in (f"/api/v1/orders/{root}", f"/api/v1/orders/{root}/quotes", f"/api/v1/orders/{root}/payment",
                f"/api/v1/orders/{root}/tiers"):
        assert coat.get(url).status_code == 404, url
    # the buyer's view of its payment shows no payout, hence nothing set aside for the sub-order
    assert tiers.payment(root, buyer)["payouts"] == []
    # Finish Lab sees what it set aside on its own payout, and the sub-order's price it pays
    (mine,) = tiers.payment(root, finish)["payouts"]
    assert mine["subcontracted_minor"] == 30000
    assert tiers.payment(sub["id"], finish)["amount_minor"] == 30000
    # Coat Co sees its own payout on the sub-order, not the parent's price anywhere
    coat_view = tiers.payment(sub["id"], coat)
    assert [p["factory"] for p in coat_view["payouts"]] == ["Coat Co"]
    assert "163000" not in str(coat.get(f"/api/v1/orders/{sub['id']}").get_json())


def test_tiers_cannot_read_each_others_prices_portal(tiers, app):
    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    tiers.book_sub(sub["id"], tiers.coat, 31234)

    def portal(tenant):
        client = app.test_client()
        client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"})
        return client

    buyer, coat = portal(tiers.buyer_t), portal(tiers.coat["tenant"])
    assert buyer.get(f"/orders/{sub['id']}").status_code == 404
    assert buyer.get(f"/orders/{sub['id']}/payment").status_code == 404
    page = buyer.get(f"/orders/{root}/tiers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "a certified subcontractor" in html and "Coat Co" not in html
    assert "312.34" not in html and "31,234" not in html and "31234" not in html
    assert coat.get(f"/orders/{root}").status_code == 404
    assert coat.get(f"/orders/{root}/tiers").status_code == 404
    sub_page = coat.get(f"/orders/{sub['id']}").get_data(as_text=True)
    assert "1,630" not in sub_page and "1630.00" not in sub_page  # the root price (¥1,630 + transport)
    assert 'id="name-consent"' in sub_page
    finish = portal(tiers.finish["tenant"])
    root_page = finish.get(f"/orders/{root}").get_data(as_text=True)
    assert 'id="tiers-link"' in root_page
    zh = portal(tiers.buyer_t)
    zh_html = zh.get(f"/orders/{root}/tiers", headers={"Accept-Language": "zh-CN,zh"}).get_data(as_text=True)
    assert "a certified subcontractor" not in zh_html


def test_the_factory_subcontracts_from_its_booking_page(tiers, app):
    root = tiers.order()
    client = app.test_client()
    client.post("/login", data={"email": tiers.finish["tenant"].email, "password": "correct-horse-1"})
    page = client.get(f"/orders/{root}").get_data(as_text=True)
    assert 'id="sub-op-2"' in page and 'id="sub-op-3"' in page and 'id="sub-op-1"' not in page
    app.config["WTF_CSRF_ENABLED"] = False
    done = client.post(f"/orders/{root}/subcontract", data={"operation_seqs": ["3"]})
    assert done.status_code == 302 and "/quotes" in done.headers["Location"]
    page = client.get(f"/orders/{root}").get_data(as_text=True)
    assert 'id="sub-op-3"' not in page and 'id="sub-op-2"' in page


def test_a_sub_tier_delay_moves_the_promised_date_up_to_the_original_buyer(tiers, app):
    from market import bus
    from market.db import unit_of_work
    from market.matching.domain_events import Replanned
    from market.notifications.models import Notification
    from market.orders.models import Order

    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    tiers.book_sub(sub["id"], tiers.coat, 30000)
    subsub = tiers.subcontract(tiers.coat["client"], sub["id"], [1]).get_json()
    tiers.book_sub(subsub["id"], tiers.deep, 12000, buyer=tiers.coat["client"])
    before = tiers.buyer.get(f"/api/v1/orders/{root}/tiers").get_json()
    root_promise = datetime.fromisoformat(before["promised_at"])
    due = datetime.fromisoformat(subsub["due_at"])
    with app.app_context(), unit_of_work() as s:
        order = s.scalar(select(Order).where(Order.public_id == uuid.UUID(subsub["id"])))
        late = due + timedelta(hours=30)
        bus.publish(s, Replanned(0, order.id, order.buyer_org_id, late.isoformat(), True))
        s.commit()
    after = tiers.buyer.get(f"/api/v1/orders/{root}/tiers").get_json()
    t2 = after["subs"][0]["subs"][0]
    assert datetime.fromisoformat(t2["promised_at"]) == late
    assert datetime.fromisoformat(after["promised_at"]) > root_promise
    t1_delay = datetime.fromisoformat(after["subs"][0]["promised_at"]) - datetime.fromisoformat(after["subs"][0]["due_at"])
    assert datetime.fromisoformat(after["promised_at"]) == root_promise + max(t1_delay, timedelta(0))
    with app.app_context(), unit_of_work() as s:
        kinds = {(n.user_id, n.kind) for n in s.scalars(select(Notification).where(Notification.kind == "suborder.delayed"))}
    told = {uid for uid, _k in kinds}
    assert tiers.buyer_t.actor.user_id in told and tiers.finish["tenant"].actor.user_id in told


def test_cancelling_a_parent_cancels_sub_orders_not_in_production_and_tells_the_factory(tiers, app):
    from market.db import unit_of_work
    from market.notifications.models import Notification

    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    tiers.book_sub(sub["id"], tiers.coat, 30000)
    subsub = tiers.subcontract(tiers.coat["client"], sub["id"], [1]).get_json()
    tiers.move(root, "cancelled")
    assert tiers.finish["client"].get(f"/api/v1/orders/{sub['id']}").get_json()["state"] == "cancelled"
    assert tiers.coat["client"].get(f"/api/v1/orders/{subsub['id']}").get_json()["state"] == "cancelled"
    # the capacity booked for the sub-order is free again
    with app.app_context(), unit_of_work() as s:
        told = {n.user_id for n in s.scalars(select(Notification).where(Notification.kind == "suborder.cancelled"))}
    assert tiers.finish["tenant"].actor.user_id in told and tiers.coat["tenant"].actor.user_id in told


def test_a_components_operations_go_out_as_that_component_with_its_material_and_pieces(app, api, tenant, two_sites):
    """A cap two to a finished piece: its anodizing is subcontracted for 2 × the order's pieces,
    in the cap's material; a component's and the product's operations are not mixed."""
    from tests.conftest import order_body
    from tests.market.test_orders_bom import BOM
    from tests.market.test_quotes import wait_job

    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(**BOM)).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    quote = next(q for q in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"] if q["label"] == "cheapest")
    assert buyer.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    finish = two_sites[1]["client"]  # anodizes the caps and inspects the finished piece
    before = _count_orders(app)
    mixed = finish.post(f"/api/v1/orders/{order['id']}/sub-orders", json={"operation_seqs": [2, 3], "request_quotes": False})
    assert mixed.status_code == 422 and "operation_seqs" in mixed.get_json()["errors"], mixed.get_json()
    assert _count_orders(app) == before
    made = finish.post(f"/api/v1/orders/{order['id']}/sub-orders", json={"operation_seqs": [2], "request_quotes": False})
    assert made.status_code == 201, made.get_json()
    sub = finish.get(f"/api/v1/orders/{made.get_json()['id']}").get_json()
    assert (sub["quantity"], sub["material"]) == (2 * order["quantity"], "5052") and "cap" in sub["title"]
