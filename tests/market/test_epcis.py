"""EPCIS 2.0 export: a lot's ledger events as a GS1 EPCIS 2.0 JSON-LD document that validates
against GS1's schema (vendored under tests/market/vendor/epcis, never fetched), for the lot's
buyer and factories only, with private details left as the ledger's commitments."""
import json
import re
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select

from tests.market.test_materials import STEEL, record
from tests.market.test_production import accepted, make_lot  # noqa: F401 - fixture

SCHEMA = json.loads((Path(__file__).parent / "vendor" / "epcis" / "EPCISDocument.schema.json").read_text())
FORMATS = jsonschema.Draft7Validator.FORMAT_CHECKER


@FORMATS.checks("uri")
def _absolute_uri(value) -> bool:
    """RFC 3986 absolute URI (scheme ":" rest, no spaces): the test lock has no rfc3987, and
    without a check every identifier and extension-field name would pass unchecked."""
    return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+", value) is not None


VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=FORMATS)


def assert_valid(doc: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    prefixes = {k for c in doc["@context"] if isinstance(c, dict) for k in c}
    for event in doc["epcisBody"]["eventList"]:  # every extension field in a declared namespace
        assert {k.split(":")[0] for k in event if ":" in k} <= prefixes, event


def test_the_schema_checks_what_it_should():
    """Guard against a schema that passes anything: a wrong bizStep and a non-URI are refused."""
    good = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": [
                {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
                 "action": "OBSERVE", "epcList": ["https://example.com/x"], "bizStep": "shipping"}]}}
    assert_valid(good)
    for bad in ({"bizStep": "teleporting"}, {"readPoint": {"id": "not a uri"}}, {"action": "MAYBE"},
                {"epcList": ["no scheme"]}):
        event = {**good["epcisBody"]["eventList"][0], **bad}
        assert list(VALIDATOR.iter_errors({**good, "epcisBody": {"eventList": [event]}})), bad


@pytest.fixture
def full_lot(accepted):  # noqa: F811 - the fixture imported above
    """A lot through material receipt and consumption, three operations, QC with measurements
    (one in a unit UN/CEFACT codes, one not), shipment and delivery."""
    buyer, mill, finish, order = accepted
    bar = record(mill, quantity="80")
    lot, url = make_lot(buyer, mill, finish, order, quantity=50)
    assert finish.post(f"{url}/qc", json={"result": "pass", "inspector": "Li Lei", "measurements": [
        {"name": "flatness", "value": "0.02", "unit": "mm"}, {"name": "hardness", "value": "58", "unit": "HRC"}]}
    ).status_code == 201
    assert mill.post(f"{url}/inputs", json={"material_lot_id": bar["id"], "quantity": "30.5"}).status_code == 201
    assert finish.post(f"{url}/shipment", json={"carrier": "SF Express", "tracking_ref": "SF123"}).status_code == 200
    assert buyer.post(f"{url}/delivery").status_code == 200
    return buyer, mill, finish, order, lot


