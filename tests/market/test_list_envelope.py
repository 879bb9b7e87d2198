"""One envelope for every list of /api/v1 (market/pagination.py): `{items, next_cursor, page,
per_page, total, pages}`, a second page by cursor, and `updated_since` for incremental sync on
orders, quotes, bookings (capacity windows), lots and payouts, ordered by (updated_at, id)."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from market.catalog.models import CapacityWindow
from market.db import unit_of_work
from market.orders.models import Order, Quote
from market.payments.models import Payout
from market.production.models import Lot
from tests.conftest import order_body
from tests.market.payment_world import world  # noqa: F401

pytestmark = pytest.mark.postgres  # payouts are money; the keyset's tuple comparisons on both databases

ENVELOPE = {"items", "next_cursor", "page", "per_page", "total", "pages"}
# a fixed past, never the wall clock: the rows' real changes happen after it whenever the suite runs
MARK = datetime(2020, 3, 2, 8, 0, 5, tzinfo=timezone.utc)
SINCE = "2020-03-02T08:00:05Z"


def test_every_list_of_the_api_answers_with_the_envelope_and_declares_it(client):
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    lists = 0
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if not path.startswith("/api/v1/") or get is None:
            continue
        declared = get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema")
        if declared is None:
            continue  # a file (PDF, drawing, evidence bundle)
        shape = schemas[declared["$ref"].rsplit("/", 1)[1]] if "$ref" in declared else declared
        assert shape.get("type") != "array", f"{path} answers with a bare array"
        if "items" in shape.get("properties", {}):
            lists += 1
            assert ENVELOPE <= set(shape["properties"]), (path, sorted(shape["properties"]))
            params = {p["name"] for p in get.get("parameters", [])}
            assert {"page", "per_page", "cursor"} <= params, (path, params)
    assert lists >= 45


def _all_pages(client, url: str, per_page: int = 2) -> list[dict]:
    first = client.get(f"{url}{'&' if '?' in url else '?'}per_page={per_page}").get_json()
    assert ENVELOPE <= set(first), first
    pages, cursor = [first], first["next_cursor"]
    while cursor:
        page = client.get(f"{url}{'&' if '?' in url else '?'}per_page={per_page}&cursor={cursor}")
        assert page.status_code == 200, page.get_json()
        pages.append(page.get_json())
        cursor = pages[-1]["next_cursor"]
    assert pages[-1]["next_cursor"] is None
    return [item for page in pages for item in page["items"]]


def test_a_list_read_by_cursor_gives_every_row_once_in_the_order_of_the_pages(api, tenant):
    buyer = api(tenant("buyer"))
    ids = [buyer.post("/api/v1/orders", json=order_body(title=f"Order {n}")).get_json()["id"] for n in range(5)]
    by_page = buyer.get("/api/v1/orders?per_page=100").get_json()
    assert by_page["total"] == 5 and by_page["next_cursor"] is None
    by_cursor = _all_pages(buyer, "/api/v1/orders")
    second = buyer.get(f"/api/v1/orders?per_page=2&cursor={by_page_two(buyer)}").get_json()
    assert second["page"] is None and second["total"] is None and second["pages"] is None  # a keyset read counts nothing
    assert [o["id"] for o in by_cursor] == [o["id"] for o in by_page["items"]] == ids[::-1]  # newest first
    # a row added between two reads neither repeats nor shifts the rows of the next page
    first = buyer.get("/api/v1/orders?per_page=2").get_json()
    buyer.post("/api/v1/orders", json=order_body(title="Late one"))
    rest = buyer.get(f"/api/v1/orders?per_page=10&cursor={first['next_cursor']}").get_json()["items"]
    assert [o["id"] for o in first["items"] + rest] == ids[::-1]


def test_a_short_list_read_in_memory_pages_by_cursor_too(api, tenant):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    for n in range(5):
        assert buyer.post(f"/api/v1/orders/{order['id']}/messages", json={"body": f"note {n}"}).status_code == 201
    page = buyer.get(f"/api/v1/orders/{order['id']}/messages?per_page=2").get_json()
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (1, 2, 5, 3) and page["next_cursor"]
    assert [m["body"] for m in _all_pages(buyer, f"/api/v1/orders/{order['id']}/messages")] == [
        f"note {n}" for n in range(5)]


def by_page_two(client) -> str:
    return client.get("/api/v1/orders?per_page=2").get_json()["next_cursor"]


def _moved(app, model, public_ids: list[str], at: datetime) -> None:
    with app.app_context(), unit_of_work() as s:
        s.execute(update(model).where(model.public_id.in_([uuid.UUID(i) for i in public_ids])).values(updated_at=at))
        s.commit()


def _sync(client, url: str) -> list[str]:
    return [row["id"] for row in _all_pages(client, f"{url}?updated_since={SINCE}", per_page=1)]


def test_updated_since_on_orders_returns_the_rows_changed_since_the_mark_and_the_one_changed_in_its_second(app, api, tenant):
    buyer = api(tenant("buyer"))
    old, at_mark, same_second, untouched = (
        buyer.post("/api/v1/orders", json=order_body(title=t)).get_json()["id"] for t in "ABCD")
    _moved(app, Order, [old], MARK - timedelta(seconds=1))
    _moved(app, Order, [untouched], MARK - timedelta(days=3))
    _moved(app, Order, [same_second], MARK + timedelta(milliseconds=400))
    _moved(app, Order, [at_mark], MARK)
    assert _sync(buyer, "/api/v1/orders") == [at_mark, same_second]  # by (updated_at, id), oldest change first
    # a change moves the row past the mark (onupdate): the next sync sees it
    assert buyer.patch(f"/api/v1/orders/{untouched}", json={"title": "D, edited"}).status_code == 200
    synced = buyer.get(f"/api/v1/orders?updated_since={SINCE}").get_json()["items"]
    assert [o["id"] for o in synced] == [at_mark, same_second, untouched]
    assert synced[-1]["updated_at"] > synced[0]["updated_at"]


def test_updated_since_on_quotes_bookings_lots_and_payouts(app, world):  # noqa: F811
    order_id = world.order(split=False)
    world.operator.post(f"/api/v1/orders/{order_id}/payment/confirm", json={})
    world.move(order_id, "in_production")
    world.move(order_id, "shipped")
    mill = world.mill["client"]
    quotes = [q["id"] for q in world.buyer.get(f"/api/v1/orders/{order_id}/quotes").get_json()["items"]]
    lots = [lot["id"] for lot in world.buyer.get(f"/api/v1/orders/{order_id}/lots").get_json()["items"]]
    booked = [w["id"] for w in mill.get("/api/v1/capacity-windows?status=booked").get_json()["items"]]
    with app.app_context(), unit_of_work() as s:
        payouts = [str(p) for p in s.scalars(select(Payout.public_id).join(Order, Order.id == Payout.order_id)
                                             .where(Order.public_id == uuid.UUID(order_id)))]
    assert quotes and lots and booked and payouts
    for model, rows in ((Quote, quotes), (Lot, lots), (CapacityWindow, booked), (Payout, payouts)):
        _moved(app, model, rows, MARK - timedelta(seconds=1))
    assert _sync(world.buyer, f"/api/v1/orders/{order_id}/quotes") == []
    assert _sync(world.buyer, f"/api/v1/orders/{order_id}/lots") == []
    assert mill.get(f"/api/v1/capacity-windows?status=booked&updated_since={SINCE}").get_json()["items"] == []
    assert mill.get(f"/api/v1/payouts?updated_since={SINCE}").get_json()["items"] == []
    for model, rows in ((Quote, quotes), (Lot, lots), (CapacityWindow, booked), (Payout, payouts)):
        _moved(app, model, rows[:1], MARK + timedelta(milliseconds=900))  # later in the mark's second
    assert _sync(world.buyer, f"/api/v1/orders/{order_id}/quotes") == quotes[:1]
    assert _sync(world.buyer, f"/api/v1/orders/{order_id}/lots") == lots[:1]
    assert [w["id"] for w in mill.get(f"/api/v1/capacity-windows?status=booked&updated_since={SINCE}")
            .get_json()["items"]] == booked[:1]
    assert len(mill.get(f"/api/v1/payouts?updated_since={SINCE}").get_json()["items"]) == 1


@pytest.mark.parametrize("query, field", [
    ("updated_since=yesterday", "updated_since"),
    ("updated_since=2026-05-01T08:00:00", "updated_since"),  # RFC 3339 wants the offset
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=eyJwYWdlIjozfQ", "cursor"),  # JSON, but not a cursor this list handed out
    ("page=2&cursor=W3sicGFnZSI6IDJ9XQ", "cursor"),
    ("per_page=0", "per_page"),
    ("per_page=101", "per_page"),
    ("per_page=ten", "per_page"),
])
def test_a_bad_updated_since_cursor_or_page_size_is_refused_on_its_field(api, tenant, query, field):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    for url in ("/api/v1/orders", f"/api/v1/orders/{order['id']}/quotes", f"/api/v1/orders/{order['id']}/messages"):
        if "updated_since" in query and url.endswith("/messages"):
            continue  # not a synced list: an unknown parameter, refused as such
        response = buyer.get(f"{url}?{query}")
        assert response.status_code == 422 and field in response.get_json()["errors"], (url, response.get_json())


def test_a_keyset_cursor_of_one_list_is_refused_by_a_ranked_one(api, tenant):
    buyer = api(tenant("buyer"))
    for _ in range(3):
        buyer.post("/api/v1/orders", json=order_body())
    cursor = buyer.get("/api/v1/orders?per_page=1").get_json()["next_cursor"]
    response = buyer.get(f"/api/v1/capacity/search?process=cnc_milling_3ax&cursor={cursor}")
    assert response.status_code == 422 and "cursor" in response.get_json()["errors"], response.get_json()
