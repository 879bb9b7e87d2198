"""File inputs read in the page's language (Chromium's own button says "Choose Files" whatever
the page's language), and an irreversible action on typed input asks first, with JavaScript in
a dialog and without it on the confirm page, carrying what was typed."""
import pytest

from tests.conftest import FACTORY

pytestmark = pytest.mark.browser


def _login(browser, live_server, email, *, js=True):
    page = browser.new_context(locale="zh-CN", java_script_enabled=js, viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return page


def test_a_file_input_reads_in_chinese_and_still_takes_a_file(live_server, browser, shot, api, tenant, tmp_path):
    owner = tenant("factory", "华东精工")
    api(owner).post("/api/v1/factories", json=FACTORY)
    page = _login(browser, live_server, owner.email)
    page.goto(f"{live_server}/materials")
    button = page.locator("label[for='m-cert']")
    assert button.inner_text() == "选择文件" and button.is_visible()
    native = page.locator("#m-cert")
    assert native.bounding_box()["width"] <= 1  # the browser's English button is not shown
    assert page.locator("#m-cert-caption").inner_text() == "材质证明书(可选)"
    cert = tmp_path / "cert.pdf"
    cert.write_bytes(b"%PDF-1.4\n%%EOF\n")
    native.set_input_files(str(cert))
    assert page.locator("#material-form .file-names").inner_text() == "cert.pdf"
    page.locator("#material-form").scroll_into_view_if_needed()
    shot(page, "materials-file-input")
    # the keyboard reaches it: Tab from the field before lands on the (hidden) input, its label shows the focus
    page.focus("#m-unit")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "m-cert"


def test_the_commission_minimum_is_typed_and_read_in_yuan(live_server, browser, shot, tenant):
    page = _login(browser, live_server, tenant("operator", "平台运营").email)
    page.goto(f"{live_server}/operator/revenue")
    page.fill("#rule-form input[name=percent]", "7.5")
    page.fill("#rule-form input[name=minimum]", "12.50")
    with page.expect_navigation():
        page.click("#rule-form button[type=submit]")
    assert "¥12.50" in page.locator("#rules table").inner_text()  # 1250 fen, typed and shown in yuan
    shot(page, "rule-in-yuan")


@pytest.mark.parametrize("js", [True, False], ids=["dialog", "no-js"])
def test_a_decision_on_typed_figures_asks_first_and_carries_them(live_server, browser, shot, api, tenant, js):
    owner, lender = tenant("factory", "华东精工"), tenant("lender", "工商银行")
    factory = api(owner).post("/api/v1/factories", json=FACTORY).get_json()
    assert api(owner).post("/api/v1/credit/consents", json={
        "factory_id": factory["id"], "lender_id": str(lender.actor.org_public_id),
        "purpose": "equipment_financing"}).status_code == 201
    application = api(owner).post("/api/v1/financing-applications", json={
        "factory_id": factory["id"], "lender_id": str(lender.actor.org_public_id), "kind": "equipment",
        "amount_minor": 12_000_000, "term_months": 12, "purpose": "五轴机床"}).get_json()
    page = _login(browser, live_server, lender.email, js=js)
    page.goto(f"{live_server}/credit")
    form = f"#approve-{application['id']}"
    page.fill(f"{form} input[name=amount]", "90000.00")
    page.fill(f"{form} input[name=rate]", "6.5")
    go = f"#confirm-approve-{application['id']}-go-go"
    if js:  # the dialog asks in place; nothing is posted before "go"
        page.click(f"{form} button[type=submit]")
        assert page.locator(f"#confirm-approve-{application['id']}-go").is_visible()
        shot(page, "decision-dialog")
        with page.expect_navigation():
            page.click(go)
    else:  # the form posts; the confirm page carries the typed figures through
        with page.expect_navigation():
            page.click(f"{form} button[type=submit]")
        assert page.locator(".confirm-page").is_visible()
        assert page.locator(".confirm-form input[name=amount]").input_value() == "90000.00"
        assert page.locator(".confirm-form input[name=rate]").input_value() == "6.5"
        assert "¥90,000.00" in page.locator(".confirm-question").inner_text()
        shot(page, "decision-confirm-page")
        with page.expect_navigation():
            page.click(".confirm-page .confirm-go")
    decided = api(lender).get(f"/api/v1/financing-applications/{application['id']}").get_json()
    assert decided["status"] == "approved" and decided["approved_amount_minor"] == 9_000_000 and decided["rate_bp"] == 650
