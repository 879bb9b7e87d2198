"""Material lots and genealogy: a factory records material (its private details committed on
the ledger), consumes it into part lots without ever taking more than remains, feeds lots into
lots, and the public trace of a lot shows the tree with every entry proved."""
import base64
import hashlib
import json
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from ledger import disclosure
from ledger.verify import root_from_inclusion_proof
from tests.conftest import order_body
from tests.market.test_production import accepted, make_lot  # noqa: F401 - fixture
from tests.market.test_quotes import wait_job

STEEL = {"source": "factory_procured", "material": "Aluminium alloy", "grade": "6061-T6", "heat_number": "H-24-0917",
         "supplier": "Southwest Aluminium", "quantity": "125.5", "unit": "kg"}


def record(client, **over):
    answer = client.post("/api/v1/material-lots", json={**STEEL, **over})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def new_lot(mill, order, quantity):
    answer = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": quantity})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def entry(app, index):
    """The ledger entry's event as anyone may read it (its canonical JSON)."""
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger
    with app.app_context(), unit_of_work() as s:
        return json.loads(get_ledger().store.entry(s.connection(), index))["event"]


def test_a_material_lot_goes_on_the_ledger_with_its_private_details_committed(app, accepted):
    buyer, mill, finish, order = accepted
    m = record(mill)
    assert (m["quantity"], m["remaining"], m["unit"], m["heat_number"]) == ("125.5", "125.5", "kg", "H-24-0917")
    event = entry(app, m["ledger_index"])
    assert event["type"] == "material.received" and event["what"]["material"] == "Aluminium alloy"
    assert "H-24-0917" not in json.dumps(event) and "Southwest" not in json.dumps(event)
    from market.db import unit_of_work
    from market.production.material_models import MaterialLot
    with app.app_context(), unit_of_work() as s:
        row = s.scalar(select(MaterialLot).where(MaterialLot.public_id == __import__("uuid").UUID(m["id"])))
        payload = {"heatNumber": "H-24-0917", "supplier": "Southwest Aluminium", "quantity": "125.5", "uom": "kg"}
        assert disclosure.opens(event["data"]["commitment"], payload, row.salt)
        assert not disclosure.opens(event["data"]["commitment"], {**payload, "quantity": "125.6"}, row.salt)
    # the holder sees it; nobody else does
    assert [x["id"] for x in mill.get("/api/v1/material-lots").get_json()["items"]] == [m["id"]]
    assert finish.get(f"/api/v1/material-lots/{m['id']}").status_code == 404
    assert buyer.get("/api/v1/material-lots").get_json()["items"] == []


@pytest.mark.parametrize("field,value", [("quantity", "0"), ("quantity", "-3"), ("quantity", "1.0005"),
                                         ("quantity", "NaN"), ("quantity", "1e30"), ("unit", "furlong"),
                                         ("source", "stolen"), ("heat_number", "")])
def test_bad_material_lots_are_refused_on_the_field(accepted, field, value):
    _, mill, _, _ = accepted
    answer = mill.post("/api/v1/material-lots", json={**STEEL, field: value})
    assert answer.status_code == 422 and field in answer.get_json()["errors"], answer.get_json()
    assert mill.get("/api/v1/material-lots").get_json()["items"] == []


def test_buyer_supplied_material_belongs_to_one_order_the_factory_makes(app, accepted, tenant, api):
    buyer, mill, finish, order = accepted
    assert "order_id" in mill.post("/api/v1/material-lots", json={**STEEL, "source": "buyer_supplied"}).get_json()["errors"]
    stranger = buyer.post("/api/v1/orders", json=order_body()).get_json()  # not placed with the mill
    refused = mill.post("/api/v1/material-lots", json={**STEEL, "source": "buyer_supplied", "order_id": stranger["id"]})
    assert refused.status_code == 422 and "order_id" in refused.get_json()["errors"]
    supplied = record(mill, source="buyer_supplied", order_id=order["id"])
    assert entry(app, supplied["ledger_index"])["why"]["bizTransactionList"][0]["bizTransaction"] == order["id"]
    assert api(tenant("buyer")).post("/api/v1/material-lots", json=STEEL).status_code == 403


def test_consuming_takes_from_what_remains_and_never_more(app, accepted):
    buyer, mill, finish, order = accepted
    m = record(mill, quantity="100")
    lot = new_lot(mill, order, 40)
    url = f"/api/v1/lots/{lot['id']}/inputs"
    took = mill.post(url, json={"material_lot_id": m["id"], "quantity": "62.25"})
    assert took.status_code == 201, took.get_json()
    assert (took.get_json()["quantity"], took.get_json()["heat_number"]) == ("62.25", "H-24-0917")
    assert mill.get(f"/api/v1/material-lots/{m['id']}").get_json()["remaining"] == "37.75"
    over = mill.post(url, json={"material_lot_id": m["id"], "quantity": "37.751"})
    assert over.status_code == 422 and "37.75 kg" in over.get_json()["errors"]["quantity"][0]
    assert mill.get(f"/api/v1/material-lots/{m['id']}").get_json()["remaining"] == "37.75"
    for bad in ({"material_lot_id": m["id"]}, {"quantity": "1"}, {"material_lot_id": m["id"], "quantity": "0"},
                {"material_lot_id": m["id"], "quantity": "1", "input_lot": lot["trace_code"], "pieces": 1}):
        assert mill.post(url, json=bad).status_code == 422, bad
    # only a factory making the order consumes into its lots; only the holder's material
    assert buyer.post(url, json={"material_lot_id": m["id"], "quantity": "1"}).status_code == 403
    theirs = record(finish, quantity="5")
    assert mill.post(url, json={"material_lot_id": theirs["id"], "quantity": "1"}).status_code == 422
    event = entry(app, took.get_json()["ledger_index"])
    assert event["type"] == "lot.consumed" and event["what"]["inputs"] == [{"materialLot": m["id"]}]
    assert event["what"]["output"]["lot"] == lot["id"] and "62.25" not in json.dumps(event)
    assert [i["quantity"] for i in buyer.get(url).get_json()["items"]] == ["62.25"]  # the buyer reads its lot's inputs


