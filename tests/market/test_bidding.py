"""Factory bids and counter-offers: a factory bids its own price and date, the buyer counters,
the factory accepts the counter, and the buyer's acceptance books the factory's capacity
through matching's quote-accept path; every step is in the thread and on the ledger."""
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.conftest import FACTORY, order_body

MILLING = [{"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}]  # 130 min for 100


def iso(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat()


def _shop(api, tenant, name: str, lat: float, start_in: timedelta, price: int = 20000):
    owner = tenant("factory", name)
    client = api(owner)
    factory = client.post("/api/v1/factories", json={**FACTORY, "name": name, "latitude": lat}).get_json()
    machine = client.post("/api/v1/machines", json={"factory_id": factory["id"], "name": f"{name} mill",
                                                     "processes": ["cnc_milling_3ax"]}).get_json()
    start = (datetime.now(timezone.utc) + start_in).replace(minute=0, second=0, microsecond=0)
    window = client.post("/api/v1/capacity-windows", json={
        "machine_id": machine["id"], "start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat(),
        "pricing_mode": "per_hour", "price": price}).get_json()
    return SimpleNamespace(tenant=owner, client=client, factory=factory, machine=machine, window=window)


@pytest.fixture
def market(api, tenant):
    """A buyer's open milling order; Alpha is invited to quote, Beta sees it on the board,
    each has one mill with an 8-hour window in a few days."""
    alpha = _shop(api, tenant, "Alpha Works", 31.30, timedelta(days=3))
    beta = _shop(api, tenant, "Beta Works", 31.60, timedelta(days=4))
    buyer_tenant = tenant("buyer")
    buyer = api(buyer_tenant)
    order = buyer.post("/api/v1/orders", json=order_body(operations=MILLING, delivery_latitude=31.3,
                                                         delivery_longitude=120.6)).get_json()
    assert buyer.post(f"/api/v1/orders/{order['id']}/quote-requests",
                      json={"factory_id": alpha.factory["id"]}).status_code == 201
    return SimpleNamespace(alpha=alpha, beta=beta, buyer=buyer, buyer_tenant=buyer_tenant, order=order)


def bid_body(**over):
    body = {"price_minor": 150000, "promised_at": iso(timedelta(days=10)), "expires_at": iso(timedelta(days=5)),
            "conditions": "material supplied by the buyer"}
    body.update(over)
    return body


def test_a_bid_countered_and_the_counter_accepted_is_booked_on_the_factorys_machine(app, market):
    m = market
    sent = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body())
    assert sent.status_code == 201, sent.get_json()
    bid = sent.get_json()
    assert (bid["status"], bid["revision"], bid["price_minor"]) == ("open", 1, 150000)
    assert "budget_minor" not in str(bid)

    countered = m.buyer.post(f"/api/v1/bids/{bid['id']}/counter",
                             json={"price_minor": 120000, "promised_at": iso(timedelta(days=8)), "note": "tighter"})
    assert countered.status_code == 200, countered.get_json()
    assert countered.get_json()["status"] == "countered"
    assert countered.get_json()["counter"]["price_minor"] == 120000
    # the buyer cannot accept while its counter awaits the factory's answer
    assert m.buyer.post(f"/api/v1/bids/{bid['id']}/accept").status_code == 409

    agreed = m.alpha.client.post(f"/api/v1/bids/{bid['id']}/counter/accept")
    assert agreed.status_code == 200, agreed.get_json()
    agreed = agreed.get_json()
    assert (agreed["status"], agreed["revision"], agreed["price_minor"]) == ("open", 2, 120000)
    assert agreed["promised_at"] == countered.get_json()["counter"]["promised_at"]

    accepted = m.buyer.post(f"/api/v1/bids/{bid['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    done = accepted.get_json()
    assert done["status"] == "accepted" and done["quote_id"]
    assert [s["kind"] for s in done["steps"]] == ["submitted", "countered", "counter_accepted", "accepted"]
    assert [s["by"] for s in done["steps"]] == ["factory", "buyer", "factory", "buyer"]

    # booked through matching: an accepted quote at the agreed price, on Alpha's mill, and the order accepted
    quote = m.buyer.get(f"/api/v1/quotes/{done['quote_id']}").get_json()
    assert (quote["status"], quote["label"], quote["total_minor"]) == ("accepted", "bid", 120000)
    assert {line["factory"] for line in quote["lines"]} == {"Alpha Works"}
    assert sum(line["price_minor"] for line in quote["lines"]) == 120000
    assert m.buyer.get(f"/api/v1/orders/{m.order['id']}").get_json()["state"] == "accepted"
    booked = m.alpha.client.get(f"/api/v1/capacity-windows?machine_id={m.alpha.machine['id']}&status=booked").get_json()
    assert booked["total"] == 1 and booked["items"][0]["start"] == quote["lines"][0]["start"]
    # the factory now makes the order: it sees it as a producing factory
    assert m.alpha.client.get(f"/api/v1/orders/{m.order['id']}").status_code == 200


def test_every_step_is_on_the_ledger_with_its_figures_committed_never_in_clear(app, market):
    from ledger.disclosure import opens
    from market.bidding import ledger_events
    from market.bidding.models import Bid
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    m = market
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(price_minor=987654)).get_json()
    m.buyer.post(f"/api/v1/bids/{bid['id']}/counter", json={"price_minor": 876543})
    m.alpha.client.post(f"/api/v1/bids/{bid['id']}/counter/reject", json={"note": "no"})
    m.alpha.client.post(f"/api/v1/bids/{bid['id']}/withdraw", json={})
    with app.app_context(), unit_of_work() as s:
        row = s.scalar(select(Bid))
        store = get_ledger().store
        steps = list(row.steps)
        for step in steps:
            raw = store.entry(s.connection(), step.ledger_index)
            text = raw.decode()
            assert "987654" not in text and "876543" not in text  # no figure in clear
            event = json.loads(text)["event"]
            assert event["type"] == ledger_events.TYPES[step.kind]
            assert event["what"] == {"order": str(row.order.public_id), "bid": str(row.public_id)}
            if step.kind in ("submitted", "countered"):
                payload = ledger_events.terms_payload(row.order, row, step)
                assert opens(event["data"]["commitment"], payload, step.salt)
                assert payload["price_minor"] == {"submitted": 987654, "countered": 876543}[step.kind]
                assert not opens(event["data"]["commitment"], {**payload, "price_minor": 1}, step.salt)
            else:
                assert "commitment" not in event["data"]
    assert [s.kind for s in steps] == ["submitted", "countered", "counter_rejected", "withdrawn"]


def test_a_factory_never_sees_another_factorys_bid_nor_the_budget(app, market, client):
    m = market
    a = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    b = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(price_minor=140000))
    assert b.status_code == 201, b.get_json()  # Beta bids from the board, uninvited
    b = b.get_json()
    assert m.beta.client.get(f"/api/v1/bids/{a['id']}").status_code == 404
    assert [x["id"] for x in m.beta.client.get(f"/api/v1/orders/{m.order['id']}/bids").get_json()["items"]] == [b["id"]]
    assert [x["id"] for x in m.beta.client.get("/api/v1/bids").get_json()["items"]] == [b["id"]]
    assert m.beta.client.post(f"/api/v1/bids/{a['id']}/revisions", json=bid_body()).status_code == 404
    assert m.beta.client.post(f"/api/v1/bids/{a['id']}/withdraw", json={}).status_code == 404
    assert m.beta.client.get(f"/api/v1/orders/{m.order['id']}/offers").status_code in (403, 404)
    # the buyer sees both, cheapest first, next to each other
    assert [x["id"] for x in m.buyer.get(f"/api/v1/orders/{m.order['id']}/bids").get_json()["items"]] == [b["id"], a["id"]]
    for body in (a, b):
        assert "budget" not in str(body) and "500000" not in str(body)


def test_the_buyer_compares_solver_quotes_and_bids_on_price_date_score_and_distance(app, market):
    from tests.market.test_quotes import wait_job

    m = market
    m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(price_minor=1000))
    job = wait_job(m.buyer, m.buyer.post(f"/api/v1/orders/{m.order['id']}/quotes").get_json()["id"])
    assert job["result"]["alternatives"] >= 1
    offers = m.buyer.get(f"/api/v1/orders/{m.order['id']}/offers").get_json()["items"]
    kinds = [o["kind"] for o in offers]
    assert "bid" in kinds and "quote" in kinds
    assert offers[0]["kind"] == "bid" and offers[0]["total_minor"] == 1000  # cheapest first
    assert [o["total_minor"] for o in offers] == sorted(o["total_minor"] for o in offers)
    bid = offers[0]
    assert bid["factories"] == ["Alpha Works"] and bid["distance_km"] == 0.0
    beta_quotes = [o for o in offers if o["factories"] == ["Beta Works"]]
    for o in beta_quotes:  # 0.3 degrees of latitude north of the delivery address
        assert 30 < o["distance_km"] < 36
    assert all("jobs_completed" in o and "on_time_rate" in o for o in offers)


