"""ISO 2859-1 single sampling, normal inspection, general inspection level II: the tables
against values published in the standard (identical in ANSI/ASQ Z1.4 and GB/T 2828.1), and
a QC step whose plan decides the result."""
import pytest

from market.production import sampling
from tests.market.test_materials import entry
from tests.market.test_production import accepted  # noqa: F401 - fixture


@pytest.mark.parametrize("lot_size,letter", [
    (2, "A"), (8, "A"), (9, "B"), (15, "B"), (16, "C"), (25, "C"), (26, "D"), (50, "D"), (51, "E"), (90, "E"),
    (91, "F"), (150, "F"), (151, "G"), (280, "G"), (281, "H"), (500, "H"), (501, "J"), (1200, "J"), (1201, "K"),
    (3200, "K"), (3201, "L"), (10000, "L"), (10001, "M"), (35000, "M"), (35001, "N"), (150000, "N"),
    (150001, "P"), (500000, "P"), (500001, "Q"), (10**7, "Q")])
def test_table_1_gives_the_code_letter_of_level_ii(lot_size, letter):
    assert sampling.code_letter(lot_size) == letter


@pytest.mark.parametrize("lot_size,aql,plan", [
    (1200, "1.0", ("J", 80, 2, 3)),  # the worked example: J, n = 80, Ac 2, Re 3
    (1200, "0.65", ("J", 80, 1, 2)), (1200, "1.5", ("J", 80, 3, 4)), (1200, "2.5", ("J", 80, 5, 6)),
    (1200, "4.0", ("J", 80, 7, 8)), (1200, "6.5", ("J", 80, 10, 11)), (1200, "10", ("J", 80, 14, 15)),
    (1200, "0.15", ("J", 80, 0, 1)),
    (500, "2.5", ("H", 50, 3, 4)), (3000, "0.65", ("K", 125, 2, 3)), (10000, "1.0", ("L", 200, 5, 6)),
    (10000, "4.0", ("L", 200, 14, 15)), (20000, "2.5", ("M", 315, 14, 15)), (100000, "1.5", ("N", 500, 14, 15)),
    (3000, "10", ("K", 125, 21, 22)), (100, "0.65", ("F", 20, 0, 1)),
    # arrows: follow them to the first plan below (↓) or above (↑), with its sample size
    (100, "1.0", ("E", 13, 0, 1)),  # ↑ from F
    (100, "1.5", ("G", 32, 1, 2)),  # ↓ from F
    (1200, "0.25", ("H", 50, 0, 1)), (1200, "0.40", ("K", 125, 1, 2)),
    (1200, "0.010", ("Q", 1250, 0, 1)),  # ↓ down to Q: more than the lot, so every item is inspected
    (50000, "6.5", ("L", 200, 21, 22)),  # ↑ from N past M
])
def test_table_2a_gives_the_published_plans(lot_size, aql, plan):
    got = sampling.plan(lot_size, aql)
    table_n = sampling.SAMPLE_SIZES[sampling.CODE_LETTERS.index(got.plan_letter)]
    assert (got.plan_letter, table_n, got.ac, got.re) == plan
    assert got.sample_size == min(table_n, lot_size)  # a plan larger than the lot inspects every item


def test_a_plan_never_samples_more_than_the_lot_and_judges_at_ac_and_re():
    small = sampling.plan(10, "0.65")  # B -> ↓ to F: 20 > 10, so all 10 are inspected
    assert (small.code_letter, small.sample_size, small.ac) == ("B", 10, 0)
    j = sampling.plan(1200, "1.0")
    assert [j.judge(n) for n in (0, 2, 3, 80)] == ["pass", "pass", "fail", "fail"]
    with pytest.raises(ValueError):
        j.judge(81)
    with pytest.raises(ValueError):
        sampling.plan(1200, "0.3")
    with pytest.raises(ValueError):
        sampling.code_letter(1)
    assert sampling.normalize_aql("1") == "1.0" and sampling.normalize_aql("0.1") == "0.10"
    assert sampling.normalize_aql("25") is None and sampling.normalize_aql("x") is None


