"""Production on the ledger: lots, operations in order, QC, shipment, delivery, and the
public trace of a lot, verified the way a visitor's browser (or auditor) would."""
import base64
import hashlib
import subprocess
import sys
import json

import pytest

from ledger.verify import root_from_inclusion_proof
from tests.conftest import FACTORY, order_body
from tests.market.test_quotes import wait_job


@pytest.fixture
def accepted(api, tenant, two_sites):
    """An order accepted on a quote that puts op 1 at Mill Works and ops 2-3 at Finish Lab."""
    mill, finish = two_sites
    owner = tenant("buyer")
    buyer = api(owner)
    buyer.email = owner.email  # for browser logins
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    quote = next(q for q in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"] if q["label"] == "cheapest")
    assert buyer.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    return buyer, mill["client"], finish["client"], order


def make_lot(buyer, mill, finish, order, quantity=None):
    body = {} if quantity is None else {"quantity": quantity}
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json=body)
    assert lot.status_code == 201, lot.get_json()
    lot = lot.get_json()
    url = f"/api/v1/lots/{lot['id']}"
    assert mill.post(f"{url}/operations/1/start", json={}).status_code == 200
    assert mill.post(f"{url}/operations/1/finish", json={"good": lot["quantity"] - 2, "rejected": 2}).status_code == 200
    for seq in (2, 3):
        assert finish.post(f"{url}/operations/{seq}/start", json={}).status_code == 200
        assert finish.post(f"{url}/operations/{seq}/finish", json={"good": lot["quantity"] - 2}).status_code == 200
    qc = finish.post(f"{url}/qc", json={"result": "pass", "inspector": "Wang Fang", "measurements": [
        {"name": "bore", "value": "12.004", "unit": "mm", "lower": "11.990", "upper": "12.010"}]})
    assert qc.status_code == 201, qc.get_json()
    return lot, url


def test_a_lot_goes_from_first_operation_to_the_buyer_and_the_order_follows(accepted):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    assert lot["quantity"] == 100 and len(lot["trace_code"]) == 14
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "in_production"
    shipped = finish.post(f"{url}/shipment", json={"carrier": "SF Express", "tracking_ref": "SF123"})
    assert shipped.status_code == 200 and shipped.get_json()["status"] == "shipped"
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "shipped"
    assert finish.post(f"{url}/delivery").status_code == 403  # only the buyer receives
    received = buyer.post(f"{url}/delivery")
    assert received.status_code == 200 and received.get_json()["status"] == "delivered"
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "delivered"
    steps = buyer.get(url).get_json()["operations"]
    assert [(s["seq"], s["factory"], s["good"]) for s in steps] == [(1, "Mill Works", 98), (2, "Finish Lab", 98),
                                                                   (3, "Finish Lab", 98)]


def test_steps_are_refused_out_of_order_by_the_wrong_party_or_with_bad_counts(accepted):
    buyer, mill, finish, order = accepted
    assert finish.post(f"/api/v1/orders/{order['id']}/lots", json={}).status_code == 403  # op 1 is the mill's
    assert buyer.post(f"/api/v1/orders/{order['id']}/lots", json={}).status_code == 403
    too_many = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 101})
    assert too_many.status_code == 422 and "quantity" in too_many.get_json()["errors"]
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 60}).get_json()
    url = f"/api/v1/lots/{lot['id']}"
    assert finish.post(f"{url}/operations/2/start", json={}).status_code == 409  # op 1 not finished
    assert mill.post(f"{url}/operations/2/start", json={}).status_code == 403  # not the mill's step
    assert mill.post(f"{url}/operations/1/finish", json={"good": 1}).status_code == 409  # not started
    assert mill.post(f"{url}/operations/1/start", json={}).status_code == 200
    assert mill.post(f"{url}/operations/1/start", json={}).status_code == 409
    over = mill.post(f"{url}/operations/1/finish", json={"good": 60, "rejected": 1})
    assert over.status_code == 422 and "good" in over.get_json()["errors"]
    assert mill.post(f"{url}/operations/1/finish", json={"good": 2.5}).status_code == 422
    assert mill.post(f"{url}/operations/9/start", json={}).status_code == 404
    assert finish.post(f"{url}/qc", json={"result": "pass", "inspector": "W"}).status_code == 409  # ops unfinished
    assert finish.post(f"{url}/shipment", json={"carrier": "SF"}).status_code == 409