def test_accepting_a_solver_quote_ends_every_live_bid(app, market):
    from tests.market.test_quotes import wait_job

    m = market
    a = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    b = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    wait_job(m.buyer, m.buyer.post(f"/api/v1/orders/{m.order['id']}/quotes").get_json()["id"])
    quote = m.buyer.get(f"/api/v1/orders/{m.order['id']}/quotes").get_json()["items"][0]
    assert m.buyer.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    booked = {line["factory"] for line in quote["lines"]}
    for name, client, bid in (("Alpha Works", m.alpha.client, a), ("Beta Works", m.beta.client, b)):
        after = client.get(f"/api/v1/bids/{bid['id']}").get_json()
        # a factory the solver's quote books anyway is not a loser: its bid is closed
        expected = "closed" if name in booked else "lost"
        assert after["status"] == expected and after["steps"][-1]["kind"] == expected
        assert after["steps"][-1]["by"] == "platform"
    # no more bids on an accepted order
    again = m.alpha.client.post(f"/api/v1/bids/{a['id']}/revisions", json=bid_body())
    assert again.status_code == 409 and again.get_json()["errors"]["order"]


def test_per_operation_prices_become_the_quote_lines_of_the_booking(app, api, tenant):
    shop = _shop(api, tenant, "Gamma Works", 31.3, timedelta(days=2))
    shop.client.post("/api/v1/machines", json={"factory_id": shop.factory["id"], "name": "Drill",
                                                "processes": ["drilling_tapping"]})
    drill = shop.client.get(f"/api/v1/machines?factory_id={shop.factory['id']}").get_json()
    drill = next(x for x in (drill["items"] if isinstance(drill, dict) else drill) if x["name"] == "Drill")
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    shop.client.post("/api/v1/capacity-windows", json={
        "machine_id": drill["id"], "start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat(),
        "pricing_mode": "per_hour", "price": 10000})
    buyer = api(tenant("buyer"))
    ops = MILLING + [{"process_code": "drilling_tapping", "setup_minutes": 10, "run_minutes_per_unit": 0.5}]
    order = buyer.post("/api/v1/orders", json=order_body(operations=ops)).get_json()
    too_much = shop.client.post(f"/api/v1/orders/{order['id']}/bids", json=bid_body(
        price_minor=None, operation_prices=[{"seq": 1, "price_minor": 10**13}, {"seq": 2, "price_minor": 10**13}]))
    assert too_much.status_code == 422 and "operation_prices" in too_much.get_json()["errors"]
    sent = shop.client.post(f"/api/v1/orders/{order['id']}/bids", json=bid_body(
        price_minor=None, operation_prices=[{"seq": 1, "price_minor": 70000}, {"seq": 2, "price_minor": 30001}]))
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["price_minor"] == 100001 and sent.get_json()["price_basis"] == "operation"
    done = buyer.post(f"/api/v1/bids/{sent.get_json()['id']}/accept")
    assert done.status_code == 200, done.get_json()
    quote = buyer.get(f"/api/v1/quotes/{done.get_json()['quote_id']}").get_json()
    per_seq = {}
    for line in quote["lines"]:
        per_seq[line["seq"]] = per_seq.get(line["seq"], 0) + line["price_minor"]
    assert per_seq == {1: 70000, 2: 30001}
    assert max(line["end"] for line in quote["lines"] if line["seq"] == 1) <= min(
        line["start"] for line in quote["lines"] if line["seq"] == 2)


