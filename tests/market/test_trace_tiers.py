"""The public trace page of a part lot shows the lots of every tier it contains, but a
sub-tier's name only where that tier consented (as the tiers view does): otherwise it is
"Tier n supplier", its entries still shown and proved."""
from tests.market.subcontract_world import tiers  # noqa: F401 - fixture


def _make_and_ship(client, order_id: str, quantity: int, inputs=()) -> dict:
    """A one-lot run of every operation of `order_id` by `client`'s factory, shipped."""
    lot = client.post(f"/api/v1/orders/{order_id}/lots", json={"quantity": quantity})
    assert lot.status_code == 201, lot.get_json()
    lot = lot.get_json()
    url = f"/api/v1/lots/{lot['id']}"
    for trace_code in inputs:
        taken = client.post(f"{url}/inputs", json={"input_lot": trace_code, "pieces": quantity})
        assert taken.status_code == 201, taken.get_json()
    order = client.get(f"/api/v1/orders/{order_id}").get_json()
    for op in order["operations"]:
        assert client.post(f"{url}/operations/{op['seq']}/start", json={}).status_code == 200
        assert client.post(f"{url}/operations/{op['seq']}/finish", json={"good": quantity}).status_code == 200
    assert client.post(f"{url}/qc", json={"result": "pass", "inspector": "QA"}).status_code == 201
    shipped = client.post(f"{url}/shipment", json={"carrier": "SF"})
    assert shipped.status_code == 200, shipped.get_json()
    return lot


def test_the_trace_names_a_sub_tier_only_with_its_consent(tiers, client):
    tiers.app.config["PAYMENT_BEFORE_PRODUCTION"] = False  # money is not what this test is about
    root = tiers.order()
    sub = tiers.subcontract(tiers.finish["client"], root, [2]).get_json()
    assert tiers.book_sub(sub["id"], tiers.coat, 30000).status_code == 200
    subsub = tiers.subcontract(tiers.coat["client"], sub["id"], [1]).get_json()
    assert tiers.book_sub(subsub["id"], tiers.deep, 12000, buyer=tiers.coat["client"]).status_code == 200
    deep_lot = _make_and_ship(tiers.deep["client"], subsub["id"], 10)
    coat_lot = _make_and_ship(tiers.coat["client"], sub["id"], 10, inputs=[deep_lot["trace_code"]])
    mill = tiers.mill["client"]
    lot = mill.post(f"/api/v1/orders/{root}/lots", json={"quantity": 10}).get_json()
    taken = tiers.finish["client"].post(f"/api/v1/lots/{lot['id']}/inputs",
                                        json={"input_lot": coat_lot["trace_code"], "pieces": 10})
    assert taken.status_code == 201, taken.get_json()

    trace = client.get(f"/api/v1/trace/{lot['trace_code']}").get_json()
    (coat_node,) = trace["genealogy"]
    (deep_node,) = coat_node["inputs"]
    assert coat_node["entries"] and deep_node["entries"]  # still there, each proved
    names = set(trace["names"].values())
    assert "Coat Co" not in names and "Deep Coat" not in names and "Coat Co-0" not in names
    assert {"Tier 1 supplier", "Tier 2 supplier"} <= names
    page = client.get(f"/trace/{lot['trace_code']}").get_data(as_text=True)
    assert "Coat Co" not in page and "Deep Coat" not in page
    assert "Tier 1 supplier" in page and "Tier 2 supplier" in page
    zh = client.get(f"/trace/{lot['trace_code']}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "一级供应商" in zh and "二级供应商" in zh and "Deep Coat" not in zh

    # Coat Co consents; Deep Coat does not: one name shows, the other tier stays anonymous
    consent = tiers.coat["client"].put(f"/api/v1/orders/{sub['id']}/name-consent", json={"name_disclosed": True})
    assert consent.status_code == 200
    page = client.get(f"/trace/{lot['trace_code']}").get_data(as_text=True)
    assert "Coat Co" in page and "Deep Coat" not in page and "Tier 2 supplier" in page
    # the tier-0 factories are named as always
    assert "Finish Lab" in page or "Mill Works" in page