def test_qc_that_contradicts_its_measurements_is_refused_and_a_failed_lot_cannot_ship(accepted):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    bad = finish.post(f"{url}/qc", json={"result": "pass", "inspector": "Wang", "measurements": [
        {"name": "bore", "value": "12.02", "lower": "11.99", "upper": "12.01"}]})
    assert bad.status_code == 422 and "result" in bad.get_json()["errors"]
    nan = finish.post(f"{url}/qc", json={"result": "fail", "inspector": "Wang", "measurements": [
        {"name": "bore", "value": "NaN"}]})
    assert nan.status_code == 422 and "measurements.0.value" in nan.get_json()["errors"]
    assert finish.post(f"{url}/qc", json={"result": "fail", "inspector": "Wang", "measurements": [
        {"name": "bore", "value": "12.02", "lower": "11.99", "upper": "12.01"}]}).status_code == 201
    refused = finish.post(f"{url}/shipment", json={"carrier": "SF"})
    assert refused.status_code == 409 and "final inspection" in refused.get_json()["detail"]
    # rework and a new passing inspection let it ship; both inspections stay on record
    assert finish.post(f"{url}/qc", json={"result": "pass", "inspector": "Wang"}).status_code == 201
    assert finish.post(f"{url}/shipment", json={"carrier": "SF"}).status_code == 200
    assert [q["result"] for q in buyer.get(url).get_json()["qc_results"]] == ["pass", "fail", "pass"]


def test_order_ships_only_when_every_piece_has_shipped(accepted):
    buyer, mill, finish, order = accepted
    _, first = make_lot(buyer, mill, finish, order, quantity=40)
    assert finish.post(f"{first}/shipment", json={"carrier": "SF"}).status_code == 200
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "in_production"
    claimed = finish.post(f"/api/v1/orders/{order['id']}/transitions", json={"to": "shipped"})
    assert claimed.status_code == 409 and "lot by lot" in claimed.get_json()["detail"]
    _, second = make_lot(buyer, mill, finish, order)
    assert buyer.get(second).get_json()["quantity"] == 60
    assert finish.post(f"{second}/shipment", json={"carrier": "SF"}).status_code == 200
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "shipped"
    # the buyer's order-level confirmation receives every shipped lot
    assert buyer.post(f"/api/v1/orders/{order['id']}/transitions", json={"to": "delivered"}).status_code == 200
    assert {lot["status"] for lot in buyer.get(f"/api/v1/orders/{order['id']}/lots").get_json()["items"]} == {"delivered"}


def _leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def test_public_trace_has_every_step_with_proofs_to_a_signed_checkpoint_and_no_prices(accepted, client):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    finish.post(f"{url}/shipment", json={"carrier": "SF Express", "tracking_ref": "SF-SECRET-1"})
    buyer.post(f"{url}/delivery")
    trace = client.get(f"/api/v1/trace/{lot['trace_code'].lower()}")  # codes are forgiving
    assert trace.status_code == 200
    body = trace.get_json()
    types = [e["event"]["type"] for e in body["entries"]]
    assert types == ["lot.commissioned", "operation.started", "operation.completed", "operation.started",
                     "operation.completed", "operation.started", "operation.completed", "qc.recorded",
                     "shipment.shipped", "delivery.confirmed"]
    cp_root = base64.b64decode(body["checkpoint"].split("\n")[2])
    for e in body["entries"]:
        proof = [base64.b64decode(h) for h in e["inclusion_path"]]
        assert root_from_inclusion_proof(_leaf(base64.b64decode(e["entry"])), e["index"], body["size"], proof) == cp_root
    text = json.dumps(body)
    for secret in ("price", "budget", "SF-SECRET-1", "Wang Fang", "_minor"):
        assert secret not in text
    assert "Mill Works" in body["names"].values()
    assert client.get("/api/v1/trace/0000-0000-0000").status_code == 404
    assert client.get("/api/v1/trace/not-a-code").status_code == 404


