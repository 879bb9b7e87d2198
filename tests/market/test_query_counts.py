"""The hot API routes (the mixed-load benchmark's: order list and detail, capacity search) cost a
fixed number of SQL statements, whatever the page holds: no query per row (N+1), no entity
loaded twice, one statement to check a bearer token. A change that adds a statement to every
call fails here first, with the statements listed."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from tests.conftest import FACTORY, order_body

# rate-limit hit 1, token 1, then the route's own: page + count (full pages only) + operations +
# history for a list; the order + operations + history for a detail; machines + page + count +
# processes for a capacity search. The budgets hold for full pages.
BUDGET = {"order list": 6, "order detail": 5, "capacity search": 6}


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _count(statements, call):
    call()  # warm: first-call work (a token's last_used_at write) is not what every call costs
    statements.clear()
    response = call()
    assert response.status_code == 200, response.get_json()
    return len(statements), list(statements)


def _world(api, tenant, orders: int, windows: int):
    buyer, owner = api(tenant("buyer")), api(tenant("factory"))
    for n in range(orders):
        assert buyer.post("/api/v1/orders", json=order_body(title=f"Bracket {n}")).status_code == 201
    factory = owner.post("/api/v1/factories", json=FACTORY).get_json()
    start = datetime(2031, 3, 3, 8, tzinfo=timezone.utc)
    for n in range(windows):
        machine = owner.post("/api/v1/machines", json={
            "factory_id": factory["id"], "name": f"VF-{n}", "processes": ["cnc_milling_3ax"]}).get_json()
        assert owner.post("/api/v1/capacity-windows", json={
            "machine_id": machine["id"], "start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat(),
            "pricing_mode": "per_hour", "price": 20000}).status_code == 201
    return buyer


@pytest.mark.parametrize("rows", [2, 12])
def test_the_hot_routes_cost_a_fixed_number_of_statements(api, tenant, statements, rows):
    buyer = _world(api, tenant, orders=rows, windows=rows)
    first = buyer.get("/api/v1/orders?per_page=50").get_json()["items"][0]["id"]
    calls = {
        "order list": lambda: buyer.get("/api/v1/orders?per_page=50"),
        "order detail": lambda: buyer.get(f"/api/v1/orders/{first}"),
        "capacity search": lambda: buyer.get("/api/v1/capacity/search?process=cnc_milling_3ax&per_page=50"),
    }
    for name, call in calls.items():
        n, seen = _count(statements, call)
        assert n <= BUDGET[name], f"{name}: {n} statements, budget {BUDGET[name]}:\n" + "\n".join(
            s[:160].replace("\n", " ") for s in seen)
    # the pages were full: a per-row query would have shown in the counts above
    assert len(calls["order list"]().get_json()["items"]) == rows
    assert len(calls["capacity search"]().get_json()["items"]) == rows


def test_a_short_page_says_the_total_without_counting_and_every_page_says_it_right(api, tenant, statements):
    buyer = _world(api, tenant, orders=5, windows=0)
    for page in (1, 2, 3, 4):
        body = buyer.get(f"/api/v1/orders?per_page=2&page={page}").get_json()
        assert (body["total"], body["pages"], len(body["items"])) == (5, 3, [2, 2, 1, 0][page - 1])
    full, _ = _count(statements, lambda: buyer.get("/api/v1/orders?per_page=2&page=1"))
    short, seen = _count(statements, lambda: buyer.get("/api/v1/orders?per_page=2&page=3"))
    assert short == full - 1 and not any("count(" in s for s in seen)


def test_the_order_sub_lists_read_the_order_row_without_its_graph(api, tenant, statements):
    """Messages, attachments and quote requests of an order check access on the order's row:
    its operations and history (selectin) are not loaded for that."""
    buyer = _world(api, tenant, orders=1, windows=0)
    order = buyer.get("/api/v1/orders").get_json()["items"][0]["id"]
    assert buyer.post(f"/api/v1/orders/{order}/messages", json={"body": "hello"}).status_code == 201
    for path in ("messages", "attachments", "quote-requests", "quotes", "lots"):
        n, seen = _count(statements, lambda: buyer.get(f"/api/v1/orders/{order}/{path}"))
        assert not any("FROM order_operations" in s or "FROM order_events" in s for s in seen), (path, seen)
        assert n <= 4, (path, n, seen)