def test_every_aql_and_letter_of_level_ii_has_a_plan_on_the_diagonal_series():
    series = [(0, 1), (1, 2), (2, 3), (3, 4), (5, 6), (7, 8), (10, 11), (14, 15), (21, 22)]
    for lot_size in (2, 9, 16, 26, 51, 91, 151, 281, 501, 1201, 3201, 10001, 35001, 150001, 500001):
        for aql in sampling.AQLS:
            p = sampling.plan(lot_size, aql)
            assert (p.ac, p.re) in series and 1 <= p.sample_size <= lot_size


def test_the_api_gives_the_plan_and_refuses_what_the_table_lacks(client):
    ok = client.get("/api/v1/sampling-plans?lot_size=1200&aql=1.0").get_json()
    assert (ok["code_letter"], ok["sample_size"], ok["ac"], ok["re"]) == ("J", 80, 2, 3)
    assert "aql" in client.get("/api/v1/sampling-plans?lot_size=1200&aql=3").get_json()["errors"]
    assert "lot_size" in client.get("/api/v1/sampling-plans?lot_size=1&aql=1.0").get_json()["errors"]


def _finished_lot(mill, finish, order, quantity):
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": quantity}).get_json()
    url = f"/api/v1/lots/{lot['id']}"
    mill.post(f"{url}/operations/1/start", json={})
    mill.post(f"{url}/operations/1/finish", json={"good": quantity})
    for seq in (2, 3):
        finish.post(f"{url}/operations/{seq}/start", json={})
        finish.post(f"{url}/operations/{seq}/finish", json={"good": quantity})
    return url


def test_a_sampled_inspection_fails_the_lot_at_re_and_the_plan_is_on_the_ledger(app, accepted):
    buyer, mill, finish, order = accepted
    url = _finished_lot(mill, finish, order, 100)  # lot 100 -> F; AQL 1.0 -> ↑ E: n 13, Ac 0, Re 1
    qc = finish.post(f"{url}/qc", json={"inspector": "Li", "sampling": {"aql": "1", "nonconforming": 0}})
    assert qc.status_code == 201, qc.get_json()
    assert qc.get_json()["result"] == "pass" and qc.get_json()["sampling"]["sampleSize"] == 13
    failed = finish.post(f"{url}/qc", json={"inspector": "Li", "sampling": {"aql": "1.0", "nonconforming": 1}})
    assert failed.status_code == 201 and failed.get_json()["result"] == "fail"
    event = entry(app, failed.get_json()["ledger_index"])
    assert event["data"]["result"] == "fail" and event["data"]["sampling"] == {
        "standard": "ISO 2859-1", "level": "II", "inspection": "normal", "sampling": "single", "lotSize": 100,
        "aql": "1.0", "codeLetter": "F", "planLetter": "E", "sampleSize": 13, "ac": 0, "re": 1, "nonconforming": 1}
    assert finish.post(f"{url}/shipment", json={"carrier": "SF"}).status_code == 409  # the failed lot stays


@pytest.mark.parametrize("body,field", [
    ({"result": "pass", "sampling": {"aql": "1.0", "nonconforming": 1}}, "result"),  # contradicts the plan
    ({"sampling": {"aql": "1.0", "nonconforming": 14}}, "sampling.nonconforming"),  # more than the sample
    ({"sampling": {"aql": "3", "nonconforming": 0}}, "sampling.aql"),
    ({"sampling": {"aql": "1.0", "nonconforming": -1}}, "sampling"),
    ({"sampling": {"aql": "1.0"}}, "sampling"),
    ({}, "result"),
])
def test_bad_sampling_is_refused_on_the_field_and_nothing_is_recorded(accepted, body, field):
    buyer, mill, finish, order = accepted
    url = _finished_lot(mill, finish, order, 100)
    answer = finish.post(f"{url}/qc", json={"inspector": "Li", **body})
    assert answer.status_code == 422 and field in answer.get_json()["errors"], answer.get_json()
    assert buyer.get(url).get_json()["qc_results"] == []