def test_a_revision_keeps_the_old_terms_in_the_thread_and_a_withdrawn_bid_can_be_bid_again(app, market):
    m = market
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    revised = m.alpha.client.post(f"/api/v1/bids/{bid['id']}/revisions", json=bid_body(price_minor=130000))
    assert revised.status_code == 201 and revised.get_json()["revision"] == 2
    steps = revised.get_json()["steps"]
    assert [(s["kind"], s["price_minor"]) for s in steps] == [("submitted", 150000), ("revised", 130000)]
    assert m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).status_code == 409
    assert m.alpha.client.post(f"/api/v1/bids/{bid['id']}/withdraw", json={"note": "busy"}).get_json()["status"] == "withdrawn"
    again = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(price_minor=160000))
    assert again.status_code == 201 and again.get_json()["id"] == bid["id"] and again.get_json()["revision"] == 3


def test_the_buyer_declines_a_bid_and_the_factory_hears_nothing_of_the_price(app, market):
    m = market
    bid = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    declined = m.buyer.post(f"/api/v1/bids/{bid['id']}/decline", json={"note": "too far"})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert m.buyer.post(f"/api/v1/bids/{bid['id']}/counter", json={"price_minor": 1}).status_code == 409


def _counts(app):
    """Bids, thread steps and ledger entries: what a refused request must leave unchanged."""
    from market.bidding.models import Bid, BidStep
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        return (s.scalar(select(func.count()).select_from(Bid)), s.scalar(select(func.count()).select_from(BidStep)),
                get_ledger().store.size(s.connection()))


