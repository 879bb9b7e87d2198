"""Production of a bill-of-materials order: a lot's operations follow the order's precedence
DAG (components made side by side, the assembly after all it waits for), not the seq chain."""
import pytest

from tests.conftest import order_body
from tests.market.test_orders_bom import BOM
from tests.market.test_quotes import wait_job


@pytest.fixture
def bom_accepted(api, tenant, two_sites):
    """A BOM order (body milled at Mill Works, caps anodized and the assembly inspected at
    Finish Lab, the inspection after both components) accepted on its cheapest quote."""
    mill, finish = two_sites
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(**BOM)).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    quote = next(q for q in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"] if q["label"] == "cheapest")
    assert buyer.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    placed = {line["seq"]: line["factory"] for line in quote["lines"]}
    assert placed == {1: "Mill Works", 2: "Finish Lab", 3: "Finish Lab"}, placed
    finish["client"].email = finish["tenant"].email  # for portal logins
    return buyer, mill["client"], finish["client"], order


def test_both_components_run_at_once_and_the_assembly_waits_for_both(bom_accepted):
    buyer, mill, finish, order = bom_accepted
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 10})
    assert lot.status_code == 201, lot.get_json()
    url = f"/api/v1/lots/{lot.get_json()['id']}"
    assert mill.post(f"{url}/operations/1/start", json={}).status_code == 200
    # the caps do not wait for the body: operation 2 starts while operation 1 is running
    caps = finish.post(f"{url}/operations/2/start", json={})
    assert caps.status_code == 200, caps.get_json()
    running = {s["seq"] for s in buyer.get(url).get_json()["operations"] if s["finished_at"] is None}
    assert running == {1, 2}
    early = finish.post(f"{url}/operations/3/start", json={})
    assert early.status_code == 409
    assert early.get_json()["errors"]["seq"] == ["Operation 3 waits for operations 1 and 2 to finish first."]
    # 2 caps per piece: 20 caps reach the anodizing of a 10-piece lot
    assert finish.post(f"{url}/operations/2/finish", json={"good": 20, "rejected": 0}).status_code == 200
    zh = finish.post(f"{url}/operations/3/start", json={}, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 409
    assert zh.get_json()["errors"]["seq"] == ["工序 3 需等工序 1 完成后才能开始。"]
    assert "operation 1" in zh.get_json()["detail"]  # the problem's detail stays English
    assert mill.post(f"{url}/operations/1/finish", json={"good": 9, "rejected": 1}).status_code == 200
    assert finish.post(f"{url}/operations/3/start", json={}).status_code == 200
    # 9 bodies and caps for 10 pieces reached the assembly: it makes at most 9
    over = finish.post(f"{url}/operations/3/finish", json={"good": 10})
    assert over.status_code == 422 and "good" in over.get_json()["errors"]
    assert finish.post(f"{url}/operations/3/finish", json={"good": 9}).status_code == 200
    assert finish.post(f"{url}/qc", json={"result": "pass", "inspector": "Wang"}).status_code == 201
    assert finish.post(f"{url}/shipment", json={"carrier": "SF"}).status_code == 200


def test_either_components_factory_may_start_the_lot_and_the_caps_count_per_piece(bom_accepted):
    buyer, mill, finish, order = bom_accepted
    lot = finish.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 10})
    assert lot.status_code == 201, lot.get_json()  # Finish Lab makes a first operation too (the caps)
    url = f"/api/v1/lots/{lot.get_json()['id']}"
    assert finish.post(f"{url}/operations/2/start", json={}).status_code == 200
    over = finish.post(f"{url}/operations/2/finish", json={"good": 21})
    assert over.status_code == 422 and "good" in over.get_json()["errors"]  # 2 caps x 10 pieces
    assert finish.post(f"{url}/operations/2/finish", json={"good": 20}).status_code == 200
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "in_production"


def test_the_lot_page_offers_start_on_every_operation_whose_predecessors_are_done(bom_accepted, app, client):
    buyer, mill, finish, order = bom_accepted
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 10}).get_json()
    client.post("/login", data={"email": finish.email, "password": "correct-horse-1"})
    page = client.get(f"/lots/{lot['id']}").get_data(as_text=True)
    assert 'id="start-2"' in page and 'id="start-3"' not in page
    refused = client.post(f"/lots/{lot['id']}/operations/3/start", headers={"Accept-Language": "zh-CN"},
                          follow_redirects=True).get_data(as_text=True)
    assert "工序 3 需等工序 1 和 2 完成后才能开始。" in refused