def test_a_lots_document_validates_and_follows_its_ledger_in_order(app, full_lot):
    buyer, mill, finish, order, lot = full_lot
    answer = buyer.get(f"/api/v1/lots/{lot['id']}/epcis")
    assert answer.status_code == 200, answer.get_json()
    doc = answer.get_json()
    assert_valid(doc)
    assert (doc["type"], doc["schemaVersion"]) == ("EPCISDocument", "2.0")
    base = app.config.get("PUBLIC_BASE_URL") or app.config["BASE_URL"]
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    assert doc["@context"][1] == {"mkt": f"{base.rstrip('/')}/ns/epcis#"}
    events = doc["epcisBody"]["eventList"]
    shape = [(e["mkt:ledgerType"], e["type"], e.get("action"), e.get("bizStep")) for e in events]
    assert shape == [
        ("material.received", "ObjectEvent", "OBSERVE", "receiving"),
        ("lot.commissioned", "ObjectEvent", "ADD", "commissioning"),
        *[(t, "ObjectEvent", "OBSERVE", "assembling") for _ in range(3)
          for t in ("operation.started", "operation.completed")],
        ("qc.recorded", "ObjectEvent", "OBSERVE", "inspecting"),
        ("qc.recorded", "ObjectEvent", "OBSERVE", "inspecting"),
        ("lot.consumed", "TransformationEvent", None, "commissioning"),
        ("shipment.shipped", "ObjectEvent", "OBSERVE", "shipping"),
        ("delivery.confirmed", "ObjectEvent", "OBSERVE", "receiving")]
    indices = [e["mkt:ledgerIndex"] for e in events]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    lot_uri = f"{base.rstrip('/')}/trace/{lot['trace_code'].replace('-', '')}"  # the ledger's canonical form
    commissioned, transform, delivered = events[1], events[-3], events[-1]
    assert commissioned["quantityList"] == [{"epcClass": lot_uri, "quantity": 50}]
    assert commissioned["bizLocation"]["id"].startswith(f"{base.rstrip('/')}/factories/")
    assert events[2]["readPoint"]["id"].startswith(f"{base.rstrip('/')}/machines/")
    assert transform["outputQuantityList"] == [{"epcClass": lot_uri}]
    assert transform["inputQuantityList"][0]["epcClass"].endswith("/material-lots/" + events[0]["quantityList"][0]
                                                                   ["epcClass"].rsplit("/", 1)[1])
    assert {t["type"] for t in delivered["bizTransactionList"]} == {"po", "prodorder", "recadv"}
    assert delivered["disposition"] == "completeness_verified"
    first_qc, second_qc = events[8], events[9]
    assert first_qc["sensorElementList"][0]["sensorReport"] == [
        {"type": "Length", "value": 12.004, "uom": "MMT", "mkt:name": "bore", "mkt:lower": "11.990",
         "mkt:upper": "12.010"}]
    assert [r["uom"] for r in second_qc["sensorElementList"][0]["sensorReport"]] == ["MMT"]
    assert second_qc["mkt:measurements"] == [{"name": "hardness", "value": "58", "unit": "HRC"}]  # no code invented
    for e in events:  # each event names the entry that proves it
        assert e["eventID"] == f"{base.rstrip('/')}/api/v1/ledger/entries/{e['mkt:ledgerIndex']}/proof"
        proof = buyer.get(f"/api/v1/ledger/entries/{e['mkt:ledgerIndex']}/proof")
        assert proof.status_code in (200, 409)  # 409: no checkpoint covers it yet


def test_private_details_stay_commitments(full_lot):
    buyer, mill, finish, order, lot = full_lot
    for client in (buyer, mill, finish):
        doc = client.get(f"/api/v1/lots/{lot['id']}/epcis").get_json()
        text = json.dumps(doc, ensure_ascii=False)
        for secret in (STEEL["heat_number"], STEEL["supplier"], "30.5", "Wang Fang", "Li Lei", "SF123"):
            assert secret not in text, secret
        received, consumed = doc["epcisBody"]["eventList"][0], doc["epcisBody"]["eventList"][-3]
        assert received["mkt:commitment"] and consumed["mkt:commitment"]


def test_an_orders_document_holds_all_its_lots_and_strangers_get_404(app, full_lot, api, tenant):
    buyer, mill, finish, order, lot = full_lot
    other = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 5}).get_json()
    doc = buyer.get(f"/api/v1/orders/{order['id']}/epcis").get_json()
    assert_valid(doc)
    codes = {e["quantityList"][0]["epcClass"].rsplit("/", 1)[1] for e in doc["epcisBody"]["eventList"]
             if e["mkt:ledgerType"] == "lot.commissioned"}
    assert codes == {lot["trace_code"].replace("-", ""), other["trace_code"].replace("-", "")}
    stranger = api(tenant("buyer"))
    assert stranger.get(f"/api/v1/lots/{lot['id']}/epcis").status_code == 404
    assert stranger.get(f"/api/v1/orders/{order['id']}/epcis").status_code == 404
    assert app.test_client().get(f"/api/v1/lots/{lot['id']}/epcis").status_code == 401


def test_every_lot_of_the_demo_world_exports_a_valid_document(app):
    from market.db import unit_of_work
    from market.demo import seed
    from market.production.models import Lot
    from market.trace import epcis

    with app.app_context():
        seed.seed_world(history_days=1)
        with unit_of_work() as s:
            lots = list(s.scalars(select(Lot).order_by(Lot.id)))
            assert lots
            kinds = set()
            for lot in lots:
                doc = epcis.document(s, [lot])
                assert_valid(doc)
                kinds |= {e["type"] for e in doc["epcisBody"]["eventList"]}
    print(f"{len(lots)} demo lots, event types {sorted(kinds)}")
