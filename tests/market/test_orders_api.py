import io

import pytest

from tests.conftest import order_body

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_buyer_posts_an_order_with_three_operations(api, tenant):
    response = api(tenant("buyer")).post("/api/v1/orders", json=order_body())
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["state"] == "open"
    assert [op["seq"] for op in order["operations"]] == [1, 2, 3]
    assert order["operations"][0]["run_minutes_per_unit"] == "2.500"
    assert [(e["from_state"], e["to_state"]) for e in order["history"]] == [(None, "draft"), ("draft", "open")]


def test_idempotency_key_replays_the_first_response_and_creates_one_order(api, tenant):
    buyer = api(tenant("buyer"))
    headers, body = {"Idempotency-Key": "order-42"}, order_body()
    first = buyer.post("/api/v1/orders", json=body, headers=headers)
    second = buyer.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert buyer.get("/api/v1/orders").get_json()["total"] == 1


def test_idempotency_key_reused_with_another_body_is_refused(api, tenant):
    buyer = api(tenant("buyer"))
    buyer.post("/api/v1/orders", json=order_body(), headers={"Idempotency-Key": "k1"})
    response = buyer.post("/api/v1/orders", json=order_body(quantity=7), headers={"Idempotency-Key": "k1"})
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]


def test_an_order_follows_its_lifecycle_and_refuses_illegal_moves(api, tenant):
    buyer_t, operator_t = tenant("buyer"), tenant("operator")
    buyer, operator = api(buyer_t), api(operator_t)
    order = buyer.post("/api/v1/orders", json=order_body(submit=False)).get_json()
    url = f"/api/v1/orders/{order['id']}/transitions"
    assert order["state"] == "draft"
    illegal = buyer.post(url, json={"to": "shipped"})
    assert illegal.status_code == 409
    assert "allowed next states are cancelled, open" in illegal.get_json()["detail"]
    assert buyer.post(url, json={"to": "open"}).get_json()["state"] == "open"
    # quoting is the platform's move, not the buyer's
    refused = buyer.post(url, json={"to": "quoted"})
    assert refused.status_code == 409 and "only the system" in refused.get_json()["detail"]
    assert operator.post(url, json={"to": "quoted"}).status_code == 200
    assert buyer.post(url, json={"to": "cancelled", "note": "budget cut"}).get_json()["state"] == "cancelled"
    final = buyer.post(url, json={"to": "open"})
    assert final.status_code == 409 and "'cancelled' is final" in final.get_json()["detail"]


def test_orders_can_be_edited_only_before_acceptance(api, tenant):
    buyer, operator = api(tenant("buyer")), api(tenant("operator"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    edited = buyer.patch(f"/api/v1/orders/{order['id']}", json={"quantity": 250})
    assert edited.status_code == 200 and edited.get_json()["quantity"] == 250
    operator.post(f"/api/v1/orders/{order['id']}/transitions", json={"to": "quoted"})
    assert buyer.patch(f"/api/v1/orders/{order['id']}", json={"quantity": 1}).status_code == 409


def test_factory_sees_fitting_orders_on_the_board_but_not_the_drawings_until_invited(api, tenant, supply):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    buyer.post(f"/api/v1/orders/{order['id']}/attachments", data={"file": (io.BytesIO(PDF), "drawing.pdf")},
               content_type="multipart/form-data")
    factory = supply["client"]
    board = factory.get("/api/v1/order-board").get_json()
    assert [o["id"] for o in board["items"]] == [order["id"]]
    assert factory.get(f"/api/v1/orders/{order['id']}/attachments").status_code == 404
    invited = buyer.post(f"/api/v1/orders/{order['id']}/quote-requests", json={"factory_id": supply["factory"]["id"]})
    assert invited.status_code == 201
    files = factory.get(f"/api/v1/orders/{order['id']}/attachments").get_json()["items"]
    assert [f["filename"] for f in files] == ["drawing.pdf"]
    download = factory.get(f"/api/v1/attachments/{files[0]['id']}")
    assert download.status_code == 200 and download.data == PDF


def test_the_thread_is_shared_by_the_buyer_and_invited_factories(api, tenant, supply):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    buyer.post(f"/api/v1/orders/{order['id']}/quote-requests", json={"factory_id": supply["factory"]["id"]})
    buyer.post(f"/api/v1/orders/{order['id']}/messages", json={"body": "Can you hold ±0.02?"})
    supply["client"].post(f"/api/v1/orders/{order['id']}/messages", json={"body": "Yes, on the 5-axis."})
    thread = buyer.get(f"/api/v1/orders/{order['id']}/messages").get_json()["items"]
    assert [m["body"] for m in thread] == ["Can you hold ±0.02?", "Yes, on the 5-axis."]


def test_an_order_without_a_fitting_process_is_not_on_the_board(api, tenant, supply):
    buyer = api(tenant("buyer"))
    body = order_body(operations=[{"process_code": "injection_molding", "setup_minutes": 1, "run_minutes_per_unit": 1}])
    buyer.post("/api/v1/orders", json=body)
    assert supply["client"].get("/api/v1/order-board").get_json()["total"] == 0


@pytest.mark.parametrize("kind", ["factory", "lender"])
def test_only_buyers_post_orders(api, tenant, kind):
    assert api(tenant(kind)).post("/api/v1/orders", json=order_body()).status_code == 403


def test_only_accepting_a_quote_moves_an_order_to_accepted(api, tenant, app):
    """A quoted order moved to 'accepted' by hand would have nothing booked and no payment."""
    buyer_t = tenant("buyer")
    buyer, operator = api(buyer_t), api(tenant("operator"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    url = f"/api/v1/orders/{order['id']}/transitions"
    assert operator.post(url, json={"to": "quoted"}).status_code == 200
    for who in (buyer, operator):
        refused = who.post(url, json={"to": "accepted"})
        assert refused.status_code == 409, refused.get_json()
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert "accept one of its quotes" in refused.get_json()["detail"]
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "quoted"

    portal = app.test_client()
    portal.post("/login", data={"email": buyer_t.email, "password": "correct-horse-1"})
    page = portal.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert 'id="to-accepted"' not in page and 'id="to-cancelled"' in page
    moved = portal.post(f"/orders/{order['id']}/transition", data={"to": "accepted"}, follow_redirects=True)
    assert "accept one of its quotes" in moved.get_data(as_text=True)
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "quoted"


def test_only_an_accepted_order_with_stuck_work_can_be_requoted(api, tenant):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    refused = buyer.post(f"/api/v1/orders/{order['id']}/requote")
    assert refused.status_code == 409 and "only an accepted order" in refused.get_json()["detail"]
    assert refused.headers["Content-Type"].startswith("application/problem+json")
