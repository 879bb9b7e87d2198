"""Ratings: a buyer rates its delivered order once (1-5 stars and a comment); every factory
that made it shows the rating on its public profile, the buyer's name hidden unless it chooses
to show it; each factory may reply once; the ledger commits to the comment; the factories are
told. Bad input is a 4xx with the field's name, and nothing is written."""
import uuid

import pytest
from sqlalchemy import func, select

from ledger.disclosure import commit
from ledger.entry import decode_entry
from tests.market.test_production import accepted, make_lot  # noqa: F401  (fixture)


@pytest.fixture
def delivered(accepted):  # noqa: F811
    """The buyer received a lot made at Mill Works (op 1) and Finish Lab (ops 2-3)."""
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    assert finish.post(f"{url}/shipment", json={"carrier": "SF", "tracking_ref": "SF1"}).status_code == 200
    assert buyer.post(f"{url}/delivery").status_code == 200
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "delivered"
    factories = {c.get("/api/v1/factories").get_json()["items"][0]["name"]: c.get("/api/v1/factories").get_json()
                 ["items"][0] for c in (mill, finish)}
    return buyer, mill, finish, order, factories


def _ratings_count(app) -> int:
    from market.credit.rating_models import Rating
    from market.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count(Rating.id)))


def test_a_buyer_rates_its_delivered_order_once_and_both_factories_show_it_anonymously(delivered, app):
    buyer, mill, finish, order, factories = delivered
    r = buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 4, "comment": "Good finish, one day late"})
    assert r.status_code == 201, r.get_json()
    rating = r.get_json()
    assert rating["stars"] == 4 and rating["show_buyer_name"] is False
    assert sorted(f["factory_name"] for f in rating["factories"]) == ["Finish Lab", "Mill Works"]

    again = buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 1})
    assert again.status_code == 409 and again.get_json()["code"] == "rating.already_rated"
    assert _ratings_count(app) == 1

    for name in ("Mill Works", "Finish Lab"):  # any signed-in party reads it; the buyer stays unnamed
        page = finish.get(f"/api/v1/factories/{factories[name]['id']}/ratings").get_json()
        assert page["total"] == 1 and page["summary"]["count"] == 1 and page["summary"]["average"] == 4.0
        item = page["items"][0]
        assert (item["stars"], item["comment"], item["buyer_name"]) == (4, "Good finish, one day late", None)
    assert buyer.get(f"/api/v1/orders/{order['id']}/rating").get_json()["id"] == rating["id"]


def test_the_ledger_entry_commits_to_the_stars_and_the_comment(delivered, app):
    from market.catalog.models import Factory
    from market.credit.rating_models import Rating
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    buyer, _mill, _finish, order, _factories = delivered
    rating = buyer.post(f"/api/v1/orders/{order['id']}/rating",
                        json={"stars": 5, "comment": "准时交货", "show_buyer_name": True}).get_json()
    with app.app_context(), unit_of_work() as s:
        event = decode_entry(get_ledger().store.entry(s.connection(), rating["ledger_index"])).event
        salt = s.scalar(select(Rating.salt))
        made_by = [str(p) for p in s.scalars(select(Factory.public_id).where(
            Factory.public_id.in_([uuid.UUID(f["factory_id"]) for f in rating["factories"]])).order_by(Factory.id))]
    assert event["type"] == "credit.rating_posted" and event["what"] == {"rating": rating["id"], "order": order["id"]}
    assert "准时交货" not in str(event)  # only the commitment is on the ledger
    opened = {"rating": rating["id"], "order": order["id"], "factories": made_by, "stars": 5, "comment": "准时交货",
              "show_buyer_name": True}
    assert event["data"]["commitment"] == commit(opened, salt)
    assert event["data"]["commitment"] != commit({**opened, "comment": "late"}, salt)
    assert event["data"]["commitment"] != commit({**opened, "stars": 4}, salt)


def test_a_buyer_that_shows_its_name_is_named_on_the_profile(delivered):
    buyer, mill, _finish, order, factories = delivered
    buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 3, "show_buyer_name": True})
    item = mill.get(f"/api/v1/factories/{factories['Mill Works']['id']}/ratings").get_json()["items"][0]
    assert item["buyer_name"] == "buyer org"


@pytest.mark.parametrize("body, field", [
    ({"stars": 0}, "stars"), ({"stars": 6}, "stars"), ({"stars": -1}, "stars"), ({"stars": 4.5}, "stars"),
    ({"stars": "four"}, "stars"), ({"stars": True}, "stars"), ({}, "stars"), ({"stars": 2**40}, "stars"),
    ({"stars": 3, "comment": "x" * 2001}, "comment"), ({"stars": 3, "comment": "a\x00b"}, "comment"),
    ({"stars": 3, "show_buyer_name": "perhaps"}, "show_buyer_name"), ({"stars": 3, "extra": 1}, "extra"),
])
def test_bad_ratings_are_refused_with_the_field_named_and_nothing_is_written(delivered, app, body, field):
    buyer, _mill, _finish, order, _factories = delivered
    r = buyer.post(f"/api/v1/orders/{order['id']}/rating", json=body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]
    assert _ratings_count(app) == 0


