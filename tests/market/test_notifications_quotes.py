"""`quotes.none` names why and where: the operation short of capacity (the bottleneck), in the
buyer's language; market/matching/bottleneck.py picks it from the solve's own problem."""
from __future__ import annotations

from scheduling.data import Job, Machine, Operation, PricingMode, Problem, Site, Window
from tests.conftest import order_body
from tests.market.notify_helpers import eventually, kinds, set_locale, told
from tests.market.test_quotes import wait_job


def _problem(*machines: Machine, value=None) -> Problem:
    job = Job("7", 10, (Operation("mill", 0, 6, name="1"), Operation("anodize", 0, 6, name="2"),
                        Operation("cmm", 0, 1, name="3")), due=10_000, value=value)
    return Problem((Site("s"),), machines, (job,))


def test_the_bottleneck_is_the_operation_whose_usable_capacity_covers_least_of_its_need():
    mill = Machine("m1", "s", frozenset({"mill", "cmm"}), (Window(0, 600), Window(1000, 1600)))
    anodize = Machine("m2", "s", frozenset({"anodize"}), (Window(0, 90),))  # 90 of 60 needed: covered, but least
    from market.matching.bottleneck import bottleneck

    assert bottleneck(_problem(mill, anodize), "7") == {"seq": 2, "process": "anodize"}
    assert bottleneck(_problem(mill), "7") == {"seq": 2, "process": "anodize"}  # nobody anodizes
    # a percent-of-value window is no capacity for an order without a declared value
    share = Machine("m2", "s", frozenset({"anodize"}), (Window(0, 6000, pricing=PricingMode.PERCENT_OF_VALUE, price=800),))
    assert bottleneck(_problem(mill, share), "7")["seq"] == 2
    # with a value it counts: 6000 of 60 minutes; milling (1200 of 60) is now the tightest
    assert bottleneck(_problem(mill, share, value=100_000), "7")["seq"] == 1
    assert bottleneck(_problem(mill), "nope") is None


def test_no_quote_possible_tells_the_buyer_the_operation_short_of_capacity_in_their_language(
        app, api, tenant, two_sites):
    buyer_t = tenant("buyer")
    set_locale(app, buyer_t, "zh_CN")
    buyer = api(buyer_t)
    body = order_body(operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 10, "run_minutes_per_unit": 1},
                                  {"process_code": "injection_molding", "setup_minutes": 10, "run_minutes_per_unit": 1}])
    order = buyer.post("/api/v1/orders", json=body).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    [note] = eventually(lambda: told(app, buyer_t, "quotes.none"))
    assert note["params"]["reason"] == "no_capacity"
    assert note["params"]["bottleneck"] == {"seq": 2, "process": "injection_molding"}
    assert "产能不足的工序：#2 注塑成型" in note["body"]
    for site in two_sites:
        assert kinds(app, site["tenant"]) == []
