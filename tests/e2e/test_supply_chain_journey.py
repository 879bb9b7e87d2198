"""Issue #16's acceptance journey, in a browser, in English and in Chinese: a buyer posts a BOM
order (two components and their assembly); a factory bids, the buyer counters, the factory
accepts the counter and the buyer the bid; the winning factory subcontracts the shaft's heat
treatment (with its hardness test) to a second factory, which subcontracts the hardness test
to a third; material lots with mill certificates are consumed; every tier ships and its buyer
receives; the buyer scans the part lot's QR code from a screenshot of its label and verifies
the whole tree on the public trace page, on a phone-width screen.

Every step a person takes in the portal is a click or a form here. The API is used only to
build the world the journey starts from: the accounts, factories, machines and capacity
windows (their own pages have their own journeys: onboarding, catalog). In Chinese, every
page the journey visits is checked for English UI text (ui_text.english_on)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from tests.conftest import FACTORY, portal_day
from tests.e2e.dialogs import confirm
from tests.e2e.test_journey_production import login
from tests.e2e.test_label_qr import decode_qr
from tests.e2e.ui_text import english_on

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PIECES = 20
WORDS = {"en-US": {"sent": "Your bid was sent to the buyer", "counter": "The buyer counters", "accepted": "Bid accepted",
                   "ok": "Verified", "tree": "Materials and components", "cert": "Material certificate",
                   "shipped": "Shipped", "delivered": "Delivered", "consumed": "Consumption recorded."},
         "zh-CN": {"sent": "您的投标已发送给买方", "counter": "买方还价", "accepted": "投标已接受",
                   "ok": "已验证", "tree": "材料与组件", "cert": "材质证明书",
                   "shipped": "已发货", "delivered": "已交付", "consumed": "投料已记录。"}}
# what the parties typed or are called: data, not UI text, in whatever language it was typed
DATA = ["factory user", "buyer user", "example.test", "Suzhou", "Nadcap", "CNY", "kg", "mm", "HRC", "SHA-256",
        "mill-certificate-42CrMo4.pdf", "mill-certificate-6061.pdf"]



def _site(api, tenant, name: str, lat: float, machines: dict[str, tuple[str, range]]) -> SimpleNamespace:
    """A factory with one machine per process, open eight hours on each of the given days."""
    owner = tenant("factory", name)
    client = api(owner)
    factory = client.post("/api/v1/factories", json={**FACTORY, "name": name, "latitude": lat}).get_json()
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    for machine_name, (process, days) in machines.items():
        m = client.post("/api/v1/machines", json={"factory_id": factory["id"], "name": machine_name,
                                                   "processes": [process]}).get_json()
        for day in days:
            s = start + timedelta(days=day)
            window = client.post("/api/v1/capacity-windows", json={
                "machine_id": m["id"], "start": s.isoformat(), "end": (s + timedelta(hours=8)).isoformat(),
                "pricing_mode": "per_hour", "price": 12000})
            assert window.status_code == 201, window.get_json()
    return SimpleNamespace(tenant=owner, client=client, factory=factory)


@pytest.fixture
def chain(app, api, tenant):
    """The world (API: no person types it in the journey): a pump maker buying, a machine shop
    that can make the whole pump, a heat treater that can also test hardness, and a test lab.
    Each tier's capacity lies a day or more before the slot of the tier above, so every tier can
    promise a date (the bid form takes days) before the work is due back: no tier is late."""
    app.config["QUOTE_TIME_LIMIT_S"] = 1  # the solver's quotes run beside the bids; keep them short
    maker = _site(api, tenant, "苏州精工机械", 31.30, {
        "铣床 VF-2": ("cnc_milling_3ax", range(2, 7)), "车床 CK6150": ("cnc_turning", range(2, 7)),
        "热处理炉 1": ("heat_treatment", range(11, 13)), "硬度计 1": ("hardness_testing", range(11, 13)),
        "装配台 1": ("mechanical_assembly", range(11, 15))})
    heat = _site(api, tenant, "无锡热处理厂", 31.55, {"热处理炉 A": ("heat_treatment", range(2, 4)),
                                                "硬度计 A": ("hardness_testing", range(7, 9))})
    lab = _site(api, tenant, "常州检测中心", 31.80, {"洛氏硬度计": ("hardness_testing", range(2, 4))})
    return SimpleNamespace(buyer=tenant("buyer", "杭州泵业"), maker=maker, heat=heat, lab=lab)


class Pages:
    """The pages the journey visits, each looked at for English UI text when the user reads Chinese."""

    def __init__(self, locale: str, shot):
        self.locale, self.shot, self.leaks = locale, shot, {}

    def seen(self, page):
        page.wait_for_load_state()
        if self.locale == "zh-CN":
            found = english_on(page, DATA)
            if found:
                self.leaks.setdefault(page.url.split("?")[0], set()).update(found)
        return page

    def signed_in(self, page):
        page.wait_for_url("**/dashboard")
        return self.seen(page)

    def goto(self, page, url: str):
        page.goto(url)
        return self.seen(page)

    def click(self, page, selector: str):
        # every click here submits a form or follows a link: wait for the new page, not the old one
        with page.expect_navigation():
            page.click(selector)
        return self.seen(page)

    def confirm(self, page, selector: str, name: str):
        # an irreversible action: its button opens a dialog that asks first; that is looked at too
        confirm(page, selector, before=lambda: (self.seen(page), self.shot(page, f"confirm-{name}")))
        return self.seen(page)


def _post_bom_order(v: Pages, buyer, base: str) -> str:
    v.goto(buyer, f"{base}/orders/new")
    buyer.fill("#title", "离心泵 CP-80 转子组件")
    buyer.fill("#part_number", "CP-80-R")
    buyer.fill("#quantity", str(PIECES))
    buyer.fill("#due_at", portal_day(30))
    buyer.fill("#budget", "3000")
    buyer.select_option("#required_certifications", ["ISO9001"])
    for n, (name, per, material) in enumerate([("泵壳", "1", "6061-T6"), ("泵轴", "1", "42CrMo4")], start=1):
        buyer.fill(f"#comp-{n}-name", name)
        buyer.fill(f"#comp-{n}-quantity_per_parent", per)
        buyer.fill(f"#comp-{n}-material", material)
    ops = [("cnc_milling_3ax", "泵壳", "-"), ("cnc_turning", "泵轴", "-"), ("heat_treatment", "泵轴", ""),
           ("hardness_testing", "泵轴", ""), ("mechanical_assembly", "", "1, 4")]
    for n, (process, component, after) in enumerate(ops, start=1):
        buyer.select_option(f"#op-{n}-process_code", process)
        buyer.fill(f"#op-{n}-setup_minutes", "30")
        buyer.fill(f"#op-{n}-run_minutes_per_unit", "1")
        buyer.fill(f"#op-{n}-component", component)
        buyer.fill(f"#op-{n}-after", after)
    v.shot(buyer, "order-form")
    v.click(buyer, "button[value=publish]")
    assert "/orders/" in buyer.url and buyer.locator("#find-capacity").count() == 1, buyer.inner_text("main")
    return buyer.url.rstrip("/").rsplit("/", 1)[1]


def _bid_from_board(v: Pages, factory, base: str, title: str, price: str, promised_in: int) -> str:
    v.goto(factory, f"{base}/board")
    v.click(factory, f"main a:has-text('{title}')")
    v.click(factory, "#bid-on-order")
    factory.fill("#price", price)
    factory.fill("#promised_at", portal_day(promised_in))
    factory.fill("#expires_at", portal_day(6))
    factory.fill("#conditions", "含税价，送货上门")
    v.click(factory, "#submit-bid")
    factory.wait_for_selector(f"text={WORDS[v.locale]['sent']}")
    return factory.url


def _accept_bid_from_offers(v: Pages, buyer, base: str, order_id: str, name: str):
    v.goto(buyer, f"{base}/orders/{order_id}")
    v.click(buyer, "#compare-offers")
    v.click(buyer, f"tr.offer[data-kind=bid]:has-text('{name}') a")
    v.confirm(buyer, "#accept-bid", "accept-bid")
    buyer.wait_for_selector(f"text={WORDS[v.locale]['accepted']}")


def _solved(page):
    """The quotes page reloads itself while the solver works: wait for its answer (a reload
    racing the next step's navigation would abort it)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + 90
    while True:
        page.wait_for_load_state()
        try:  # a loaded page without the refresh tag reloads no more
            if (page.locator("meta[http-equiv=refresh]").count() == 0
                    and page.locator("#alternatives .quote").count() > 0):
                return
        except Error:  # the page was reloading under us
            pass
        assert time.monotonic() < deadline, "no quotes after 90 s"
        page.wait_for_timeout(500)


def _subcontract(v: Pages, factory, base: str, order_id: str, seqs: list[int]) -> str:
    """The factory passes operations on from its order page; returns the sub-order's id."""
    v.goto(factory, f"{base}/orders/{order_id}")
    for seq in seqs:
        factory.check(f"#sub-op-{seq}")
    v.click(factory, "#subcontract")
    assert "/quotes" in factory.url, factory.inner_text("main")  # the sub-order's quotes page
    _solved(factory)
    return factory.url.split("/orders/")[1].split("/")[0]


def _consent(v: Pages, factory, base: str, sub_id: str):
    v.goto(factory, f"{base}/orders/{sub_id}")
    v.click(factory, "#name-consent")


def _record_material(v: Pages, factory, base: str, cert, material: str, grade: str, heat: str, quantity: str):
    v.goto(factory, f"{base}/materials")
    factory.select_option("#m-source", "factory_procured")
    factory.fill("#m-material", material)
    factory.fill("#m-grade", grade)
    factory.fill("#m-heat", heat)
    factory.fill("#m-supplier", "宝钢特钢")
    factory.fill("#m-quantity", quantity)
    factory.select_option("#m-unit", "kg")
    factory.set_input_files("#m-cert", str(cert))
    factory.check("input[name=public_cert]")
    v.click(factory, "#record-material")
    assert heat in factory.inner_text("#material-lots"), factory.inner_text("main")


def _start_lot(v: Pages, factory, base: str, order_id: str) -> str:
    v.goto(factory, f"{base}/orders/{order_id}")
    v.click(factory, "#start-lot")
    factory.wait_for_selector("#trace-code")
    return factory.url


def _consume_material(v: Pages, factory, heat: str, quantity: str):
    option = factory.locator("#material_lot_id option", has_text=heat).inner_text()
    factory.select_option("#material_lot_id", label=option)
    factory.fill("#consume-quantity", quantity)
    v.click(factory, "#consume")
    assert WORDS[v.locale]["consumed"] in factory.inner_text(".flash"), factory.inner_text("main")


def _consume_lot(v: Pages, factory, trace_code: str, pieces: int):
    factory.fill("#input_lot", trace_code)
    factory.fill("#input-pieces", str(pieces))
    v.click(factory, "#consume-lot-button")
    assert WORDS[v.locale]["consumed"] in factory.inner_text(".flash"), factory.inner_text("main")


def _run(v: Pages, factory, seqs):
    for seq in seqs:
        v.click(factory, f"#start-{seq}")
        factory.fill(f"#good-{seq}", str(PIECES))
        v.click(factory, f"#finish-{seq}")
        assert factory.locator(f"#finish-{seq}").count() == 0, factory.inner_text("main")


def _final_qc_and_ship(v: Pages, factory, inspector: str, measurement: tuple[str, str, str, str, str]):
    name, value, unit, lower, upper = measurement
    factory.fill("input[name=m_name] >> nth=0", name)
    factory.fill("input[name=m_value] >> nth=0", value)
    factory.fill("input[name=m_unit] >> nth=0", unit)
    factory.fill("input[name=m_lower] >> nth=0", lower)
    factory.fill("input[name=m_upper] >> nth=0", upper)
    factory.fill("#inspector", inspector)
    v.click(factory, "#record-qc")
    factory.fill("#carrier", "顺丰速运")
    factory.fill("#tracking_ref", "SF1234567890")
    v.click(factory, "#ship")
    assert WORDS[v.locale]["shipped"] in factory.inner_text("h1"), factory.inner_text("main")


def _receive(v: Pages, buyer, lot_url: str):
    v.goto(buyer, lot_url)
    v.confirm(buyer, "#confirm-delivery", "delivery")
    assert WORDS[v.locale]["delivered"] in buyer.inner_text("h1")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_bom_order_made_by_three_tiers_is_traced_to_its_material_from_a_scanned_label(
        live_server, browser, shot, chain, tmp_path, locale):
    base, words, v = live_server, WORDS[locale], Pages(locale, shot)
    buyer, maker, heat, lab = (v.signed_in(login(browser, base, who.email, locale)) for who in (
        chain.buyer, chain.maker.tenant, chain.heat.tenant, chain.lab.tenant))

    # tier 0: the buyer posts the pump's rotor group as a BOM order
    order_id = _post_bom_order(v, buyer, base)
    v.click(buyer, "#get-quotes")  # the solver's alternatives, to compare with the bid
    _solved(buyer)

    # the machine shop bids, the buyer counters, the shop accepts the counter, the buyer the bid
    bid_url = _bid_from_board(v, maker, base, "离心泵 CP-80 转子组件", "2400", 16)
    v.goto(buyer, bid_url)
    buyer.fill("#price", "2100")
    buyer.fill("#note", "批量长期合作")
    v.click(buyer, "#send-counter")
    v.goto(buyer, f"{base}/orders/{order_id}")
    v.click(buyer, "#compare-offers")
    assert buyer.locator("tr.offer[data-kind=bid]").count() == 1 and buyer.locator("tr.offer[data-kind=quote]").count() >= 1
    assert "2,100.00" in buyer.inner_text("tr.offer[data-kind=bid] .counter-terms")  # the counter beside the bid
    shot(buyer, "offers-countered")
    v.goto(maker, bid_url)
    assert words["counter"] in maker.inner_text("#counter")
    v.confirm(maker, "#accept-counter", "accept-counter")
    _accept_bid_from_offers(v, buyer, base, order_id, "苏州精工机械")
    shot(buyer, "bid-accepted")

    # tier 1 passes the shaft's heat treatment and hardness test on; tier 2 bids and wins
    sub_id = _subcontract(v, maker, base, order_id, [3, 4])
    _bid_from_board(v, heat, base, "#3, #4", "600", 9)
    _accept_bid_from_offers(v, maker, base, sub_id, "无锡热处理厂")
    # tier 2 passes the hardness test on; tier 3 bids and wins
    subsub_id = _subcontract(v, heat, base, sub_id, [2])
    _bid_from_board(v, lab, base, "#2", "150", 5)
    _accept_bid_from_offers(v, heat, base, subsub_id, "常州检测中心")
    _consent(v, heat, base, sub_id)
    _consent(v, lab, base, subsub_id)

    # the buyer sees the tree of tiers under its order
    v.goto(buyer, f"{base}/orders/{order_id}")
    v.click(buyer, "#tiers-link")
    tiers = buyer.inner_text("#tiers")
    assert "无锡热处理厂" in tiers and "常州检测中心" in tiers, tiers
    assert buyer.inner_text("#tree-promised") in tiers.splitlines()[0]  # every tier promises in time: no delay
    shot(buyer, "tiers")

    # materials with their mill certificates, consumed into the machine shop's lot
    certs = [tmp_path / "mill-certificate-42CrMo4.pdf", tmp_path / "mill-certificate-6061.pdf"]  # public: shown
    for n, cert in enumerate(certs):
        cert.write_bytes(PDF.replace(b"<<>>", b"<<>>%" + bytes([49 + n])))
    _record_material(v, maker, base, certs[0], "合金结构钢棒", "42CrMo4", "HT-24-5521", "80")
    _record_material(v, maker, base, certs[1], "铝合金板", "6061-T6", "AL-24-0917", "50")
    part_url = _start_lot(v, maker, base, order_id)
    part_code = maker.inner_text("#trace-code")
    _consume_material(v, maker, "HT-24-5521", "36.5")
    _consume_material(v, maker, "AL-24-0917", "22")
    _run(v, maker, [1, 2])
    shot(maker, "part-lot-started")

    # tier 2 heat-treats, tier 3 tests hardness and ships back, tier 2 takes its lot in and ships
    heat_url = _start_lot(v, heat, base, sub_id)
    heat_code = heat.inner_text("#trace-code")
    _run(v, heat, [1])
    lab_url = _start_lot(v, lab, base, subsub_id)
    lab_code = lab.inner_text("#trace-code")
    _run(v, lab, [1])
    _final_qc_and_ship(v, lab, "李娜", ("硬度", "30", "HRC", "28", "32"))
    _receive(v, heat, lab_url)
    v.goto(heat, heat_url)
    _consume_lot(v, heat, lab_code, PIECES)
    _run(v, heat, [2])
    _final_qc_and_ship(v, heat, "张伟", ("硬度", "30", "HRC", "28", "32"))
    _receive(v, maker, heat_url)

    # tier 1 takes the treated shafts in, finishes, assembles, inspects and ships; the buyer receives
    v.goto(maker, part_url)
    _consume_lot(v, maker, heat_code, PIECES)
    _run(v, maker, [3, 4, 5])
    _final_qc_and_ship(v, maker, "王芳", ("轴径", "25.004", "mm", "24.990", "25.010"))
    shot(maker, "part-lot-shipped")
    _receive(v, buyer, part_url)

    # the buyer scans the label's QR code from a screenshot, on a phone
    v.click(buyer, "#label")
    scanned = decode_qr(shot(buyer, "label"))
    assert len(scanned) == 1 and scanned[0].startswith(f"{base}/trace/"), scanned
    phone = browser.new_page(locale=locale, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                             is_mobile=True, has_touch=True)
    v.goto(phone, scanned[0])
    assert part_code in phone.inner_text("main")
    tree = phone.inner_text("#genealogy")
    for seen in (words["tree"], "合金结构钢棒", "铝合金板", words["cert"], heat_code, lab_code, *(c.name for c in certs)):
        assert seen in tree, (seen, tree)
    assert "HT-24-5521" not in phone.content() and "宝钢特钢" not in phone.content()  # committed, not shown
    phone.click("#verify")
    phone.wait_for_selector("#verify-result[data-state]")
    result = phone.inner_text("#verify-result")
    assert phone.get_attribute("#verify-result", "data-state") in ("verified", "verified-no-signature"), result
    assert words["ok"] in result
    rows = phone.locator("#genealogy li.entry")
    assert rows.count() >= 10 and phone.locator("#genealogy li.entry.verified").count() == rows.count()
    assert phone.locator("#genealogy li.entry.failed").count() == 0
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390  # no sideways scrolling on the phone
    v.seen(phone)
    shot(phone, "trace-verified-phone")

    assert not v.leaks, f"English UI text on Chinese pages: {v.leaks}"
