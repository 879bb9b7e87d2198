"""The offline provider (the default): bank transfers confirmed by the operator, with the
same states, movements and ledger events as Stripe; disputes; auto-confirmation; the
portal pages and the PDF invoice and payout statement in English and Chinese."""
import io
import os
import pathlib
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from tests.market.payment_world import world  # noqa: F401


def _put(api, url, json):
    return api.client.put(url, json=json, headers=api._headers())


def _login(app, tenant):
    client = app.test_client()
    assert client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"}).status_code == 302
    return client


def _confirm_all(world, oid, kind):
    for m in world.payment(oid)["movements"]:
        if m["kind"] == kind and m["state"] == "pending":
            response = world.operator.post(f"/api/v1/orders/{oid}/movements/confirm",
                                           json={"movement_id": m["id"], "bank_reference": f"BANK-{m['id'][:6]}"})
            assert response.status_code == 200, response.get_json()


def test_offline_the_operator_confirms_the_transfer_in_and_the_payouts_out(world):
    oid = world.order(split=True)
    pay = world.payment(oid, world.buyer)
    assert pay["provider"] == "offline" and pay["state"] == "requires_payment"
    assert pay["bank_details"] and pay["reference"].startswith("SMM-") and pay["client_secret"] is None
    assert world.buyer.post(f"/api/v1/orders/{oid}/payment/confirm", json={}).status_code == 403
    confirmed = world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={"bank_reference": "ICBC-778"},
                                    headers={"Idempotency-Key": "rcpt-1"})
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "captured"
    replay = world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={"bank_reference": "ICBC-778"},
                                 headers={"Idempotency-Key": "rcpt-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={}).status_code == 409
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    pay = world.payment(oid)
    assert {p["state"] for p in pay["payouts"]} == {"releasing"}
    assert sorted(m["amount_minor"] for m in pay["movements"] if m["kind"] == "transfer") == [55800, 95000]
    _confirm_all(world, oid, "transfer")
    pay = world.payment(oid)
    assert {p["state"] for p in pay["payouts"]} == {"paid"}
    balance = world.balance(oid)
    assert balance.holds and (balance.captured, balance.transferred, balance.commission) == (163000, 150800, 12200)


def test_offline_cancel_before_production_refunds_by_bank_and_the_factory_record_is_clean(world):
    oid = world.order(split=False)
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "cancelled")
    assert world.payment(oid)["state"] == "captured"  # the refund is on its way, not done
    _confirm_all(world, oid, "refund")
    assert world.payment(oid)["state"] == "refunded"
    balance = world.balance(oid)
    assert balance.holds and balance.refunded == 100000 and balance.transferred == 0


def test_offline_dispute_with_evidence_then_released_pays_the_factories(world, app):
    oid = world.order(split=False)
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    # the generic move out of 'disputed' is refused until the operator decides
    photo = world.buyer.post(f"/api/v1/orders/{oid}/attachments", data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "qc.pdf")},
                             content_type="multipart/form-data").get_json()
    opened = world.buyer.post(f"/api/v1/orders/{oid}/disputes", json={
        "reason": "surface scratches", "qc_data": "Ra 3.2 measured, 1.6 required", "evidence": [photo["id"]]})
    assert opened.status_code == 201 and opened.get_json()["evidence"] == [photo["id"]]
    refused = world.operator.post(f"/api/v1/orders/{oid}/transitions", json={"to": "delivered"})
    assert refused.status_code == 409 and "decide the dispute" in refused.get_json()["detail"]
    resolved = world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve", json={"outcome": "released"})
    assert resolved.status_code == 200 and resolved.get_json()["outcome"] == "released"
    assert world.buyer.get(f"/api/v1/orders/{oid}").get_json()["state"] == "delivered"
    _confirm_all(world, oid, "transfer")
    assert world.payment(oid)["payouts"][0]["state"] == "paid" and world.balance(oid).holds


