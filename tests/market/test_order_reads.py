"""The orders API's hot reads (market/orders/reads.py) build their JSON from rows: it must be
exactly what the declared schema (OrderOut) dumps from the Order entity, for every viewer
(buyer, invited factory, operator), with components, nulls, history and paging."""
import uuid

import pytest
from flask import g

from market.api_common import page_schema
from market.orders import schemas as sc
from market.orders import services
from market.pagination import Page
from tests.conftest import FACTORY, order_body
from tests.market.test_orders_bom import BOM

pytestmark = pytest.mark.postgres  # on PostgreSQL too: column types read back (Numeric, UUID, JSON) as the schema dumps them


def _entity_dump(app, actor, *, detail=None, **list_args):
    with app.test_request_context():
        g.api_actor = actor
        if detail:
            return sc.OrderOut().dump(services.get_order(actor, uuid.UUID(detail)))
        page: Page = services.list_orders(actor, **list_args)
        return page_schema(sc.OrderOut)().dump(page)


@pytest.fixture
def world(api, tenant):
    buyer_t, factory_t, operator_t = tenant("buyer"), tenant("factory"), tenant("operator")
    buyer = api(buyer_t)
    ids = [buyer.post("/api/v1/orders", json=order_body(**BOM, declared_value_minor=900000,
                                                        delivery_latitude=31.2, delivery_longitude=121.5,
                                                        delivery_address="Pudong")).get_json()["id"],
           buyer.post("/api/v1/orders", json=order_body(submit=False, required_certifications=[])).get_json()["id"],
           buyer.post("/api/v1/orders", json=order_body(title="Cancelled one")).get_json()["id"]]
    assert buyer.post(f"/api/v1/orders/{ids[2]}/transitions", json={"to": "cancelled", "note": "not needed"}).status_code == 200
    factory = api(factory_t).post("/api/v1/factories", json=FACTORY).get_json()
    assert buyer.post(f"/api/v1/orders/{ids[0]}/quote-requests", json={"factory_id": factory["id"]}).status_code == 201
    return {"buyer": buyer_t, "factory": factory_t, "operator": operator_t, "ids": ids}


@pytest.mark.parametrize("viewer", ["buyer", "factory", "operator"])
def test_the_list_and_the_detail_are_what_the_schema_dumps_from_the_entity(app, api, world, viewer):
    who = world[viewer]
    client = api(who)
    for args in ({}, {"per_page": 2}, {"per_page": 2, "page": 2}, {"state": "open"}, {"state": "cancelled"}):
        query = "&".join(f"{k}={v}" for k, v in args.items())
        response = client.get(f"/api/v1/orders?{query}")
        assert response.status_code == 200
        assert response.get_json() == _entity_dump(app, who.actor, **args), args
    visible = [o["id"] for o in client.get("/api/v1/orders?per_page=100").get_json()["items"]]
    assert visible, viewer
    for order_id in visible:
        assert client.get(f"/api/v1/orders/{order_id}").get_json() == _entity_dump(app, who.actor, detail=order_id)


def test_the_reads_keep_the_budget_from_factories_and_other_tenants_out(api, tenant, world):
    factory = api(world["factory"])
    seen = factory.get("/api/v1/orders").get_json()["items"]
    assert [o["id"] for o in seen] == [world["ids"][0]] and seen[0]["budget_minor"] is None
    assert api(world["buyer"]).get(f"/api/v1/orders/{world['ids'][0]}").get_json()["budget_minor"] == 500000
    stranger = api(tenant("buyer"))
    assert stranger.get(f"/api/v1/orders/{world['ids'][0]}").status_code == 404
    assert stranger.get("/api/v1/orders").get_json() == {"items": [], "next_cursor": None, "page": 1, "per_page": 20, "total": 0, "pages": 1}
