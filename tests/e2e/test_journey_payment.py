"""In a browser: the buyer sees the bank-transfer instructions (zh-CN), the operator confirms
receipt on the payment page, the buyer opens a dispute with a reason and QC data."""
import pytest

from tests.market.payment_world import world  # noqa: F401

pytestmark = pytest.mark.browser


def _login(browser, live_server, tenant, locale):
    page = browser.new_page(locale=locale)
    page.goto(f"{live_server}/login")
    page.fill("#email", tenant.email)
    page.fill("#password", "correct-horse-1")
    page.click("main button[type=submit]")
    return page


WORDS = {"zh-CN": {"bank": "银行转账", "received": "已确认收款", "paid": "已付款", "resolved": "争议已解决"},
         "en-US": {"bank": "bank transfer", "received": "Payment received", "paid": "Paid",
                   "resolved": "Dispute resolved"}}


@pytest.mark.parametrize("buyer_locale,operator_locale", [("zh-CN", "en-US"), ("en-US", "zh-CN")])
def test_bank_transfer_payment_receipt_and_a_dispute_in_the_portal(live_server, browser, shot, world, buyer_locale,
                                                                   operator_locale):
    said, heard = WORDS[buyer_locale], WORDS[operator_locale]
    oid = world.order(split=True)
    buyer = _login(browser, live_server, world.buyer_t, buyer_locale)
    buyer.goto(f"{live_server}/orders/{oid}/payment")
    assert said["bank"] in buyer.inner_text("#bank-transfer")
    assert world.payment(oid)["reference"] in buyer.inner_text("#pay-reference")
    shot(buyer, "bank-transfer")

    operator = _login(browser, live_server, world.operator_t, operator_locale)
    operator.goto(f"{live_server}/orders/{oid}/payment")
    operator.fill("#bank_reference", "ICBC-20261122-001")
    operator.click("#confirm-receipt")  # asks first, in a dialog (the typed reference goes with "go")
    operator.click("#confirm-confirm-receipt-go")
    operator.wait_for_selector(f"text={heard['received']}")
    assert operator.inner_text("#pay-state") == heard["paid"]
    for to in ("in_production", "shipped"):
        world.move(oid, to)
    buyer.goto(f"{live_server}/orders/{oid}/payment")
    buyer.fill("#reason", "10 件孔径超差")
    buyer.fill("#qc_data", "bore 10.08 / 10.09 mm, spec 10.00 ± 0.02")
    buyer.click("#open-dispute")
    buyer.click("#confirm-open-dispute-go")
    buyer.wait_for_selector("#disputes .dispute")
    assert "10 件孔径超差" in buyer.inner_text("#disputes")
    assert {p["state"] for p in world.payment(oid)["payouts"]} == {"frozen"}
    shot(buyer, "dispute")
    operator.goto(f"{live_server}/orders/{oid}/payment")
    operator.select_option("#outcome", "partial_refund")
    operator.fill("#refund", "163.00")  # typed in yuan
    operator.click("#resolve-form button[type=submit]")
    operator.click("#confirm-resolve-go")
    operator.wait_for_selector(f"text={heard['resolved']}")
    shot(operator, "resolved")
    assert world.balance(oid).pending == 3  # two reduced payouts and the refund wait for the bank
    for m in world.payment(oid)["movements"]:
        if m["state"] == "pending":
            world.operator.post(f"/api/v1/orders/{oid}/movements/confirm", json={"movement_id": m["id"]})
    balance = world.balance(oid)
    assert balance.holds and balance.pending == 0 and balance.refunded == 16300