def test_shipped_orders_are_confirmed_automatically_after_the_configured_days(world, app):
    from market.db import unit_of_work
    from market.orders.models import OrderEvent
    from market.payments.services import auto_confirm_deliveries

    oid = world.order(split=False)
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    with app.app_context():
        assert auto_confirm_deliveries() == 0  # too early
        with unit_of_work() as s:
            s.execute(update(OrderEvent).where(OrderEvent.to_state == "shipped")
                      .values(at=datetime.now(timezone.utc) - timedelta(days=15)))
            s.commit()
        assert auto_confirm_deliveries() == 1
    order = world.buyer.get(f"/api/v1/orders/{oid}").get_json()
    assert order["state"] == "delivered" and "automatically" in order["history"][-1]["note"]
    assert world.payment(oid)["payouts"][0]["state"] == "releasing"


def test_quotes_show_the_commission_and_a_pro_tier_pays_less(world):
    from tests.conftest import order_body

    order = world.buyer.post("/api/v1/orders", json=order_body()).get_json()
    quote_id = world.put_quote(order["id"], [(world.mill["machines"][0], "cnc_milling_3ax", 100000),
                                             (world.finish["machines"][0], "anodizing", 40000),
                                             (world.finish["machines"][1], "cmm_inspection", 20000)], 3000)
    terms = world.buyer.get(f"/api/v1/quotes/{quote_id}").get_json()["platform_terms"]
    assert terms["commission_minor"] == 12200
    mill = next(f for f in terms["factories"] if f["factory"] == "Mill Works")
    assert (mill["gross_minor"], mill["transport_minor"], mill["net_minor"], mill["tier"]) == (103000, 3000, 95000, "free")
    org = world.mill["tenant"].actor.org_public_id
    assert _put(world.mill["client"], "/api/v1/payments/plans", {"organization_id": str(org), "tier": "pro"}).status_code == 403
    assert _put(world.operator, "/api/v1/payments/plans", {"organization_id": str(org), "tier": "pro"}).status_code == 200
    terms = world.buyer.get(f"/api/v1/quotes/{quote_id}").get_json()["platform_terms"]
    assert next(f for f in terms["factories"] if f["factory"] == "Mill Works")["commission_minor"] == 5000  # 5 %
    rule = _put(world.operator, "/api/v1/payments/commission-rules", {
        "tier": "free", "process_class": "surface_treatment", "percent_bp": 1000, "minimum_minor": 0})
    assert rule.status_code == 200
    terms = world.buyer.get(f"/api/v1/quotes/{quote_id}").get_json()["platform_terms"]
    assert terms["commission_minor"] == 5000 + 4000 + 1000
    bad = _put(world.operator, "/api/v1/payments/commission-rules", {"tier": "free", "process_class": "juggling",
                                                                   "percent_bp": 100})
    assert bad.status_code == 422 and "process_class" in bad.get_json()["errors"]


def test_portal_pages_for_buyer_factory_and_operator(world, app):
    oid = world.order(split=True)
    buyer, operator = _login(app, world.buyer_t), _login(app, world.operator_t)
    factory = _login(app, world.mill["tenant"])
    page = buyer.get(f"/orders/{oid}/payment").get_data(as_text=True)
    assert 'id="bank-transfer"' in page and world.payment(oid)["reference"] in page
    assert f'/orders/{oid}/payment' in buyer.get(f"/orders/{oid}").get_data(as_text=True)
    asked = operator.post(f"/orders/{oid}/payment/confirm", data={"bank_reference": "X1"}).get_data(as_text=True)
    assert "Please confirm" in asked and 'name="bank_reference" value="X1"' in asked  # asked first, X1 carried through
    assert world.payment(oid)["state"] == "requires_payment"
    page = operator.post(f"/orders/{oid}/payment/confirm", data={"bank_reference": "X1", "confirmed": "1"},
                         follow_redirects=True)
    assert "Payment received" in page.get_data(as_text=True)
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    console = operator.get("/operator/revenue").get_data(as_text=True)
    assert "¥1,630.00" in console and console.count('name="movement_id"') == 2
    movement = next(m for m in world.payment(oid)["movements"] if m["kind"] == "transfer")
    operator.post(f"/orders/{oid}/movements/confirm", data={"movement_id": movement["id"], "bank_reference": "B2",
                                                            "back": "revenue", "confirmed": "1"})
    assert operator.get("/operator/revenue").get_data(as_text=True).count('name="movement_id"') == 1
    balance = factory.get("/payments/balance").get_data(as_text=True)
    assert "Payout account" in balance and "bank transfer" in balance
    assert factory.get("/operator/revenue").status_code == 403
    zh = _login(app, world.buyer_t)
    zh.post("/lang/zh_CN")
    assert "银行转账" in zh.get(f"/orders/{oid}/payment").get_data(as_text=True)