@pytest.mark.parametrize("over, field", [
    ({"price_minor": -1}, "price_minor"),
    ({"price_minor": 10**13 + 1}, "price_minor"),
    ({"price_minor": 2**63}, "price_minor"),
    ({"price_minor": 12.5}, "price_minor"),
    ({"price_minor": None}, "price_minor"),
    ({"operation_prices": [{"seq": 1, "price_minor": 5}]}, "price_minor"),  # both bases at once
    ({"price_minor": None, "operation_prices": [{"seq": 2, "price_minor": 5}]}, "operation_prices"),
    ({"price_minor": None, "operation_prices": [{"seq": 1, "price_minor": -5}]}, "operation_prices"),
    ({"promised_at": iso(timedelta(days=-1))}, "promised_at"),
    ({"expires_at": iso(timedelta(days=-1))}, "expires_at"),
    ({"expires_at": iso(timedelta(days=200))}, "expires_at"),
    ({"expires_at": "9999-01-01T00:00:00Z"}, "expires_at"),
    ({"conditions": "x" * 4001}, "conditions"),
    ({"factory_id": "00000000-0000-0000-0000-000000000000"}, "factory_id"),
])
def test_bad_bids_get_422_naming_the_field_and_write_nothing(app, market, over, field):
    before = _counts(app)
    r = market.alpha.client.post(f"/api/v1/orders/{market.order['id']}/bids", json=bid_body(**over))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"] or any(field in str(k) for k in r.get_json()["errors"])
    assert _counts(app) == before


def test_who_may_do_what_on_a_bid(app, market, api, tenant):
    m = market
    assert m.buyer.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).status_code == 403
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    assert m.buyer.post(f"/api/v1/bids/{bid['id']}/revisions", json=bid_body()).status_code == 403
    assert m.alpha.client.post(f"/api/v1/bids/{bid['id']}/counter", json={"price_minor": 1}).status_code == 403
    assert m.alpha.client.post(f"/api/v1/bids/{bid['id']}/accept").status_code == 403
    other_buyer = api(tenant("buyer"))
    assert other_buyer.get(f"/api/v1/bids/{bid['id']}").status_code == 404
    assert other_buyer.post(f"/api/v1/bids/{bid['id']}/accept").status_code == 404
    # a factory that cannot make the order may not bid on it
    lathe = tenant("factory", "Lathe Only")
    turner = api(lathe)
    f = turner.post("/api/v1/factories", json={**FACTORY, "name": "Lathe Only"}).get_json()
    turner.post("/api/v1/machines", json={"factory_id": f["id"], "name": "L1", "processes": ["cnc_turning"]})
    refused = turner.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body())
    assert refused.status_code == 422 and "factory_id" in refused.get_json()["errors"]
    # a draft order is on nobody's board: not found
    draft = m.buyer.post("/api/v1/orders", json=order_body(operations=MILLING, submit=False)).get_json()
    assert m.beta.client.post(f"/api/v1/orders/{draft['id']}/bids", json=bid_body()).status_code == 404