def test_trace_entry_exported_from_the_api_verifies_with_the_cli_in_another_process(accepted, client, tmp_path):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    entry = client.get(f"/api/v1/trace/{lot['trace_code']}").get_json()["entries"][-1]  # the QC entry
    bundle = client.get(f"/api/v1/ledger/entries/{entry['index']}/proof").get_json()
    path = tmp_path / "qc.json"
    path.write_text(json.dumps(bundle))
    ok = subprocess.run([sys.executable, "-m", "ledger", "verify-proof", str(path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bundle["entry"] = base64.b64encode(base64.b64decode(bundle["entry"]).replace(b"pass", b"fail")).decode()
    path.write_text(json.dumps(bundle))
    bad = subprocess.run([sys.executable, "-m", "ledger", "verify-proof", str(path)], capture_output=True, text=True)
    assert bad.returncode == 1


def test_public_trace_page_and_qr_need_no_login_and_the_label_does(accepted, client):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    page = client.get(f"/trace/{lot['trace_code']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Mill Works" in html and "bore" in html and "Wang Fang" not in html
    svg = client.get(f"/trace/{lot['trace_code']}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get(f"/lots/{lot['id']}/label").status_code in (302, 401)
    assert client.get("/trace?code=garbage").status_code == 200
    assert client.get(f"/trace?code={lot['trace_code'].replace('-', '')}").status_code == 302


def test_credit_facts_name_the_entries_that_prove_them(accepted, app):
    from datetime import datetime, timedelta, timezone

    from ledger.disclosure import opens
    from market.catalog.models import Factory
    from market.db import unit_of_work
    from market.matching.queries import factory_sales
    from market.production.queries import factory_deliveries, factory_qc
    from market.journal.ledger import get_ledger
    from ledger.entry import decode_entry

    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    finish.post(f"{url}/shipment", json={"carrier": "SF"})
    buyer.post(f"{url}/delivery")
    now = datetime.now(timezone.utc)
    with app.app_context(), unit_of_work() as s:
        ids = {f.name: f.id for f in s.query(Factory)}
        conn = s.connection()
        entry = lambda i: decode_entry(get_ledger().store.entry(conn, i)).event  # noqa: E731
        span = (now - timedelta(days=1), now + timedelta(days=1))
        [delivery] = factory_deliveries(s, ids["Finish Lab"], *span)
        assert entry(delivery.ledger_index)["type"] == "delivery.confirmed"
        assert factory_deliveries(s, ids["Mill Works"], *span)  # the mill made part of it too
        [qc] = factory_qc(s, ids["Finish Lab"], *span)
        assert qc.result == "pass" and entry(qc.ledger_index)["type"] == "qc.recorded"
        assert factory_qc(s, ids["Mill Works"], *span) == []
        sales = {name: factory_sales(s, fid, *span) for name, fid in ids.items()}
        mill_sale, finish_sale = sales["Mill Works"][0], sales["Finish Lab"][0]
        assert mill_sale.amount_minor == 103334 and finish_sale.amount_minor > 0
        shares = {sh["factory"]: sh["commitment"] for sh in entry(mill_sale.ledger_index)["data"]["shares"]}
        for sale in (mill_sale, finish_sale):
            assert opens(shares[sale.payload["factory"]], sale.payload, sale.salt)
        assert not opens(shares[mill_sale.payload["factory"]], {**mill_sale.payload, "amount_minor": 1}, mill_sale.salt)


def test_labels_point_at_the_configured_public_address(app):
    from market.production.labels import trace_url

    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert trace_url("ABCDABCDABCD") == "http://10.0.0.5:8000/trace/ABCDABCDABCD"
        app.config["PUBLIC_BASE_URL"] = "https://trace.example.com/"
        assert trace_url("ABCDABCDABCD") == "https://trace.example.com/trace/ABCDABCDABCD"


def test_a_qc_correction_is_a_new_event_that_names_the_entry_it_corrects(accepted, app):
    from ledger.entry import decode_entry
    from ledger.hashing import leaf_hash
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    first = buyer.get(url).get_json()["qc_results"][0]
    wrong = finish.post(f"{url}/qc", json={"result": "pass", "inspector": "W", "corrects": lot["id"]})
    assert wrong.status_code == 422 and "corrects" in wrong.get_json()["errors"]
    fixed = finish.post(f"{url}/qc", json={"result": "fail", "inspector": "Wang", "corrects": first["id"],
                                           "measurements": [{"name": "bore", "value": "12.2", "upper": "12.01"}]})
    assert fixed.status_code == 201, fixed.get_json()
    assert fixed.get_json()["corrects"] == first["id"]
    again = finish.post(f"{url}/qc", json={"result": "pass", "inspector": "W", "corrects": first["id"]})
    assert again.status_code == 422  # correct the latest correction, not the original twice
    records = buyer.get(url).get_json()["qc_results"]
    assert [(q["result"], q["corrected"]) for q in records] == [("pass", True), ("fail", False)]
    assert finish.post(f"{url}/shipment", json={"carrier": "SF"}).status_code == 409  # the correction rules
    with app.app_context(), unit_of_work() as s:
        store = get_ledger().store
        event = decode_entry(store.entry(s.connection(), fixed.get_json()["ledger_index"])).event
        original = store.entry(s.connection(), first["ledger_index"])
    assert event["corrects"] == {"index": first["ledger_index"], "leaf_hash": leaf_hash(original).hex()}


def test_dashboards_list_open_lots_for_the_factory_and_the_buyer(accepted, app, two_sites):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    finish.post(f"{url}/shipment", json={"carrier": "SF"})
    for email in (buyer.email, two_sites[1]["tenant"].email):
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": "correct-horse-1"}).status_code == 302
        page = client.get("/dashboard").get_data(as_text=True)
        assert lot["trace_code"] in page and "3 / 3" in page
    buyer.post(f"{url}/delivery")
    client = app.test_client()
    client.post("/login", data={"email": buyer.email, "password": "correct-horse-1"})
    assert lot["trace_code"] not in client.get("/dashboard").get_data(as_text=True)  # received: off the list


@pytest.fixture
def lost_bid(api, tenant, two_sites):
    """An order the buyer also asked a third factory to quote on; the quote it accepts places
    the work with Mill Works and Finish Lab, so that factory lost."""
    mill, finish = two_sites
    owner = tenant("buyer")
    buyer = api(owner)
    loser_owner = tenant("factory", "Also Ran")
    loser = api(loser_owner)
    loser.email = loser_owner.email
    factory = loser.post("/api/v1/factories", json={**FACTORY, "name": "Also Ran"}).get_json()
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    invited = buyer.post(f"/api/v1/orders/{order['id']}/quote-requests", json={"factory_id": factory["id"]})
    assert invited.status_code == 201
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    quote = next(q for q in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"] if q["label"] == "cheapest")
    assert buyer.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    return buyer, mill["client"], finish["client"], order, loser


def test_invited_factory_that_lost_cannot_read_the_winners_lots(lost_bid, tenant, api, app):
    buyer, mill, finish, order, loser = lost_bid
    lot, url = make_lot(buyer, mill, finish, order)
    assert finish.post(f"{url}/shipment", json={"carrier": "SF Express", "tracking_ref": "SF-SECRET-1"}).status_code == 200
    assert loser.get(f"/api/v1/orders/{order['id']}").status_code == 200  # it was asked to quote: it sees the order
    assert loser.get(url).status_code == 404
    assert loser.get(f"/api/v1/orders/{order['id']}/lots").status_code == 404
    for reader in (buyer, mill, finish, api(tenant("operator"))):  # buyer, producing factories, operator
        assert reader.get(url).status_code == 200
        assert [x["id"] for x in reader.get(f"/api/v1/orders/{order['id']}/lots").get_json()["items"]] == [lot["id"]]
    portal = app.test_client()
    assert portal.post("/login", data={"email": loser.email, "password": "correct-horse-1"}).status_code == 302
    assert portal.get(f"/lots/{lot['id']}").status_code == 404
    assert portal.get(f"/lots/{lot['id']}/label").status_code == 404
    page = portal.get(f"/orders/{order['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # no lot card; (trace codes and steps are public on the ledger by design, tracking numbers and inspectors are not)
    assert f"/lots/{lot['id']}" not in html and "SF-SECRET-1" not in html and "Wang Fang" not in html
