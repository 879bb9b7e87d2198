"""In a browser: a factory records a material lot with its mill certificate and consumes it
into a part lot (which also consumed a component lot); a visitor opens the part lot's public
trace page, sees the genealogy tree down to the material lots, and verifies every entry of it
in the browser; a server that forges a material entry is caught."""
import base64
import json

import pytest

from tests.e2e.test_journey_production import login
from tests.market.test_materials import new_lot, record
from tests.market.test_production import accepted, make_lot  # noqa: F401 - fixture

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WORDS = {"en-US": {"ok": "Verified", "tree": "Materials and components", "cert": "Material certificate",
                   "done": "Consumption recorded."},
         "zh-CN": {"ok": "已验证", "tree": "材料与组件", "cert": "材质证明书", "done": "投料已记录。"}}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_visitor_sees_and_verifies_the_genealogy_of_a_part_lot(live_server, browser, shot, accepted, two_sites,  # noqa: F811
                                                                  tmp_path, locale):
    buyer, mill_api, finish_api, order = accepted
    words = WORDS[locale]
    # a component lot made from bar stock (API), and the part lot that will contain it
    bar = record(mill_api, material="Steel bar", grade="42CrMo4", heat_number="BAR-77", quantity="40")
    component = new_lot(mill_api, order, 20)
    assert mill_api.post(f"/api/v1/lots/{component['id']}/inputs",
                         json={"material_lot_id": bar["id"], "quantity": "15"}).status_code == 201
    lot, url = make_lot(buyer, mill_api, finish_api, order, quantity=50)
    assert mill_api.post(f"{url}/inputs", json={"input_lot": component["trace_code"], "pieces": 20}).status_code == 201

    # the mill records a plate heat with its mill certificate in the portal, and consumes it
    cert = tmp_path / "mill-certificate.pdf"  # a public name: it is shown
    cert.write_bytes(PDF)
    mill = login(browser, live_server, two_sites[0]["tenant"].email, locale)
    mill.goto(f"{live_server}/materials")
    mill.select_option("#m-source", "factory_procured")
    mill.fill("#m-material", "Aluminium plate")
    mill.fill("#m-grade", "6061-T6")
    mill.fill("#m-heat", "PL-0917")
    mill.fill("#m-supplier", "西南铝业")
    mill.fill("#m-quantity", "125.5")
    mill.select_option("#m-unit", "kg")
    mill.set_input_files("#m-cert", str(cert))
    mill.check("input[name=public_cert]")
    mill.click("#record-material")
    assert "PL-0917" in mill.inner_text("#material-lots"), mill.inner_text("main")
    shot(mill, "materials")
    mill.goto(f"{live_server}/lots/{lot['id']}")
    mill.select_option("#material_lot_id", label=mill.locator("#material_lot_id option", has_text="PL-0917").inner_text())
    mill.fill("#consume-quantity", "130")  # more than the 125.5 kg there are
    with mill.expect_navigation():
        mill.click("#consume")
    # refused beside the quantity (422), with the lot and the quantity typed kept
    assert "125.5 kg" in mill.inner_text("#consume-material [data-error-for=quantity]")
    assert mill.input_value("#consume-quantity") == "130"
    assert "PL-0917" in mill.locator("#material_lot_id option:checked").inner_text()
    mill.fill("#consume-quantity", "62.75")
    mill.click("#consume")
    assert words["done"] in mill.inner_text(".flash")
    assert "62.75 kg" in mill.inner_text("#materials")
    shot(mill, "lot-materials")

    # a visitor with the trace code
    page = browser.new_page(locale=locale)
    page.goto(f"{live_server}/trace/{lot['trace_code']}")
    tree = page.inner_text("#genealogy")
    assert words["tree"] in tree and "Aluminium plate" in tree and "Steel bar" in tree
    assert component["trace_code"] in tree and words["cert"] in tree
    assert "PL-0917" not in page.content() and "西南铝业" not in page.content()  # committed, not shown
    page.click("#verify")
    page.wait_for_selector("#verify-result[data-state]")
    result = page.inner_text("#verify-result")
    assert page.get_attribute("#verify-result", "data-state") in ("verified", "verified-no-signature"), result
    assert words["ok"] in result
    rows = page.locator("#genealogy li.entry")
    assert rows.count() >= 6 and page.locator("#genealogy li.entry.verified").count() == rows.count()
    assert page.locator("#genealogy li.entry.failed").count() == 0
    # the public mill certificate downloads from the tree
    with page.expect_download() as download:
        page.click("#genealogy .document a")
    assert open(download.value.path(), "rb").read() == PDF
    shot(page, "genealogy-verified")

    # a server that forges a material entry (another grade) is caught on that row
    forged = browser.new_page(locale=locale)

    def tamper(route):
        body = route.fetch().json()
        m = next(e for e in body["entries"] if e["event"]["type"] == "material.received"
                 and e["event"]["what"]["material"] == "Steel bar")
        m["entry"] = base64.b64encode(base64.b64decode(m["entry"]).replace(b"42CrMo4", b"42CrMo5")).decode()
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    forged.route("**/api/v1/trace/*", tamper)
    forged.goto(f"{live_server}/trace/{lot['trace_code']}")
    forged.click("#verify")
    forged.wait_for_selector("#verify-result[data-state]")
    assert forged.get_attribute("#verify-result", "data-state") == "failed"
    assert forged.locator("#genealogy li.entry.failed").count() == 1
    shot(forged, "genealogy-forged")