def test_counter_offers_on_withdrawn_or_expired_bids_are_refused(app, market):
    from sqlalchemy import update

    from market.bidding.models import Bid
    from market.db import unit_of_work

    m = market
    a = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    m.alpha.client.post(f"/api/v1/bids/{a['id']}/withdraw", json={})
    before = _counts(app)
    r = m.buyer.post(f"/api/v1/bids/{a['id']}/counter", json={"price_minor": 100})
    assert r.status_code == 409 and "withdrawn" in r.get_json()["detail"]
    assert _counts(app) == before
    b = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    with app.app_context(), unit_of_work() as s:
        s.execute(update(Bid).where(Bid.public_id == __import__("uuid").UUID(b["id"]))
                  .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        s.commit()
    r = m.buyer.post(f"/api/v1/bids/{b['id']}/counter", json={"price_minor": 100})
    assert r.status_code == 409 and "expired" in r.get_json()["detail"]
    assert m.buyer.post(f"/api/v1/bids/{b['id']}/accept").status_code == 409
    assert m.buyer.post(f"/api/v1/bids/{b['id']}/counter", json={}).status_code == 409  # expired first
    # an empty counter on a live bid names the field
    c = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    empty = m.buyer.post(f"/api/v1/bids/{c['id']}/counter", json={})
    assert empty.status_code == 422 and "price_minor" in empty.get_json()["errors"]
    over = m.buyer.post(f"/api/v1/bids/{c['id']}/counter", json={"price_minor": 2**63})
    assert over.status_code == 422


def test_a_promise_the_factorys_capacity_cannot_keep_is_not_booked(app, market):
    m = market
    # Alpha's only window opens in 3 days: a promise for tomorrow cannot be kept
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids",
                              json=bid_body(promised_at=iso(timedelta(days=1)))).get_json()
    r = m.buyer.post(f"/api/v1/bids/{bid['id']}/accept")
    assert r.status_code == 409 and "promised date" in r.get_json()["detail"]
    assert m.buyer.get(f"/api/v1/bids/{bid['id']}").get_json()["status"] == "open"
    assert m.buyer.get(f"/api/v1/orders/{m.order['id']}").get_json()["state"] == "open"
    booked = m.alpha.client.get(f"/api/v1/capacity-windows?machine_id={m.alpha.machine['id']}&status=booked").get_json()
    assert booked["total"] == 0


def test_a_bid_document_is_read_by_the_buyer_and_never_by_another_factory(app, market):
    import io

    m = market
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    pdf = b"%PDF-1.4\nprocess sheet\n%%EOF\n"
    up = m.alpha.client.post(f"/api/v1/bids/{bid['id']}/attachments", data={"file": (io.BytesIO(pdf), "sheet.pdf")},
                             content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    doc = up.get_json()
    assert m.buyer.get(f"/api/v1/bids/{bid['id']}").get_json()["attachments"][0]["id"] == doc["id"]
    assert m.buyer.get(f"/api/v1/bid-attachments/{doc['id']}").data == pdf
    assert m.beta.client.get(f"/api/v1/bid-attachments/{doc['id']}").status_code == 404
    # not one of the order's own attachments (which invited factories read)
    assert m.alpha.client.get(f"/api/v1/orders/{m.order['id']}/attachments").get_json()["items"] == []
    fake = m.alpha.client.post(f"/api/v1/bids/{bid['id']}/attachments",
                               data={"file": (io.BytesIO(b"not a pdf"), "x.pdf")}, content_type="multipart/form-data")
    assert fake.status_code == 415 and len(m.buyer.get(f"/api/v1/bids/{bid['id']}").get_json()["attachments"]) == 1


def test_a_retried_submission_with_the_same_idempotency_key_makes_one_bid(app, market):
    m = market
    headers = {"Idempotency-Key": "bid-1"}
    body = bid_body()
    first = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=body, headers=headers)
    again = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"] and again.headers.get("Idempotent-Replayed") == "true"
    assert len(m.buyer.get(f"/api/v1/orders/{m.order['id']}/bids").get_json()["items"]) == 1