def test_the_database_refuses_a_negative_remainder_even_past_the_service(app, accepted):
    _, mill, _, order = accepted
    m = record(mill, quantity="1")
    new_lot(mill, order, 10)
    from market.db import get_db
    with app.app_context():
        with get_db().engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(text("UPDATE material_lots SET remaining_milli = remaining_milli - 1001 WHERE public_id = :p"),
                         {"p": m["id"].replace("-", "") if get_db().engine.dialect.name == "sqlite" else m["id"]})
        with get_db().engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(text("UPDATE lots SET consumed_pieces = quantity + 1"))


def _second_order(buyer):
    order = buyer.post("/api/v1/orders", json=order_body(quantity=50)).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    quote = next(q for q in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"] if q["label"] == "cheapest")
    assert buyer.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    return order


def test_parallel_consumptions_of_one_material_lot_never_take_more_than_it_holds(app, accepted):
    """Two lots of two orders (no shared order lock) race for 70 of 100 kg: one gets it."""
    buyer, mill, _, order = accepted
    other = _second_order(buyer)
    m = record(mill, quantity="100")
    lots = [new_lot(mill, order, 10), new_lot(mill, other, 10)]
    start, answers = threading.Barrier(2), []

    def take(lot):
        client = app.test_client()
        start.wait(10)
        answers.append(client.post(f"/api/v1/lots/{lot['id']}/inputs", json={"material_lot_id": m["id"], "quantity": "70"},
                                   headers={"Authorization": f"Bearer {mill.token}"}).status_code)

    threads = [threading.Thread(target=take, args=(lot,)) for lot in lots]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == [201, 422], answers
    assert mill.get(f"/api/v1/material-lots/{m['id']}").get_json()["remaining"] == "30"


def test_a_lot_consumes_pieces_of_another_lot_but_never_itself_nor_its_own_container(accepted, api, tenant):
    buyer, mill, finish, order = accepted
    component, assembly = new_lot(mill, order, 30), new_lot(mill, order, 20)
    into = f"/api/v1/lots/{assembly['id']}/inputs"
    assert mill.post(into, json={"input_lot": component["trace_code"], "pieces": 25}).status_code == 201
    over = mill.post(into, json={"input_lot": component["id"], "pieces": 6})
    assert over.status_code == 422 and "5 pieces" in over.get_json()["errors"]["pieces"][0]
    back = mill.post(f"/api/v1/lots/{component['id']}/inputs", json={"input_lot": assembly["trace_code"], "pieces": 1})
    assert back.status_code == 422 and "input_lot" in back.get_json()["errors"]
    itself = mill.post(into, json={"input_lot": assembly["trace_code"], "pieces": 1})
    assert itself.status_code == 422
    assert mill.post(into, json={"input_lot": "0000-0000-0000", "pieces": 1}).status_code == 422
    # another tenant does not even find the lot
    stranger = api(tenant("factory")).post(into, json={"input_lot": component["trace_code"], "pieces": 1})
    assert stranger.status_code == 404


def test_the_public_trace_shows_the_genealogy_and_every_entry_of_it_is_proved(client, accepted):
    buyer, mill, finish, order = accepted
    bar = record(mill, quantity="80")
    component = new_lot(mill, order, 30)
    assert mill.post(f"/api/v1/lots/{component['id']}/inputs",
                     json={"material_lot_id": bar["id"], "quantity": "20"}).status_code == 201
    lot, url = make_lot(buyer, mill, finish, order, quantity=50)
    assert mill.post(f"{url}/inputs", json={"material_lot_id": bar["id"], "quantity": "30.5"}).status_code == 201
    assert mill.post(f"{url}/inputs", json={"input_lot": component["trace_code"], "pieces": 30}).status_code == 201
    trace = client.get(f"/api/v1/trace/{lot['trace_code']}").get_json()
    kinds = [(n["kind"], [c["kind"] for c in n["inputs"]]) for n in trace["genealogy"]]
    assert kinds == [("material", []), ("lot", ["material"])]
    assert trace["genealogy"][1]["trace_code"] == component["trace_code"]
    shown = {i for n in trace["genealogy"] for i in n["entries"] + n["via"]} | {
        i for n in trace["genealogy"][1]["inputs"] for i in n["entries"] + n["via"]}
    served = {e["index"]: e for e in trace["entries"]}
    assert shown | set(trace["own_entries"]) == set(served)
    for index, e in served.items():  # what a browser does: leaf hash, path, root of the signed checkpoint
        leaf = hashlib.sha256(b"\x00" + base64.b64decode(e["entry"])).digest()
        root = root_from_inclusion_proof(leaf, index, trace["size"], [base64.b64decode(h) for h in e["inclusion_path"]])
        assert base64.b64encode(root).decode() == trace["checkpoint"].split("\n")[2]
    page = client.get(f"/trace/{lot['trace_code']}").get_data(as_text=True)
    assert "Aluminium alloy" in page and component["trace_code"] in page and "H-24-0917" not in page
