"""The zh-CN pages the forms work touched (pickers, confirmations, kept values, empty states)
show no English UI text: the English-text finder over each, with a form's error state too."""
import pytest

from tests.conftest import order_body
from tests.e2e.ui_text import english_on
from tests.market.test_production import accepted  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _login(browser, live_server, email):
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/login")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return page


def test_the_touched_pages_read_in_chinese(live_server, browser, shot, api, tenant, accepted, two_sites):  # noqa: F811
    buyer_api, _mill, _finish, order = accepted
    mill = two_sites[0]
    lender = tenant("lender", "工商银行")
    api(mill["tenant"]).post("/api/v1/credit/consents", json={
        "factory_id": mill["factory"]["id"], "lender_id": str(lender.actor.org_public_id), "purpose": "equipment_financing"})
    data = ["Mill Works", "Finish Lab", "Mill Works-0", "Finish Lab-0", "Finish Lab-1", "Bracket", "BR-1", "6061",
            "Test Works", "1 Test Road", "Suzhou", "ISO9001", "factory user", "factory org", "buyer user", "buyer org",
            "lender user", "Op", "Ops", "tests", "tests-read", "Test", "Works",
            "kg", "mm"]  # what the parties typed; SI units, written so in Chinese too
    leaks = {}

    def look(page, name):
        page.wait_for_load_state()
        found = english_on(page, data)
        if found:
            leaks[name] = found
        shot(page, name)

    factory = _login(browser, live_server, mill["tenant"].email)
    for name, url in (("credit", "/credit"), ("materials", "/materials"), ("orders", "/orders"), ("board", "/board"),
                      ("machine", f"/machines/{mill['machines'][0]['id']}"), ("factory", f"/factories/{mill['factory']['id']}")):
        factory.goto(live_server + url)
        look(factory, name)
    factory.goto(live_server + "/credit")  # a refused application: the page again, values kept, messages in Chinese
    factory.select_option("#kind", "order")
    factory.fill("#amount", "十万")
    factory.fill("#a_purpose", "周转")
    with factory.expect_navigation():
        factory.click("form[action='/credit/applications'] button[type=submit]")
    assert factory.input_value("#a_purpose") == "周转" and factory.locator("p.err").count() >= 1
    look(factory, "credit-refused")

    bank = _login(browser, live_server, lender.email)
    bank.goto(live_server + "/leases")
    look(bank, "leases")

    buyer = _login(browser, live_server, buyer_api.email)
    other = buyer_api.post("/api/v1/orders", json=order_body(title="Bracket")).get_json()
    buyer.goto(f"{live_server}/orders/{other['id']}")
    buyer.click("#to-cancelled")
    buyer.locator("dialog.confirm-dialog[open]").wait_for(state="visible")
    look(buyer, "cancel-dialog")

    operator = _login(browser, live_server, tenant("operator").email)
    operator.goto(live_server + "/operator/revenue")
    look(operator, "revenue")
    assert not leaks, leaks
