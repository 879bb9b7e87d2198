"""Walk every API route and portal page as each organization kind with another tenant's
ids: nothing is read or changed, and the answer is 404 (not 403: existence is private)."""
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import FACTORY, order_body
from tests.market.test_quotes import wait_job

PDF = b"%PDF-1.4\n%%EOF\n"
KINDS = ("factory", "buyer", "lender", "insurer")

# (rule, method) -> request body; every /api/v1 rule with an id in its path must be listed
API_CASES = {
    ("/api/v1/factories/<uuid:factory_id>", "GET"): None,
    ("/api/v1/factories/<uuid:factory_id>", "PATCH"): {"name": "stolen"},
    ("/api/v1/factories/<uuid:factory_id>/schedule", "GET"): None,
    ("/api/v1/machines/<uuid:machine_id>", "GET"): None,
    ("/api/v1/machines/<uuid:machine_id>", "PATCH"): {"name": "stolen"},
    ("/api/v1/capacity-windows/<uuid:window_id>", "GET"): None,
    ("/api/v1/capacity-windows/<uuid:window_id>", "DELETE"): None,
    ("/api/v1/orders/<uuid:order_id>", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>", "PATCH"): {"quantity": 5},
    ("/api/v1/orders/<uuid:order_id>/transitions", "POST"): {"to": "cancelled"},
    ("/api/v1/orders/<uuid:order_id>/sub-orders", "POST"): {"operation_seqs": [1], "request_quotes": False},
    ("/api/v1/orders/<uuid:order_id>/tiers", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/name-consent", "PUT"): {"name_disclosed": True},
    ("/api/v1/orders/<uuid:order_id>/cancel-agreement", "POST"): {"agreed": True},
    ("/api/v1/orders/<uuid:order_id>/quote-requests", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/quote-requests", "POST"): "own-factory",
    ("/api/v1/orders/<uuid:order_id>/messages", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/messages", "POST"): {"body": "hello"},
    ("/api/v1/orders/<uuid:order_id>/attachments", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/attachments", "POST"): "file",
    ("/api/v1/attachments/<uuid:attachment_id>", "GET"): None,
    ("/api/v1/tokens/<uuid:token_id>", "DELETE"): None,
    ("/api/v1/orders/<uuid:order_id>/quotes", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/quotes", "POST"): None,
    ("/api/v1/orders/<uuid:order_id>/requote", "POST"): None,
    ("/api/v1/jobs/<uuid:job_id>", "GET"): None,
    ("/api/v1/quotes/<uuid:quote_id>", "GET"): None,
    ("/api/v1/quotes/<uuid:quote_id>/accept", "POST"): None,
    ("/api/v1/orders/<uuid:order_id>/lots", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/lots", "POST"): {},
    ("/api/v1/lots/<uuid:lot_id>", "GET"): None,
    ("/api/v1/lots/<uuid:lot_id>/epcis", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/epcis", "GET"): None,
    ("/api/v1/lots/<uuid:lot_id>/operations/<int:seq>/start", "POST"): {},
    ("/api/v1/lots/<uuid:lot_id>/operations/<int:seq>/finish", "POST"): {"good": 1},
    ("/api/v1/lots/<uuid:lot_id>/qc", "POST"): {"result": "fail", "inspector": "x"},
    ("/api/v1/lots/<uuid:lot_id>/shipment", "POST"): {"carrier": "x"},
    ("/api/v1/lots/<uuid:lot_id>/delivery", "POST"): None,
    ("/api/v1/material-lots/<uuid:material_lot_id>", "GET"): None,
    ("/api/v1/material-lots/<uuid:material_lot_id>/documents", "POST"): "document",
    ("/api/v1/lots/<uuid:lot_id>/inputs", "GET"): None,
    ("/api/v1/lots/<uuid:lot_id>/inputs", "POST"): {"input_lot": "0000-0000-0000", "pieces": 1},
    ("/api/v1/lots/<uuid:lot_id>/documents", "GET"): None,
    ("/api/v1/lots/<uuid:lot_id>/documents", "POST"): "document",
    ("/api/v1/documents/<uuid:document_id>/file", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/required-documents", "PUT"): {"documents": ["coc"]},
    ("/api/v1/machines/<uuid:machine_id>/devices", "POST"): {"name": "stolen"},
    ("/api/v1/devices/<uuid:device_id>", "DELETE"): None,
    ("/api/v1/machines/<uuid:machine_id>/oee", "GET"): None,
    ("/api/v1/factories/<uuid:factory_id>/oee", "GET"): None,
    ("/api/v1/machines/<uuid:machine_id>/states", "GET"): None,
    ("/api/v1/factories/<uuid:factory_id>/shift-calendar", "GET"): None,
    ("/api/v1/factories/<uuid:factory_id>/shift-calendar", "PUT"): {"weekly": {}},
    ("/api/v1/factories/<uuid:factory_id>/calendar-closures", "GET"): None,
    ("/api/v1/factories/<uuid:factory_id>/calendar-closures", "POST"): {"first_day": "2031-02-03"},
    ("/api/v1/factories/<uuid:factory_id>/calendar-closures/<uuid:closure_id>", "DELETE"): None,
    ("/api/v1/machines/<uuid:machine_id>/telemetry-profile", "GET"): None,
    ("/api/v1/machines/<uuid:machine_id>/telemetry-profile", "PUT"): {"ideal_cycle_s": 10},
    ("/api/v1/factories/<uuid:factory_id>/daily-summaries", "GET"): None,
    ("/api/v1/credit/consents/<uuid:consent_id>/revoke", "POST"): None,
    ("/api/v1/credit/reports/<uuid:report_id>", "GET"): None,
    ("/api/v1/credit/reports/<uuid:report_id>/evidence", "GET"): None,
    ("/api/v1/credit/reports/<uuid:report_id>/pdf", "GET"): None,
    ("/api/v1/credit-reports/<uuid:factory_id>", "GET"): None,
    ("/api/v1/financing-applications/<uuid:application_id>", "GET"): None,
    ("/api/v1/financing-applications/<uuid:application_id>/decision", "POST"): {"approve": False, "reasons": ["x"]},
    ("/api/v1/financing-applications/<uuid:application_id>/disbursement", "POST"): None,
    ("/api/v1/financing-applications/<uuid:application_id>/repayments", "POST"): {"seq": 1},
    ("/api/v1/orders/<uuid:order_id>/payment", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/payment/sync", "POST"): None,
    ("/api/v1/orders/<uuid:order_id>/payment/confirm", "POST"): {"bank_reference": "stolen"},
    ("/api/v1/orders/<uuid:order_id>/movements/confirm", "POST"): {"movement_id": "00000000-0000-4000-8000-000000000000"},
    ("/api/v1/orders/<uuid:order_id>/payouts/<uuid:factory_id>/retry", "POST"): None,
    ("/api/v1/orders/<uuid:order_id>/payouts/<uuid:factory_id>/statement.pdf", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/invoice.pdf", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/disputes", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/disputes", "POST"): {"reason": "stolen"},
    ("/api/v1/orders/<uuid:order_id>/disputes/resolve", "POST"): {"outcome": "full_refund"},
    ("/api/v1/orders/<uuid:order_id>/assignments", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/assignments/<uuid:assignment_id>/confirm", "POST"): None,
    ("/api/v1/leases/<uuid:lease_id>", "GET"): None,
    ("/api/v1/leases/<uuid:lease_id>/contract.pdf", "GET"): None,
    ("/api/v1/leases/<uuid:lease_id>/sign", "POST"): {"accept": True},
    ("/api/v1/leases/<uuid:lease_id>/disburse", "POST"): None,
    ("/api/v1/leases/<uuid:lease_id>/invoices", "GET"): None,
    ("/api/v1/leases/<uuid:lease_id>/monitor", "GET"): None,
    ("/api/v1/lease-invoices/<uuid:invoice_id>/payment", "POST"): None,
    ("/api/v1/lease-invoices/<uuid:invoice_id>/evidence", "GET"): None,
    ("/api/v1/insurance-policies/<uuid:policy_id>", "GET"): None,
    ("/api/v1/insurance-policies/<uuid:policy_id>/accept", "POST"): {"accept": True},
    ("/api/v1/insurance-policies/<uuid:policy_id>/premiums", "GET"): None,
    ("/api/v1/insurance-policies/<uuid:policy_id>/claim-candidates", "GET"): None,
    ("/api/v1/insurance-policies/<uuid:policy_id>/claims", "GET"): None,
    ("/api/v1/insurance-policies/<uuid:policy_id>/claims", "POST"): {"start_at": "2030-01-01T00:00:00Z",
                                                                     "end_at": "2030-01-01T01:00:00Z"},
    ("/api/v1/insurance-premiums/<uuid:premium_id>/payment", "POST"): None,
    ("/api/v1/insurance-claims/<uuid:claim_id>", "GET"): None,
    ("/api/v1/insurance-claims/<uuid:claim_id>/decision", "POST"): {"approve": True},
    ("/api/v1/insurance-claims/<uuid:claim_id>/evidence", "GET"): None,
    ("/api/v1/lease-invoices/<uuid:invoice_id>/rent-payment", "POST"): None,
    ("/api/v1/leases/<uuid:lease_id>/transfers", "GET"): None,
    ("/api/v1/contract-transfers/<uuid:transfer_id>/confirm", "POST"): {"bank_reference": "B-1"},
    ("/api/v1/financing-applications/<uuid:application_id>/evidence", "GET"): None,
    ("/api/v1/notifications/<uuid:notification_id>/read", "POST"): None,
    ("/api/v1/webhooks/<uuid:endpoint_id>", "GET"): None,
    ("/api/v1/webhooks/<uuid:endpoint_id>", "PATCH"): {"description": "stolen"},
    ("/api/v1/webhooks/<uuid:endpoint_id>", "DELETE"): None,
    ("/api/v1/webhooks/<uuid:endpoint_id>/rotate-secret", "POST"): None,
    ("/api/v1/webhooks/<uuid:endpoint_id>/test", "POST"): None,
    ("/api/v1/webhooks/<uuid:endpoint_id>/deliveries", "GET"): None,
    ("/api/v1/webhook-deliveries/<uuid:delivery_id>/redeliver", "POST"): None,
    ("/api/v1/orders/<uuid:order_id>/bids", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/bids", "POST"): {"price_minor": 100, "promised_at": "2031-01-01T00:00:00Z",
                                                     "expires_at": "2030-12-01T00:00:00Z"},
    ("/api/v1/orders/<uuid:order_id>/offers", "GET"): None,
    ("/api/v1/bids/<uuid:bid_id>", "GET"): None,
    ("/api/v1/bids/<uuid:bid_id>/revisions", "POST"): {"price_minor": 1, "promised_at": "2031-01-01T00:00:00Z",
                                                       "expires_at": "2030-12-01T00:00:00Z"},
    ("/api/v1/bids/<uuid:bid_id>/withdraw", "POST"): {},
    ("/api/v1/bids/<uuid:bid_id>/counter", "POST"): {"price_minor": 1},
    ("/api/v1/bids/<uuid:bid_id>/counter/accept", "POST"): None,
    ("/api/v1/bids/<uuid:bid_id>/counter/reject", "POST"): {},
    ("/api/v1/bids/<uuid:bid_id>/decline", "POST"): {},
    ("/api/v1/bids/<uuid:bid_id>/accept", "POST"): None,
    ("/api/v1/bids/<uuid:bid_id>/attachments", "POST"): "file",
    ("/api/v1/bid-attachments/<uuid:bid_attachment_id>", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/rating", "GET"): None,
    ("/api/v1/orders/<uuid:order_id>/rating", "POST"): {"stars": 5},
    ("/api/v1/factories/<uuid:factory_id>/ratings/<uuid:rating_id>/reply", "POST"): {"body": "stolen"},
}

# /api/v1 rules with an id that answer anyone signed in, with the reason they are public
API_PUBLIC = {
    ("/api/v1/factories/<uuid:factory_id>/ratings", "GET"): "a factory's ratings, shown to every buyer (anonymous "
                                                             "unless the buyer chose to show its name)",
}

# portal endpoints with ids; public ones are listed with the reason they are public
PORTAL_PUBLIC = {
    "catalog.public_factory": "a factory's public profile (name, region, certifications, processes)",
    "orders.board_order": "open orders are published to factories on the order board",
}


def _world(tenant, api):
    world = {kind: tenant(kind) for kind in KINDS}
    factory_api, buyer_api = api(world["factory"]), api(world["buyer"])
    factory = factory_api.post("/api/v1/factories", json=FACTORY).get_json()
    machine = factory_api.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "M",
                                                          "processes": ["cnc_milling_3ax"]}).get_json()
    window = factory_api.post("/api/v1/capacity-windows/recurring", json={
        "machine_id": machine["id"], "first_date": "2031-01-06", "weeks": 1, "weekdays": [0],
        "start_time": "08:00", "end_time": "16:00", "pricing_mode": "per_hour", "price": 100}).get_json()[0]
    soon = (datetime.now(timezone.utc) + timedelta(days=10)).date()
    factory_api.post("/api/v1/capacity-windows", json={"machine_id": machine["id"], "start": f"{soon}T08:00:00",
                     "end": f"{soon}T18:00:00", "pricing_mode": "per_hour", "price": 100})
    order = buyer_api.post("/api/v1/orders", json=order_body(
        operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 10, "run_minutes_per_unit": 1}])).get_json()
    # the factory bids from the board (sealed; it loses once the solver's quote is accepted)
    bid = factory_api.post(f"/api/v1/orders/{order['id']}/bids", json={
        "price_minor": 5000, "promised_at": (datetime.now(timezone.utc) + timedelta(days=20)).isoformat(),
        "expires_at": (datetime.now(timezone.utc) + timedelta(days=5)).isoformat()}).get_json()
    bid_attachment = factory_api.post(f"/api/v1/bids/{bid['id']}/attachments", data={"file": (io.BytesIO(PDF), "b.pdf")},
                                      content_type="multipart/form-data").get_json()
    job = buyer_api.post(f"/api/v1/orders/{order['id']}/quotes").get_json()
    wait_job(buyer_api, job["id"])
    quote = buyer_api.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"][0]
    assert buyer_api.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    lot = factory_api.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 10}).get_json()
    attachment = buyer_api.post(f"/api/v1/orders/{order['id']}/attachments", data={"file": (io.BytesIO(PDF), "d.pdf")},
                                content_type="multipart/form-data").get_json()
    buyer_api.post(f"/api/v1/orders/{order['id']}/messages", json={"body": "private note"})
    token_id = buyer_api.get("/api/v1/tokens").get_json()["items"][0]["id"]
    lender_api = api(world["lender"])
    consent = factory_api.post("/api/v1/credit/consents", json={
        "factory_id": factory["id"], "lender_id": str(world["lender"].actor.org_public_id), "purpose": "monitoring"}).get_json()
    report = lender_api.post("/api/v1/credit/reports", json={"factory_id": factory["id"]}).get_json()
    # the factory lets an insurer read its machine data; the insurer offers a policy on the machine
    factory_api.post("/api/v1/credit/consents", json={
        "factory_id": factory["id"], "lender_id": str(world["insurer"].actor.org_public_id), "purpose": "insurance"})
    policy = api(world["insurer"]).post("/api/v1/insurance-policies", json={
        "factory_id": factory["id"], "machine_id": machine["id"], "coverage": "breakdown", "term_months": 12,
        "start_day": (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat(),
        "sum_insured_minor": 1_000_000, "rate_minor_per_hour": 10_000}).get_json()
    lease = lender_api.post("/api/v1/leases", json={
        "factory_id": factory["id"], "machine_id": machine["id"], "kind": "leaseback", "schedule": "fixed",
        "term_months": 12, "price_minor": 1_000_000, "fixed_minor": 90_000}).get_json()
    application = factory_api.post("/api/v1/financing-applications", json={
        "factory_id": factory["id"], "lender_id": str(world["lender"].actor.org_public_id), "kind": "equipment",
        "amount_minor": 100000, "term_months": 6}).get_json()
    device = factory_api.post(f"/api/v1/machines/{machine['id']}/devices", json={"name": "gw"}).get_json()
    closure = factory_api.post(f"/api/v1/factories/{factory['id']}/calendar-closures",
                               json={"first_day": "2031-01-06", "reason": "stocktaking"}).get_json()
    material = factory_api.post("/api/v1/material-lots", json={
        "source": "factory_procured", "material": "steel", "heat_number": "H1", "quantity": "10", "unit": "kg"}).get_json()
    document = factory_api.post(f"/api/v1/lots/{lot['id']}/documents", data={"kind": "coc", "file": (io.BytesIO(PDF), "c.pdf")},
                                content_type="multipart/form-data").get_json()
    # the factory was booked and got the buyer's message: its notifications are its own user's
    notification_id = factory_api.get("/api/v1/notifications").get_json()["items"][0]["id"]
    endpoint = factory_api.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook",
                                                          "kinds": ["order.booked"]}).get_json()
    assert factory_api.post(f"/api/v1/webhooks/{endpoint['id']}/test").status_code < 300
    delivery_id = factory_api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").get_json()["items"][0]["id"]
    ids = {"device_id": device["id"], "factory_id": factory["id"], "machine_id": machine["id"], "window_id": window["id"],
           "order_id": order["id"], "attachment_id": attachment["id"], "token_id": token_id,
           "job_id": job["id"], "quote_id": quote["id"], "lot_id": lot["id"],
           "consent_id": consent["id"], "report_id": report["id"], "application_id": application["id"],
           "notification_id": notification_id, "endpoint_id": endpoint["id"], "delivery_id": delivery_id,
           "bid_id": bid["id"], "bid_attachment_id": bid_attachment["id"],
           "material_lot_id": material["id"], "document_id": document["id"], "closure_id": closure["id"],
           # no rating here (the order is not delivered): a reply is refused on the factory, before the rating
           "rating_id": "00000000-0000-4000-8000-000000000000",
           # the order's net payout here is all commission (nothing to finance): the order is refused
           # first; real assignments of another tenant: tests/market/test_receivables.py
           "assignment_id": "00000000-0000-4000-8000-000000000000",
           "lease_id": lease["id"],
           # invoices come from closed periods of committed machine days (tests/market/test_leasing.py
           # walks real ones); here the lease is refused first
           "invoice_id": "00000000-0000-4000-8000-000000000000",
           "policy_id": policy["id"],
           # premiums and claims come from started periods and committed down days
           # (tests/market/test_insurance.py walks real ones); here the policy is refused first
           "premium_id": "00000000-0000-4000-8000-000000000000",
           "claim_id": "00000000-0000-4000-8000-000000000000",
           # the operator confirms contract transfers; to anyone else one is not found
           # (real ones: tests/market/test_lease_money.py)
           "transfer_id": "00000000-0000-4000-8000-000000000000"}
    return world, ids


@pytest.fixture
def two_worlds(app, tenant, api):
    # webhook endpoints on 127.0.0.1, sent by the sweep only (no receiver listens)
    app.config.update(WEBHOOK_REQUIRE_HTTPS=False, WEBHOOK_ALLOW_PRIVATE_NETWORKS=True, WEBHOOK_DISPATCH="sweep")
    return _world(tenant, api), _world(tenant, api)


def _fill(rule: str, ids: dict) -> str:
    rule = re.sub(r"<int:\w+>", "1", rule)
    rule = re.sub(r"<any\((\w+)[^>]*>", lambda m: m.group(1), rule)
    rule = rule.replace("<lang>", "en")
    return re.sub(r"<uuid:(\w+)>", lambda m: ids[m.group(1)], rule)


def test_every_api_route_with_an_id_is_covered(app):
    rules = {(r.rule, m) for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1") and "<uuid:" in r.rule
             for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == set(API_CASES) | set(API_PUBLIC), rules ^ (set(API_CASES) | set(API_PUBLIC))


@pytest.mark.parametrize("kind", KINDS)
def test_no_api_route_reaches_another_tenants_data(two_worlds, api, kind):
    (mine, my_ids), (_theirs, their_ids) = two_worlds
    me = api(mine[kind])
    for (rule, method), body in API_CASES.items():
        url = _fill(rule, their_ids)
        if body in ("file", "document"):
            data = {"file": (io.BytesIO(PDF), "x.pdf"), **({"kind": "coc"} if body == "document" else {})}
            response = me.post(url, data=data, content_type="multipart/form-data")
        else:
            if body == "own-factory":
                body = {"factory_id": my_ids["factory_id"]}
            response = getattr(me, method.lower())(url, json=body) if body else getattr(me, method.lower())(url)
        assert response.status_code == 404, (kind, method, rule, response.status_code, response.get_json())


@pytest.mark.parametrize("kind", KINDS)
def test_lists_never_show_another_tenants_records(two_worlds, api, kind):
    (mine, _), (_theirs, their_ids) = two_worlds
    me = api(mine[kind])
    for url in ("/api/v1/factories", "/api/v1/machines", "/api/v1/capacity-windows", "/api/v1/orders", "/api/v1/tokens",
                "/api/v1/bids", "/api/v1/insurance-policies"):
        text = me.get(url).get_data(as_text=True)
        assert not any(value in text for value in their_ids.values()), (kind, url)


def _login(client, tenant):
    response = client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"})
    assert response.status_code == 302


@pytest.mark.parametrize("kind", KINDS)
def test_no_portal_page_reaches_another_tenants_data(app, two_worlds, kind):
    (mine, _), (_theirs, their_ids) = two_worlds
    client = app.test_client()
    _login(client, mine[kind])
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api") or "<uuid:" not in rule.rule or rule.endpoint in PORTAL_PUBLIC:
            continue
        url = _fill(rule.rule, their_ids)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, data={"to": "cancelled", "body": "x", "name": "x"})
            assert response.status_code == 404, (kind, method, rule.rule, response.status_code)
            checked += 1
    assert checked >= 15


def test_private_order_details_stay_private_even_on_the_public_board(app, two_worlds, api):
    (mine, _), (theirs, _) = two_worlds
    open_order = api(theirs["buyer"]).post("/api/v1/orders", json=order_body(
        operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 10, "run_minutes_per_unit": 1}])).get_json()
    board = api(mine["factory"]).get("/api/v1/order-board").get_json()
    listed = next(o for o in board["items"] if o["id"] == open_order["id"])
    assert "delivery_address" not in listed and "history" not in listed
