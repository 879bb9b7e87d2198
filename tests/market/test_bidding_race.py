"""Accepting a bid while the bidding factory's windows get booked by someone else: the same
guarantees as a quote's acceptance (matching's accept path): never a double booking, the
loser gets 409 with a fresh quote already being solved, and the bid stays open to retry."""
import threading

from sqlalchemy import select

from tests.conftest import Api, order_body
from tests.market.test_bidding import MILLING, bid_body, market  # noqa: F401  (fixture)
from tests.market.test_quotes import wait_job


def _rival_quote_on(m, api, tenant, factory_name: str):
    """Another buyer's open solver quote that uses `factory_name`'s mill (its fastest)."""
    who = tenant("buyer")
    rival = api(who)
    order = rival.post("/api/v1/orders", json=order_body(operations=MILLING)).get_json()
    wait_job(rival, rival.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    quotes = rival.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"]
    pick = next(q for q in quotes if {line["factory"] for line in q["lines"]} == {factory_name})
    return who, rival, pick


def _booked_slices(app, machine_public_id: str):
    import uuid

    from market.catalog.models import CapacityWindow, Machine
    from market.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        machine = s.scalar(select(Machine).where(Machine.public_id == uuid.UUID(machine_public_id)))
        return [(w.start_at, w.end_at, w.booked_order_id) for w in s.scalars(
            select(CapacityWindow).where(CapacityWindow.machine_id == machine.id, CapacityWindow.status == "booked")
            .order_by(CapacityWindow.start_at))]


def _no_overlap(slices) -> bool:
    return all(a[1] <= b[0] for a, b in zip(slices, slices[1:]))


def test_capacity_booked_between_the_placement_and_the_booking_gives_409_a_fresh_quote_and_an_open_bid(
        app, market, api, tenant, monkeypatch):
    from market.bidding import award

    m = market
    _, rival, rival_quote = _rival_quote_on(m, api, tenant, "Alpha Works")
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    solve = award.quote

    def solve_then_lose_the_window(*args, **kwargs):
        placements = solve(*args, **kwargs)
        # the rival books the same slot of Alpha's mill while the bid's placement is being made
        assert Api(app.test_client(), rival.token).post(f"/api/v1/quotes/{rival_quote['id']}/accept").status_code == 200
        return placements

    monkeypatch.setattr(award, "quote", solve_then_lose_the_window)
    lost = m.buyer.post(f"/api/v1/bids/{bid['id']}/accept")
    assert lost.status_code == 409, lost.get_json()
    assert "request fresh quotes" in lost.get_json()["detail"]
    assert lost.get_json()["fresh_quote_job"]
    assert m.buyer.get(f"/api/v1/bids/{bid['id']}").get_json()["status"] == "open"
    assert m.buyer.get(f"/api/v1/orders/{m.order['id']}").get_json()["state"] != "accepted"
    slices = _booked_slices(app, m.alpha.machine["id"])
    assert len(slices) == 1 and _no_overlap(slices)
    wait_job(m.buyer, lost.get_json()["fresh_quote_job"])

    # the bid can be accepted again: the rest of Alpha's window still holds it
    monkeypatch.setattr(award, "quote", solve)
    again = m.buyer.post(f"/api/v1/bids/{bid['id']}/accept")
    assert again.status_code == 200, again.get_json()
    slices = _booked_slices(app, m.alpha.machine["id"])
    assert len(slices) == 2 and _no_overlap(slices)
    assert len({order_id for *_, order_id in slices}) == 2  # the rival's order and the bid's


def test_a_bid_and_rival_quotes_accepted_at_once_book_each_slot_once(app, market, api, tenant):
    """Real concurrency (run on PostgreSQL too): the bid's acceptance and three rival buyers'
    acceptances of quotes on Alpha's same slot; exactly one of the rivals or the bid gets it
    first, the others 409 or land after it, and Alpha's mill is never double-booked."""
    m = market
    rivals = [_rival_quote_on(m, api, tenant, "Alpha Works") for _ in range(3)]
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    calls = [(m.buyer_tenant.token, f"/api/v1/bids/{bid['id']}/accept")]
    calls += [(who.token, f"/api/v1/quotes/{q['id']}/accept") for who, _, q in rivals]
    barrier, results = threading.Barrier(len(calls)), {}

    def accept(token, url):
        client = Api(app.test_client(), token)
        barrier.wait()
        results[url] = client.post(url).status_code

    threads = [threading.Thread(target=accept, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert set(results.values()) <= {200, 409} and len(results) == len(calls), results
    assert 200 in results.values()
    slices = _booked_slices(app, m.alpha.machine["id"])
    assert _no_overlap(slices), slices
    # every 200 is one booking on the mill (or, for the bid, the order accepted), never more
    winners = [url for url, status in results.items() if status == 200]
    assert len(slices) == len(winners)
    status = m.buyer.get(f"/api/v1/bids/{bid['id']}").get_json()["status"]
    assert status == ("accepted" if calls[0][1] in winners else "open")
    assert not any(t.is_alive() for t in threads)