def test_an_order_is_rated_only_after_delivery(accepted, app):  # noqa: F811
    buyer, mill, finish, order = accepted
    assert buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 5}).status_code == 409
    lot, url = make_lot(buyer, mill, finish, order)
    finish.post(f"{url}/shipment", json={"carrier": "SF", "tracking_ref": "SF1"})
    shipped = buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 5})
    assert shipped.status_code == 409 and shipped.get_json()["code"] == "rating.not_delivered"
    assert _ratings_count(app) == 0


def test_another_buyers_order_is_not_found_and_a_factory_cannot_rate_its_own_work(delivered, api, tenant, app):
    buyer, mill, _finish, order, _factories = delivered
    stranger = api(tenant("buyer", "Someone Else"))
    assert stranger.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 1}).status_code == 404
    assert stranger.get(f"/api/v1/orders/{order['id']}/rating").status_code == 404
    own = mill.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 5})
    assert own.status_code == 403 and own.get_json()["code"] == "rating.not_buyer"
    assert _ratings_count(app) == 0


def test_each_rated_factory_replies_once_and_nobody_else_can(delivered, api, tenant):
    from tests.conftest import FACTORY

    buyer, mill, finish, order, factories = delivered
    rating = buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 2, "comment": "burrs"}).get_json()
    mill_url = f"/api/v1/factories/{factories['Mill Works']['id']}/ratings/{rating['id']}/reply"
    assert finish.post(mill_url, json={"body": "Not us"}).status_code == 404  # not Finish Lab's factory
    assert buyer.post(mill_url, json={"body": "Me too"}).status_code == 404
    other = api(tenant("factory", "Other Shop"))
    own = other.post("/api/v1/factories", json={**FACTORY, "name": "Other Shop"}).get_json()
    not_rated = other.post(f"/api/v1/factories/{own['id']}/ratings/{rating['id']}/reply", json={"body": "Hi"})
    assert not_rated.status_code == 403 and not_rated.get_json()["code"] == "reply.not_rated_factory"
    assert other.post(mill_url, json={"body": "Hi"}).status_code == 404
    assert mill.post(mill_url, json={"body": ""}).status_code == 422
    assert mill.post(mill_url, json={"body": "y" * 2001}).status_code == 422
    first = mill.post(mill_url, json={"body": "We changed the deburring tool. Sorry."})
    assert first.status_code == 201 and first.get_json()["reply_ledger_index"] is not None
    second = mill.post(mill_url, json={"body": "Again"})
    assert second.status_code == 409 and second.get_json()["code"] == "reply.already_replied"
    missing = f"/api/v1/factories/{factories['Mill Works']['id']}/ratings/{order['id']}/reply"
    assert mill.post(missing, json={"body": "Hi"}).status_code == 404
    item = buyer.get(f"/api/v1/factories/{factories['Mill Works']['id']}/ratings").get_json()["items"][0]
    assert item["reply"] == "We changed the deburring tool. Sorry."
    finish_item = buyer.get(f"/api/v1/factories/{factories['Finish Lab']['id']}/ratings").get_json()["items"][0]
    assert finish_item["reply"] is None


def test_the_rated_factories_are_told_and_the_buyer_is_not(delivered):
    buyer, mill, finish, order, _factories = delivered
    buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 4})
    for factory in (mill, finish):
        items = factory.get("/api/v1/notifications?kind=rating.received").get_json()["items"]
        assert len(items) == 1 and "4" in items[0]["body"], items
    assert buyer.get("/api/v1/notifications?kind=rating.received").get_json()["items"] == []


def test_concurrent_ratings_of_one_order_leave_one_and_the_others_get_409(delivered, app):
    import threading

    buyer, _mill, _finish, order, _factories = delivered
    answers, start = [], threading.Barrier(4)

    def post(stars):
        client = app.test_client()
        start.wait()
        r = client.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": stars},
                        headers={"Authorization": f"Bearer {buyer.token}"})
        answers.append(r.status_code)

    threads = [threading.Thread(target=post, args=(n,)) for n in (2, 3, 4, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == [201, 409, 409, 409]
    assert _ratings_count(app) == 1


def test_odd_requests_get_4xx_problems_never_a_500(delivered):
    buyer, _mill, _finish, order, factories = delivered
    assert buyer.post(f"/api/v1/orders/{order['id']}/rating", json=[5]).status_code == 422
    assert buyer.post(f"/api/v1/orders/{order['id']}/rating", data="{", headers={
        "Content-Type": "application/json"}).status_code == 400
    unknown = "00000000-0000-4000-8000-000000000000"
    assert buyer.post(f"/api/v1/orders/{unknown}/rating", json={"stars": 5}).status_code == 404
    assert buyer.get(f"/api/v1/factories/{unknown}/ratings").status_code == 404
    assert buyer.get(f"/api/v1/orders/{order['id']}/rating").status_code == 404  # not rated yet
    assert buyer.get(f"/api/v1/factories/{factories['Mill Works']['id']}/ratings?page=0").status_code == 422
    assert buyer.get(f"/api/v1/factories/{factories['Mill Works']['id']}/ratings?per_page=x").status_code == 422