def test_the_invoice_and_payout_statement_print_in_english_and_chinese(world, app):
    from market.pdf import page_images

    oid = world.order(split=True)
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    sizes = {}
    for lang in ("en", "zh_CN"):
        response = world.buyer.get(f"/api/v1/orders/{oid}/invoice.pdf?lang={lang}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        pdf = response.get_data()
        assert pdf.startswith(b"%PDF")
        (image,) = page_images(pdf)
        ink = sum(image.convert("L").histogram()[:128])  # dark pixels
        assert ink > 5000, (lang, ink)  # text and tables were drawn, not a blank page
        sizes[lang] = pdf
        out = pathlib.Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))
        out.mkdir(parents=True, exist_ok=True)
        image.save(out / f"invoice-{lang}.png")  # to look at
    assert sizes["en"] != sizes["zh_CN"]
    # a commercial invoice, not a fapiao; scheduled times in each factory's zone, not UTC
    _text_in(sizes["en"], ["Commercial invoice", "Not a VAT invoice", "¥1,630.00", "Mill Works", "Asia/Shanghai"],
             absent=["UTC"])
    _text_in(sizes["zh_CN"], ["结算单", "不是增值税发票", "¥1,630.00", "Asia/Shanghai"], absent=["UTC"])
    mill_id = world.mill["factory"]["id"]
    statement = world.mill["client"].get(f"/api/v1/orders/{oid}/payouts/{mill_id}/statement.pdf?lang=zh_CN")
    assert statement.status_code == 200
    _text_in(statement.get_data(), ["¥950.00", "¥80.00"])
    # a factory gets only its own statement, and no invoice
    assert world.finish["client"].get(f"/api/v1/orders/{oid}/payouts/{mill_id}/statement.pdf").status_code == 404
    assert world.finish["client"].get(f"/api/v1/orders/{oid}/invoice.pdf").status_code == 404


def _text_in(pdf: bytes, needles, absent=()):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    for needle in needles:
        assert needle in text, (needle, text[:500])
    for needle in absent:
        assert needle not in text, (needle, text[:500])


def test_other_tenants_see_no_payment(world, tenant, api):
    oid = world.order(split=False)
    stranger = api(tenant("buyer"))
    assert stranger.get(f"/api/v1/orders/{oid}/payment").status_code == 404
    assert stranger.get(f"/api/v1/orders/{oid}/invoice.pdf").status_code == 404
    # a factory invited to quote but not booked sees no payment either
    assert world.finish["client"].get(f"/api/v1/orders/{oid}/payment").status_code == 404
    assert world.mill["client"].get(f"/api/v1/orders/{oid}/payment").status_code == 200
    assert world.mill["client"].get("/api/v1/payouts").get_json()["total"] == 1
    assert world.finish["client"].get("/api/v1/payouts").get_json()["total"] == 0


def test_the_payment_page_tells_the_buyer_when_production_may_start(world, app):
    """With PAYMENT_BEFORE_PRODUCTION=0 (the default) a factory may start before the money is in:
    the page must not promise otherwise, in English or Chinese."""
    oid = world.order(split=False)
    buyer = _login(app, world.buyer_t)
    page = buyer.get(f"/orders/{oid}/payment").get_data(as_text=True)  # the world sets it to 1
    assert "Production starts once the platform has confirmed receipt" in page
    assert world.payment(oid, world.buyer)["production_waits_for_payment"] is True
    app.config["PAYMENT_BEFORE_PRODUCTION"] = False
    page = buyer.get(f"/orders/{oid}/payment").get_data(as_text=True)
    assert "Production starts once" not in page
    assert "may start production before your transfer arrives" in page
    assert world.payment(oid, world.buyer)["production_waits_for_payment"] is False
    buyer.post("/lang/zh_CN")
    zh = buyer.get(f"/orders/{oid}/payment").get_data(as_text=True)
    assert "平台确认收款后开始生产" not in zh and "工厂可能在您的转账到账前开始生产" in zh
