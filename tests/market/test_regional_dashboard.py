"""The operator's regional dashboard (market/ops/regional.py) on a small seeded world whose
figures are computed by hand below: four factories in Suzhou, one in Wuxi (same province), two in
Dongguan. Cells drawn from fewer than 3 factories (Wuxi, Dongguan, Suzhou's sheet metal) show
nothing, and no total lets them be worked out by subtraction."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.market.portal.test_dashboard_figures import H, _add  # rows written as the figures test does

# the period 2030-03-01..2030-03-30 in Shanghai: [02-28 16:00Z, 03-30 16:00Z)
START = datetime(2030, 2, 28, 16, 0, tzinfo=timezone.utc)
END = datetime(2030, 3, 30, 16, 0, tzinfo=timezone.utc)
QUERY = "from=2030-03-01&to=2030-03-30"
T0 = datetime(2030, 3, 10, tzinfo=timezone.utc)


def _factory(org_id, name, code, processes=("cnc_milling_3ax",)):
    from market.catalog.models import Factory, Machine, MachineProcess

    f = _add(Factory(organization_id=org_id, name=name, address="1 Road", latitude=31.3, longitude=120.6,
                     region=name, region_code=code))[0]
    m = _add(Machine(factory_id=f, name="Mill", process_rows=[MachineProcess(process_code=p) for p in processes]))[0]
    return f, m


def _window(fm, start, hours, price, status="open", mode="per_hour"):
    from market.catalog.models import CapacityWindow

    f, m = fm
    return _add(CapacityWindow(machine_id=m, factory_id=f, start_at=start, end_at=start + hours * H, pricing_mode=mode,
                               price=price, status=status))[0]


def _order(buyer_org_id, title, state, opened_at):
    from market.orders.models import Order, OrderEvent

    o = _add(Order(buyer_org_id=buyer_org_id, title=title, quantity=1, due_at=T0 + timedelta(days=30),
                   budget_minor=10**6, state=state))[0]
    _add(OrderEvent(order_id=o, to_state="open", at=opened_at))
    return o


def _quote(org_id, order_id, status, fm, window_id):
    from market.matching.models import SolveJob
    from market.orders.models import Quote, QuoteLine

    job = _add(SolveJob(kind="quote", organization_id=org_id, order_id=order_id, status="done"))[0]
    q = _add(Quote(order_id=order_id, job_id=job, label="cheapest", status=status, price_minor=1000, transport_minor=0,
                   currency="CNY", promised_at=T0, expires_at=T0))[0]
    _add(QuoteLine(quote_id=q, seq=1, process_code="cnc_milling_3ax", window_id=window_id, machine_id=fm[1],
                   factory_id=fm[0], start_at=T0, end_at=T0 + H, price_minor=1000))


@pytest.fixture
def world(app, tenant):
    with app.app_context():
        op, shop, buyer = tenant("operator"), tenant("factory", "Shops"), tenant("buyer", "Buyer")
        org = shop.actor.org_id
        # Suzhou 320500 (Jiangsu 320000): Kunshan's district code, a Suzhou district, the city twice
        s1 = _factory(org, "S1", "320583", ("cnc_milling_3ax", "cnc_turning", "laser_cutting"))
        s2, s3, s4 = _factory(org, "S2", "320505"), _factory(org, "S3", "320500"), _factory(org, "S4", "320500")
        w1 = _factory(org, "W1", "320200")  # Wuxi: alone in its city
        d1, d2 = _factory(org, "D1", "441900"), _factory(org, "D2", "441900")  # Dongguan (Guangdong 440000)
        _window(s1, T0, 10, 20000)  # S1's machine mills twice and cuts sheet: once in machining, once in sheet_metal
        a_win = _window(s1, T0 + 20 * H, 4, 20000, "booked")
        _window(s2, T0, 8, 30000)
        _window(s3, T0, 6, 10000)
        _window(s3, START - 2 * H, 5, 40000)  # 3 of its 5 hours inside the period
        _window(s3, T0 + 30 * H, 9, 10000, "withdrawn")  # not offered
        _window(s3, END + H, 9, 10000)  # after the period
        _window(s4, T0, 20, 500, mode="per_piece")  # hours count; no price per hour
        b_win = _window(s4, T0 + 40 * H, 2, 25000, "booked")
        d_win = _window(d1, T0, 10, 15000)
        _window(d2, T0, 10, 15000)
        _window(w1, T0, 5, 50000)
        b = buyer.actor.org_id
        posted = T0 - timedelta(days=1)
        a = _order(b, "A", "accepted", posted)
        _quote(b, a, "expired", d1, d_win)  # Dongguan quoted A too (its cell is suppressed anyway)
        _quote(b, a, "accepted", s1, a_win)
        _quote(b, _order(b, "B", "in_production", posted), "accepted", s4, b_win)
        _quote(b, _order(b, "C", "quoted", posted), "open", s2, a_win)
        _quote(b, _order(b, "D", "accepted", START - timedelta(days=5)), "accepted", s3, a_win)  # posted before
        yield {"op": op, "shop": shop, "buyer": buyer}


# Suzhou × machining, by hand:
#   factories S1..S4                                     = 4 (≥ 3: shown)
#   open hours   10 (S1) + 8 (S2) + 6 + 3 (S3) + 20 (S4) = 47.0
#   booked hours 4 (S1) + 2 (S4)                         = 6.0
#   per-hour prices 20000 20000 30000 10000 40000 25000 → sorted 10000 20000 20000 25000 30000 40000,
#   lower middle 20000 = ¥200.00/h
#   orders posted in the period quoted in the cell A, B, C = 3; accepted there A, B = 2 → 2/3
# Wuxi (1 factory), Dongguan (2), Suzhou × sheet metal (S1 alone): suppressed.
# Jiangsu's total and machining's total add the shown cells only: Suzhou's figures again, so that
# neither minus Suzhou says anything about Wuxi or Dongguan. Guangdong and sheet metal have no total.
SUZHOU = dict(factories=4, offered_hours=47.0, booked_hours=6.0, quoted_orders=3, filled_orders=2,
              price_index_minor=20000)


def test_dashboard_figures_equal_a_hand_computation_and_no_cell_below_k_is_shown(world, app):
    from market.ops.regional import regional

    with app.app_context():
        r = regional(START, END)
    cells = [(c.class_code, c.place.city_code, c.suppressed) for c in r.cells]
    assert cells == [("machining", "320200", True), ("machining", "320500", False), ("machining", "441900", True),
                     ("sheet_metal", "320500", True)]
    suzhou = r.cells[1]
    assert (suzhou.place.city_zh, suzhou.place.city_en, suzhou.place.province_zh) == ("苏州市", "Suzhou", "江苏省")
    assert {k: getattr(suzhou, k) for k in SUZHOU} == SUZHOU
    assert suzhou.fill_rate == pytest.approx(2 / 3)
    for hidden in (r.cells[0], r.cells[2], r.cells[3]):
        assert (hidden.factories, hidden.offered_hours, hidden.booked_hours, hidden.quoted_orders,
                hidden.price_index_minor) == (None, None, None, None, None)
    assert [(c.place.province_code, c.class_code) for c in r.provinces] == [("320000", "machining")]
    assert [c.class_code for c in r.classes] == ["machining"]
    for total in (r.provinces[0], r.classes[0]):
        assert {k: getattr(total, k) for k in SUZHOU} == SUZHOU


def _login(app, tenant):
    client = app.test_client()
    assert client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"}).status_code == 302
    return client


def test_the_operator_downloads_the_csv_with_the_same_figures_and_blanks_for_suppressed_cells(world, app):
    r = _login(app, world["op"]).get(f"/operator/regions.csv?{QUERY}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["class_code", "province_code"]
    blank = ["", "", "", "", "", "", "", "yes"]
    assert rows[1:] == [
        ["machining", "320000", "江苏省", "Jiangsu", "320200", "无锡市", "Wuxi", *blank],
        ["machining", "320000", "江苏省", "Jiangsu", "320500", "苏州市", "Suzhou", "4", "47.0", "6.0", "3", "2", "0.667",
         "200.00", "no"],
        ["machining", "440000", "广东省", "Guangdong", "441900", "东莞市", "Dongguan", *blank],
        ["sheet_metal", "320000", "江苏省", "Jiangsu", "320500", "苏州市", "Suzhou", *blank],
        ["machining", "320000", "江苏省", "Jiangsu", "", "", "", "4", "47.0", "6.0", "3", "2", "0.667", "200.00", "no"],
        ["machining", "", "", "", "", "", "", "4", "47.0", "6.0", "3", "2", "0.667", "200.00", "no"],
    ]


def test_the_page_in_chinese_and_the_api_show_suzhou_and_hide_the_small_cells(world, app, api):
    client = _login(app, world["op"])
    page = client.get(f"/operator/regions?{QUERY}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "苏州市" in page and "¥200.00" in page and "47.0" in page
    assert page.count("已隐藏：少于 3 家工厂") == 3  # Wuxi, Dongguan, Suzhou's sheet metal
    assert "东莞市" in page and "20.0" not in page  # Dongguan's 20 open hours never drawn
    assert page.count("data-chart") == 1  # one chart: machining, the one class with a shown cell
    assert re.search(r"<title>\s*区域看板\s*</title>", page), re.search(r"<title>.*?</title>", page, re.S)[0]
    body = api(world["op"].read_token).get(f"/api/v1/operator/regions?{QUERY}").get_json()
    shown = [c for c in body["cells"] if not c["suppressed"]]
    assert [{k: c[k] for k in SUZHOU} for c in shown] == [SUZHOU]
    assert all(c["factories"] is None and c["offered_hours"] is None for c in body["cells"] if c["suppressed"])


@pytest.mark.parametrize("who", ["shop", "buyer"])
def test_nobody_but_the_operator_finds_the_dashboard(world, app, api, who):
    client = _login(app, world[who])
    for url in ("/operator/regions", "/operator/regions.csv"):
        assert client.get(url).status_code == 404
    assert api(world[who]).get("/api/v1/operator/regions").status_code == 404


def test_a_bad_or_reversed_period_is_a_field_error_not_a_500(world, app, api):
    page = _login(app, world["op"]).get("/operator/regions?from=2030-02-30", headers={"Accept-Language": "zh-CN"})
    assert page.status_code in (400, 422) and "不是日期" in page.get_data(as_text=True)
    op = api(world["op"])
    r = op.get("/api/v1/operator/regions?from=2030-13-01")
    assert r.status_code == 422 and "from" in str(r.get_json())
    r = op.get("/api/v1/operator/regions?from=2030-03-10&to=2030-03-01")
    assert r.status_code == 422 and "first day" in str(r.get_json())
