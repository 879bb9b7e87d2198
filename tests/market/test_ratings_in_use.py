"""The supplier quality at work: catalog search ranks by it (and a rating moves the ranking),
and the solver, given two factories at equal price, books the better one."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import FACTORY, order_body
from tests.market.test_quotes import wait_job
from tests.market.test_ratings import delivered  # noqa: F401  (fixture)
from tests.market.test_production import accepted  # noqa: F401  (fixture)


def _mill(api, tenant, name, start, price=20000):
    """A factory with one 3-axis mill and one 10-hour window at `start`."""
    owner = tenant("factory", name)
    shop = api(owner)
    factory = shop.post("/api/v1/factories", json={**FACTORY, "name": name}).get_json()
    machine = shop.post("/api/v1/machines", json={"factory_id": factory["id"], "name": f"{name} VF-2",
                                                   "processes": ["cnc_milling_3ax"]}).get_json()
    r = shop.post("/api/v1/capacity-windows", json={
        "machine_id": machine["id"], "start": start.isoformat(), "end": (start + timedelta(hours=10)).isoformat(),
        "pricing_mode": "per_hour", "price": price})
    assert r.status_code == 201, r.get_json()
    return factory


def _store(app, factory_public_id, permille):
    """What credit writes after scoring (market/credit/quality.py)."""
    from sqlalchemy import select

    from market.catalog.models import Factory
    from market.catalog.quality import store
    from market.db import unit_of_work, utcnow

    with app.app_context(), unit_of_work() as s:
        fid = s.scalar(select(Factory.id).where(Factory.public_id == uuid.UUID(factory_public_id)))
        store(s, fid, permille, utcnow())
        s.commit()


def _ranked(client, **args):
    query = "&".join(f"{k}={v}" for k, v in {"process": "cnc_milling_3ax", "sort": "quality", **args}.items())
    r = client.get(f"/api/v1/capacity/search?{query}")
    assert r.status_code == 200, r.get_json()
    return [(h["factory"]["name"], h["factory"]["quality"]) for h in r.get_json()["items"]]


@pytest.fixture
def start():
    return (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


def test_search_by_quality_follows_the_stored_score_and_pages_through_it(app, api, tenant, start):
    early = _mill(api, tenant, "Early Mill", start)
    late = _mill(api, tenant, "Late Mill", start + timedelta(days=1))
    buyer = api(tenant("buyer"))
    # unscored: equal, so the earlier window first
    assert _ranked(buyer) == [("Early Mill", 0.734), ("Late Mill", 0.734)]
    _store(app, late["id"], 910)
    assert _ranked(buyer) == [("Late Mill", 0.91), ("Early Mill", 0.734)]
    assert _ranked(buyer, per_page=1, page=2) == [("Early Mill", 0.734)]
    _store(app, early["id"], 950)
    assert _ranked(buyer) == [("Early Mill", 0.95), ("Late Mill", 0.91)]
    assert [h[0] for h in _ranked(buyer, sort="start")] == ["Early Mill", "Late Mill"]  # other sorts unchanged


def test_a_one_star_rating_drops_the_factory_below_an_unscored_newcomer_in_search(delivered, api, tenant):  # noqa: F811
    buyer, mill, _finish, order, factories = delivered
    mill_start = datetime.fromisoformat(mill.get("/api/v1/capacity-windows").get_json()["items"][-1]["start"])
    _mill(api, tenant, "Newcomer Mill", mill_start)
    before = dict(_ranked(buyer))
    # one on-time delivery without dispute lifted Mill Works above the prior
    assert before["Mill Works"] > before["Newcomer Mill"] == 0.734
    assert buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 1}).status_code == 201
    after = dict(_ranked(buyer))
    assert after["Mill Works"] < after["Newcomer Mill"] == 0.734
    assert before["Mill Works"] - after["Mill Works"] < 0.05  # a dent, not a sinking
    assert [name for name, _q in _ranked(buyer)][0] == "Newcomer Mill"


def _quote_factory(buyer) -> str:
    body = order_body(quantity=10, required_certifications=[],
                      operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 3}])
    order = buyer.post("/api/v1/orders", json=body).get_json()
    job = wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    assert job["status"] == "done", job
    quotes = buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"]
    cheapest = next(q for q in quotes if q["label"] == "cheapest")
    return {line["factory"] for line in cheapest["lines"]}


def test_at_equal_price_the_solver_books_the_factory_of_higher_quality_and_follows_a_change(app, api, tenant, start):
    a = _mill(api, tenant, "Alpha Mill", start)
    b = _mill(api, tenant, "Beta Mill", start)
    buyer = api(tenant("buyer"))
    _store(app, a["id"], 600)
    _store(app, b["id"], 900)
    assert _quote_factory(buyer) == {"Beta Mill"}
    _store(app, a["id"], 950)
    assert _quote_factory(buyer) == {"Alpha Mill"}


def test_the_built_problem_carries_each_sites_quality(app, api, tenant, start):
    from sqlalchemy import select

    from market.catalog.models import Factory
    from market.db import unit_of_work, utcnow
    from market.matching.problem import build
    from market.orders.models import Order

    a = _mill(api, tenant, "Alpha Mill", start)
    b = _mill(api, tenant, "Beta Mill", start)
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(required_certifications=[], operations=[
        {"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}])).get_json()
    _store(app, b["id"], 880)
    with app.app_context(), unit_of_work() as s:
        ids = dict(s.execute(select(Factory.public_id, Factory.id)).all())
        built = build(s, [s.scalar(select(Order).where(Order.public_id == uuid.UUID(order["id"])))], utcnow())
        quality = {site.id: site.quality for site in built.problem.sites}
    assert quality == {str(ids[uuid.UUID(a["id"])]): 0.734, str(ids[uuid.UUID(b["id"])]): 0.88}


def test_with_the_quality_weight_off_a_better_score_does_not_buy_a_dearer_window(app, api, tenant, start):
    cheap = _mill(api, tenant, "Cheap Mill", start, price=20000)
    dear = _mill(api, tenant, "Dear Mill", start, price=20100)
    buyer = api(tenant("buyer"))
    _store(app, cheap["id"], 100)
    _store(app, dear["id"], 1000)
    # 10 minor units per permille: 900 permille is worth 9,000 per operation, more than the 100/h gap
    assert _quote_factory(buyer) == {"Dear Mill"}
    app.config["QUOTE_QUALITY_WEIGHT"] = 0
    assert _quote_factory(buyer) == {"Cheap Mill"}
