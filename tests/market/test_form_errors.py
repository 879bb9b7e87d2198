"""Every portal form, given bad input in zh-CN and in English, comes back with what was typed
and field messages in the page's language: marshmallow's own messages ("Missing data for
required field.", "Not a valid integer.") too, through the catalogue (market/web/validation.py);
the API keeps them English."""
import html
import io
import re
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.conftest import FACTORY, order_body
from tests.market.test_leasing import world  # noqa: F401  (fixture)
from tests.market.test_production import accepted, make_lot  # noqa: F401  (fixture)
from tests.market.test_ratings import delivered  # noqa: F401  (fixture)
from tests.market.subcontract_world import tiers  # noqa: F401  (fixture)

MARSHMALLOW_ENGLISH = ("Missing data for required field.", "Not a valid integer.", "Not a valid number.",
                       "Unknown field.", "Field may not be null.", "Not a valid email address.", "Not a valid URL.",
                       "Length must be", "Longer than maximum length", "Must be greater", "Must be less",
                       "Must be one of", "Not a valid date", "Not a valid UUID.")
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Case:
    url: str  # where the form posts (and, for most, where it is shown)
    data: dict  # bad input: one field typed wrong, another typed well and to be kept
    kept: str  # a typed value that must come back in the form
    wrong: str  # a field that must carry a message
    files: dict | None = None  # uploads sent with the form: name -> (bytes, filename)


def _login(app, email, language):
    client = app.test_client()
    headers = {"Accept-Language": language}
    assert client.post("/login", data={"email": email, "password": "correct-horse-1"}, headers=headers).status_code == 302
    return client, headers


def _factory_world(api, tenant):
    owner = tenant("factory", "华东精工")
    client = api(owner)
    factory = client.post("/api/v1/factories", json=FACTORY).get_json()
    machine = client.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "VF-2",
                                                    "processes": ["cnc_milling_3ax"]}).get_json()
    return owner, factory, machine


def _signup(app, api, tenant, get):
    return None, Case("/signup", {"kind": "buyer", "organization_name": "杭州泵业", "name": "王芳", "email": "not-an-email",
                                  "password": "correct-horse-1"}, "杭州泵业", "email")


def _team(app, api, tenant, get):
    return tenant("buyer").email, Case("/settings/team", {"name": "李雷", "email": "nobody"}, "李雷", "email")


def _token(app, api, tenant, get):
    return tenant("buyer").email, Case("/settings/tokens", {"name": "ERP 接口", "scope": "admin"}, "ERP 接口", "scope")


def _factory_new(app, api, tenant, get):
    return tenant("factory").email, Case("/factories/new", {**{k: str(v) for k, v in FACTORY.items() if k != "certifications"},
                                                            "name": "苏州精工", "latitude": "north"}, "苏州精工", "latitude")


def _machine_new(app, api, tenant, get):
    owner, factory, _machine = _factory_world(api, tenant)
    return owner.email, Case(f"/factories/{factory['id']}/machines/new", {"name": "车床 CK6150", "processes": "cnc_turning",
                                                                         "envelope_x_mm": "wide"}, "车床 CK6150", "envelope_x_mm")


def _factory_edit(app, api, tenant, get):
    owner, factory, _machine = _factory_world(api, tenant)
    return owner.email, Case(f"/factories/{factory['id']}/edit", {**{k: str(v) for k, v in FACTORY.items() if k != "certifications"},
                                                                  "name": "苏州精工二厂", "longitude": "east"},
                             "苏州精工二厂", "longitude")


def _machine_edit(app, api, tenant, get):
    owner, _factory, machine = _factory_world(api, tenant)
    return owner.email, Case(f"/machines/{machine['id']}/edit", {"name": "立式加工中心", "processes": "cnc_milling_3ax",
                                                                 "envelope_y_mm": "deep"}, "立式加工中心", "envelope_y_mm")


def _window(app, api, tenant, get):
    from tests.conftest import portal_day
    owner, _factory, machine = _factory_world(api, tenant)
    return owner.email, Case(f"/machines/{machine['id']}/windows", {
        "kind": "single", "start": portal_day(3) + "T08:00", "end": portal_day(3) + "T16:00", "pricing_mode": "per_hour",
        "price": "150", "min_lot": "many"}, "150", "min_lot")


def _order(app, api, tenant, get):
    from tests.conftest import portal_day
    return tenant("buyer").email, Case("/orders/new", {
        "title": "离心泵叶轮", "part_number": "CP-80", "material": "6061", "quantity": "lots", "due_at": portal_day(30),
        "currency": "CNY", "op_process_1": "cnc_milling_3ax", "op_setup_1": "30", "op_run_1": "5"}, "离心泵叶轮", "quantity")


def _bid(app, api, tenant, get):
    from tests.conftest import portal_day
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(title="泵体")).get_json()
    owner, _factory, _machine = _factory_world(api, tenant)
    return owner.email, Case(f"/orders/{order['id']}/bid", {"price": "1500", "promised_at": "someday",
                                                             "expires_at": portal_day(5), "conditions": "苏州交货"},
                             "苏州交货", "promised_at")


def _bid_revision(app, api, tenant, get):
    from tests.conftest import portal_day
    from tests.market.test_bidding import bid_body
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(title="泵盖", operations=[  # one the bidder can make whole
        {"process_code": "cnc_milling_3ax", "setup_minutes": 60, "run_minutes_per_unit": 2.5}])).get_json()
    owner, _factory, _machine = _factory_world(api, tenant)
    bid = api(owner).post(f"/api/v1/orders/{order['id']}/bids", json=bid_body())
    assert bid.status_code == 201, bid.get_json()
    return owner.email, Case(f"/bids/{bid.get_json()['id']}/revise", {"price": "1400", "promised_at": "soon",
                                                                      "expires_at": portal_day(5), "conditions": "含运费"},
                             "含运费", "promised_at")


def _webhook(app, api, tenant, get):
    owner = tenant("factory")
    return owner.email, Case("/settings/webhooks", {"channel": "standard", "url": "not a url", "description": "ERP 接口",
                                                    "kinds": "order.booked"}, "ERP 接口", "url")


def _credit_application(app, api, tenant, get):
    owner, factory, _machine = _factory_world(api, tenant)
    lender = tenant("lender", "工商银行")
    return owner.email, Case("/credit/applications", {"factory_id": factory["id"], "lender_id": str(lender.actor.org_public_id),
                                                      "kind": "equipment", "amount": "120000", "term_months": "many",
                                                      "purpose": "购置五轴机床"}, "购置五轴机床", "term_months")


def _lease_offer(app, api, tenant, get):
    w = get("world")
    return w["lessor_tenant"].email, Case("/leases", {
        "factory_id": w["factory"]["id"], "machine_id": w["machine"]["id"], "kind": "new", "supplier_id": w["supplier_id"],
        "schedule": "fixed", "term_months": "a year", "price": "480000", "fixed": "9000"}, "480000", "term_months")


def _consent(app, api, tenant, get):
    w = get("world")
    return w["owner"].email, Case("/credit/consents", {"factory_id": w["factory"]["id"], "lender_id": str(w["lessor_tenant"].actor.org_public_id),
                                                       "purpose": "equipment_financing", "days": "400"}, "400", "days")


def _application(w):
    r = w["lessee"].post("/api/v1/financing-applications", json={
        "factory_id": w["factory"]["id"], "lender_id": str(w["lessor_tenant"].actor.org_public_id), "kind": "equipment",
        "amount_minor": 12_000_000, "term_months": 12, "purpose": "five-axis"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _approval(app, api, tenant, get):
    w = get("world")
    aid = _application(w)
    return w["lessor_tenant"].email, Case(f"/credit/applications/{aid}/decision", {"approve": "1", "amount": "90000.00",
                                                                                   "rate": "lots"}, "90000.00", "rate")


def _decline(app, api, tenant, get):
    w = get("world")
    aid = _application(w)
    return w["lessor_tenant"].email, Case(f"/credit/applications/{aid}/decision", {"approve": "0", "reasons": "x" * 301},
                                          "x" * 301, "reasons.0")


def _operator(tenant):
    return tenant("operator", "平台运营")


def _commission_rule(app, api, tenant, get):
    return _operator(tenant).email, Case("/operator/commission-rules", {"tier": "pro", "percent": "7.5", "minimum": "ten"},
                                         "7.5", "minimum")


def _plan(app, api, tenant, get):
    return _operator(tenant).email, Case("/operator/plans", {"organization_id": "", "tier": "pro"},
                                         'value="pro" selected', "organization_id")


def _shift_calendar(app, api, tenant, get):
    owner, factory, _machine = _factory_world(api, tenant)
    return owner.email, Case(f"/factories/{factory['id']}/telemetry/calendar", {"day0": "25:00-26:00", "day1": "07:30-19:30"},
                             "07:30-19:30", "day0")


def _closure(app, api, tenant, get):
    owner, factory, _machine = _factory_world(api, tenant)
    return owner.email, Case(f"/factories/{factory['id']}/telemetry/closures",
                             {"first_day": "2026-10-08", "last_day": "2026-10-07", "reason": "年度检修"}, "年度检修", "last_day")


def _ideal_cycle(app, api, tenant, get):
    owner, _factory, machine = _factory_world(api, tenant)
    return owner.email, Case(f"/machines/{machine['id']}/telemetry-profile", {"ideal_cycle_s": "fast"}, "fast", "ideal_cycle_s")


def _device(app, api, tenant, get):
    owner, _factory, machine = _factory_world(api, tenant)
    return owner.email, Case(f"/machines/{machine['id']}/devices", {"name": "边缘网关" * 30}, "边缘网关" * 30, "name")


def _material_lot(app, api, tenant, get):
    owner, _factory, _machine = _factory_world(api, tenant)
    return owner.email, Case("/materials", {"source": "factory", "material": "铝合金", "heat_number": "H-778",
                                            "quantity": "lots", "unit": "kg"}, "铝合金", "quantity")


def _material_certificate(app, api, tenant, get):
    from tests.market.test_materials import record
    owner, _factory, _machine = _factory_world(api, tenant)
    m = record(api(owner))
    # nothing typed: a browser never refills a file input, so only the message is checked
    return owner.email, Case(f"/materials/{m['id']}/documents", {"kind": "material_cert"}, "", "file",
                             files={"file": (b"MZ\x90\x00", "setup.exe")})


def _lot_document(app, api, tenant, get):
    _buyer, finish, _order, lot, _url = _lot(get)
    return finish.email, Case(f"/lots/{lot['id']}/documents", {"kind": "coc", "public": "1"},
                              'value="coc" selected', "file", files={"file": (b"MZ\x90\x00", "setup.exe")})


def _lot(get):
    buyer, mill, finish, order = get("accepted")
    finish.email = get("two_sites")[1]["tenant"].email  # Finish Lab makes the last operations
    lot, url = make_lot(buyer, mill, finish, order)
    return buyer, finish, order, lot, url


def _qc(app, api, tenant, get):
    _buyer, finish, _order, lot, _url = _lot(get)
    return finish.email, Case(f"/lots/{lot['id']}/qc", {"inspector": "王检验", "result": "pass", "m_name": ["孔径", ""],
                                                        "m_value": ["", ""], "m_unit": ["mm", ""], "m_lower": ["", ""],
                                                        "m_upper": ["", ""]}, "王检验", "m.0.value")


def _mill_lot(get):
    """A lot whose first operation Mill Works has started (its finish form is on the lot page)."""
    _buyer, mill, _finish, order = get("accepted")
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={}).get_json()
    assert mill.post(f"/api/v1/lots/{lot['id']}/operations/1/start", json={}).status_code == 200
    return get("two_sites")[0]["tenant"].email, lot


def _finish_operation(app, api, tenant, get):
    email, lot = _mill_lot(get)
    return email, Case(f"/lots/{lot['id']}/operations/1/finish", {"good": "98", "rejected": "many"}, "98", "rejected")


def _start_lot(app, api, tenant, get):
    _buyer, _mill, _finish, order = get("accepted")
    return get("two_sites")[0]["tenant"].email, Case(f"/orders/{order['id']}/lots", {"quantity": "101"}, "101", "quantity")


def _consume(app, api, tenant, get):
    _buyer, finish, _order, lot, _url = _lot(get)
    return finish.email, Case(f"/lots/{lot['id']}/inputs", {"input_lot": "ABCD-EFGH-JKLM", "pieces": "many"},
                              "ABCD-EFGH-JKLM", "pieces")


def _required_documents(app, api, tenant, get):
    buyer, _mill, _finish, order = get("accepted")
    return buyer.email, Case(f"/orders/{order['id']}/required-documents", {"documents": ["coc", "x-ray"]},
                             'value="coc" id="require-coc" checked', "documents")


def _subcontract(app, api, tenant, get):
    w = get("tiers")
    root = w.order()
    return w.finish["tenant"].email, Case(f"/orders/{root}/subcontract", {"operation_seqs": ["2", "9"]},
                                              'value="2" id="sub-op-2" checked', "operation_seqs")


def _insurance_offer(app, api, tenant, get):
    from tests.conftest import portal_day
    return tenant("insurer", "平安财险").email, Case("/insurance", {"coverage": "breakdown", "start_day": portal_day(1),
                                                                 "term_months": "many", "sum_insured": "500000"},
                                                  "500000", "term_months")


def _claim_decision(app, api, tenant, get):
    from tests.market.test_insurance import filed_claim, issued, make_world
    w = make_world(app, api, tenant)
    claim = filed_claim(app, w, issued(app, w))
    return w["insurer_tenant"].email, Case(f"/insurance-claims/{claim.public_id}/decision",
                                           {"approve": "true", "approved": "a lot"}, "a lot", "approved")


def _claim_rejection(app, api, tenant, get):
    from tests.market.test_insurance import filed_claim, issued, make_world
    w = make_world(app, api, tenant)
    claim = filed_claim(app, w, issued(app, w))
    return w["insurer_tenant"].email, Case(f"/insurance-claims/{claim.public_id}/decision",
                                           {"approve": "false", "reason": "  "}, "", "reason")


def _notification_settings(app, api, tenant, get):
    return tenant("buyer").email, Case("/settings/notifications", {"quiet_start": "25:00", "quiet_end": "07:00",
                                                                   "time_zone": "Asia/Shanghai"}, "07:00", "quiet_start")


def _drawing(app, api, tenant, get):
    owner = tenant("buyer")
    order = api(owner).post("/api/v1/orders", json=order_body(title="泵体")).get_json()
    # nothing typed: a browser never refills a file input, so only the message is checked
    return owner.email, Case(f"/orders/{order['id']}/attachments", {}, "", "file",
                             files={"file": (b"MZ\x90\x00", "setup.exe")})


def _bid_document(app, api, tenant, get):
    from tests.market.test_bidding import bid_body
    order = api(tenant("buyer")).post("/api/v1/orders", json=order_body(title="泵盖", operations=[
        {"process_code": "cnc_milling_3ax", "setup_minutes": 60, "run_minutes_per_unit": 2.5}])).get_json()
    owner, _factory, _machine = _factory_world(api, tenant)
    bid = api(owner).post(f"/api/v1/orders/{order['id']}/bids", json=bid_body())
    assert bid.status_code == 201, bid.get_json()
    return owner.email, Case(f"/bids/{bid.get_json()['id']}/attachments", {}, "", "file",
                             files={"file": (b"MZ\x90\x00", "setup.exe")})


def _ship(app, api, tenant, get):
    _buyer, finish, _order, lot, _url = _lot(get)
    return finish.email, Case(f"/lots/{lot['id']}/shipment", {"carrier": "顺丰速运", "tracking_ref": "SF" * 60},
                              "顺丰速运", "tracking_ref")


def _delivered(get):
    buyer, finish, order, lot, url = _lot(get)
    assert finish.post(f"{url}/shipment", json={"carrier": "SF", "tracking_ref": "SF1"}).status_code == 200
    assert buyer.post(f"{url}/delivery").status_code == 200
    return buyer, order


def _message(app, api, tenant, get):
    owner = tenant("buyer")
    order = api(owner).post("/api/v1/orders", json=order_body(title="泵体")).get_json()
    return owner.email, Case(f"/orders/{order['id']}/messages", {"body": "请看附件里的图纸"}, "请看附件里的图纸", "file",
                             files={"files": (b"MZ\x90\x00", "setup.exe")})


def _receipt(app, api, tenant, get):
    _buyer, _mill, _finish, order = get("accepted")
    return _operator(tenant).email, Case(f"/orders/{order['id']}/payment/confirm", {"bank_reference": "ICBC-" + "7" * 70},
                                         "ICBC-" + "7" * 70, "bank_reference")


def _movement(app, api, tenant, get):
    buyer, order = _delivered(get)
    operator = _operator(tenant)
    assert api(operator).post(f"/api/v1/orders/{order['id']}/payment/confirm", json={"bank_reference": "ICBC-1"}).status_code == 200
    pending = [m for m in api(operator).get(f"/api/v1/orders/{order['id']}/payment").get_json()["movements"]
               if m["state"] == "pending"]
    assert pending, "a payout waits for the operator"
    return operator.email, Case(f"/orders/{order['id']}/movements/confirm", {"movement_id": pending[0]["id"],
                                                                             "bank_reference": "中国银行" * 20},
                                "中国银行" * 20, "bank_reference")


def _dispute(app, api, tenant, get):
    buyer, order = _delivered(get)
    return buyer.email, Case(f"/orders/{order['id']}/dispute", {"reason": "", "qc_data": "孔径 12.030 超差"},
                             "孔径 12.030 超差", "reason")


def _resolve(app, api, tenant, get):
    buyer, order = _delivered(get)
    assert buyer.post(f"/api/v1/orders/{order['id']}/disputes", json={"reason": "孔径超差"}).status_code in (200, 201)
    return _operator(tenant).email, Case(f"/orders/{order['id']}/dispute/resolve", {
        "outcome": "partial_refund", "refund": "half", "note": "退还一半"}, "退还一半", "refund")


def _login_form(app, api, tenant, get):
    tenant("buyer")  # an account exists; the refusal must not depend on whose address was typed
    return None, Case("/login", {"email": "wang.fang@example.test", "password": ""}, "wang.fang@example.test", "password")


def _forgot(app, api, tenant, get):
    return None, Case("/password/forgot", {"email": "wang.fang@"}, "wang.fang@", "email")


def _reset(app, api, tenant, get):
    return None, Case("/password/reset", {"token": "no-such-link", "password": "short"}, "no-such-link", "password")


def _signup_confirm(app, api, tenant, get):
    return None, Case("/signup/confirm", {"token": "no-such-link"}, "no-such-link", "token")


def _counter(app, api, tenant, get):
    from tests.market.test_bidding import bid_body
    buyer_tenant = tenant("buyer")
    order = api(buyer_tenant).post("/api/v1/orders", json=order_body(title="泵盖", operations=[
        {"process_code": "cnc_milling_3ax", "setup_minutes": 60, "run_minutes_per_unit": 2.5}])).get_json()
    owner, _factory, _machine = _factory_world(api, tenant)
    bid = api(owner).post(f"/api/v1/orders/{order['id']}/bids", json=bid_body())
    assert bid.status_code == 201, bid.get_json()
    return buyer_tenant.email, Case(f"/bids/{bid.get_json()['id']}/counter", {"price": "1200", "promised_at": "soon",
                                                                            "note": "请提前一周交货"},
                                    "请提前一周交货", "promised_at")


def _rating(app, api, tenant, get):
    buyer, _mill, _finish, order, _factories = get("delivered")
    return buyer.email, Case(f"/orders/{order['id']}/rating", {"stars": "9", "comment": "交期准时，孔径稳定"},
                             "交期准时，孔径稳定", "stars")


def _reply(app, api, tenant, get):
    buyer, _mill, _finish, order, factories = get("delivered")
    rating = buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 3}).get_json()
    return get("two_sites")[0]["tenant"].email, Case(
        f"/f/{factories['Mill Works']['id']}/ratings/{rating['id']}/reply", {"body": "谢谢" * 1001}, "谢谢" * 1001, "body")


FORMS: dict[str, Callable] = {"bid revision": _bid_revision, "factory edit": _factory_edit, "machine edit": _machine_edit,
                              "commission rule": _commission_rule, "subscription plan": _plan,
                              "shift calendar": _shift_calendar, "calendar closure": _closure, "ideal cycle": _ideal_cycle, "device": _device,
                              "material lot": _material_lot, "qc record": _qc, "shipment": _ship, "message": _message,
                              "payment receipt": _receipt, "bank transfer sent": _movement, "dispute": _dispute,
                              "dispute decision": _resolve,
                              "consent": _consent, "financing approval": _approval, "financing decline": _decline,
                              "signup": _signup, "team": _team, "api token": _token, "factory": _factory_new,
                              "machine": _machine_new, "capacity window": _window, "order": _order, "bid": _bid,
                              "webhook": _webhook, "credit application": _credit_application, "lease offer": _lease_offer,
                              "login": _login_form, "forgotten password": _forgot, "password reset": _reset,
                              "sign-up confirmation": _signup_confirm, "counter-offer": _counter, "rating": _rating,
                              "rating reply": _reply, "operation finish": _finish_operation, "lot start": _start_lot,
                              "consumption": _consume, "required documents": _required_documents,
                              "subcontract": _subcontract, "insurance offer": _insurance_offer,
                              "mill certificate": _material_certificate, "lot document": _lot_document,
                              "claim approval": _claim_decision, "claim rejection": _claim_rejection,
                              "notification settings": _notification_settings, "drawing": _drawing,
                              "bid document": _bid_document}


FORM_ENDPOINTS = {
    "signup": "accounts.signup", "team": "accounts.team", "api token": "accounts.tokens", "factory": "catalog.new_factory",
    "factory edit": "catalog.edit_factory", "machine": "catalog.new_machine", "machine edit": "catalog.edit_machine",
    "capacity window": "catalog.add_window", "order": "orders.new", "bid": "bidding.new", "bid revision": "bidding.revise",
    "webhook": "webhooks.webhooks", "credit application": "credit.apply", "lease offer": "leasing.offer",
    "consent": "credit.grant", "financing approval": "credit.decide", "financing decline": "credit.decide",
    "commission rule": "payments.set_rule", "subscription plan": "payments.set_plan",
    "shift calendar": "telemetry.set_calendar", "calendar closure": "telemetry.add_closure", "ideal cycle": "telemetry.set_profile", "device": "telemetry.enroll",
    "material lot": "materials.record", "qc record": "production.qc", "shipment": "production.ship",
    "message": "orders.message", "payment receipt": "payments.confirm_receipt",
    "bank transfer sent": "payments.confirm_movement", "dispute": "payments.open_dispute",
    "dispute decision": "payments.resolve", "login": "accounts.login", "forgotten password": "accounts.forgot",
    "password reset": "accounts.reset", "sign-up confirmation": "accounts.confirm", "counter-offer": "bidding.counter",
    "rating": "credit.rate_order", "rating reply": "credit.reply_to_rating",
    "operation finish": "production.operation", "lot start": "production.commission", "consumption": "materials.consume",
    "required documents": "materials.require", "subcontract": "subcontracting.subcontract",
    "insurance offer": "insurance.offer", "claim approval": "insurance.decide", "mill certificate": "materials.attach_material",
    "lot document": "materials.attach", "claim rejection": "insurance.decide",
    "notification settings": "notifications.preferences",
    "drawing": "orders.attach", "bid document": "bidding.attach",
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("form", FORMS)
def test_bad_input_comes_back_with_what_was_typed_and_messages_in_the_pages_language(app, api, tenant, request, form,
                                                                                     language):
    email, case = FORMS[form](app, api, tenant, request.getfixturevalue)
    assert _endpoint(app, case.url) == FORM_ENDPOINTS[form], "the case posts to another form than it names"
    if email:
        client, headers = _login(app, email, language)
    else:
        client, headers = app.test_client(), {"Accept-Language": language}
    data = dict(case.data)
    for name, (content, filename) in (case.files or {}).items():
        data[name] = (io.BytesIO(content), filename)
    response = client.post(case.url, data=data, headers=headers, content_type="multipart/form-data" if case.files else None)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code in (400, 409, 413, 415, 422), (response.status_code, page[:300])
    if case.kept.startswith("value="):  # a choice kept: the option stays selected
        assert case.kept in page, "choice lost"
    elif case.kept:
        assert f'value="{case.kept}"' in page or f">{case.kept}</textarea>" in page, "typed value lost"
    messages = re.findall(rf'<p class="err" data-error-for="{re.escape(case.wrong)}">([^<]+)</p>', page)
    assert messages, f"no message for {case.wrong}: {re.findall(r'data-error-for=.([a-z_.0-9]+)', page)}"
    every = " ".join(re.findall(r'<p class="err"[^>]*>([^<]+)</p>', page))
    if language == "zh-CN":
        assert all(CJK.search(m) for m in messages), messages
        assert not [e for e in MARSHMALLOW_ENGLISH if e in every], every
    else:
        assert not CJK.search(" ".join(messages)), messages


# Portal POST routes where nothing is typed (a button, its fields drawn by the page): nothing
# to keep. Irreversible ones ask first through the confirm macro (tests/market/test_confirmations.py).
BUTTONS = {
    "accounts.logout", "accounts.revoke", "bidding.accept", "bidding.withdraw", "catalog.withdraw", "credit.disburse",
    "credit.issue", "credit.repay", "credit.revoke", "insurance.accept", "insurance.pay", "leasing.disburse", "leasing.pay",
    "leasing.pay_rent", "leasing.sign", "mail.retry", "matching.accept", "matching.request_quotes", "matching.requote",
    "matching.batch_match", "notifications.open_one", "notifications.read_all", "notifications.read_one", "orders.move",
    "payments.confirm_payable", "payments.onboarding", "production.delivery", "subcontracting.agreement",
    "subcontracting.consent", "telemetry.delete_closure", "telemetry.revoke", "trace.checkpoint", "web.set_language", "webhooks.act",
    "webhooks.redeliver", "payment_webhooks.stripe_webhook",  # (Stripe's, not a person's)
    "tlog.add_cosignature",  # (a transparency-log witness's signed note, not a person's)
    # a factory's "Ask to quote" on the capacity search (its id drawn by the page), the factory's
    # answer to a counter-offer and the buyer's decline (confirm buttons: no note is typed)
    "orders.invite", "bidding.answer", "bidding.decline",
    # a claim on one of the loss windows the policy page lists: its start and end are hidden
    # fields drawn from the ledger's downtime, nothing is typed
    "insurance.file_claim",
}


def _endpoint(app, url: str) -> str:
    return app.url_map.bind("localhost").match(url.split("?")[0], method="POST")[0]


def test_every_portal_form_has_a_form_error_case(app, api, tenant, request):
    """A new portal POST route fails here until it has a case in FORMS (or is a button)."""
    covered = set()
    for form, make in FORMS.items():
        if form in ("signup",):
            covered.add("accounts.signup")
            continue
        covered.add(FORM_ENDPOINTS[form])
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods and not r.rule.startswith("/api/")}
    missing = posts - covered - BUTTONS
    assert not missing, f"portal forms without a form-error case: {sorted(missing)}"
    assert not (BUTTONS | covered) - posts, "listed routes that no longer exist"


def test_the_api_keeps_marshmallows_english_whatever_the_reader_speaks(api, tenant):
    buyer = api(tenant("buyer"))
    r = buyer.post("/api/v1/orders", json={**order_body(), "quantity": "lots"}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and "Not a valid integer." in str(r.get_json())


@pytest.mark.parametrize("message, zh", [
    ("Missing data for required field.", "此项为必填项。"),
    ("Not a valid integer.", "请输入整数。"),
    ("Length must be between 1 and 200.", "长度必须在 1 到 200 之间。"),
    ("Longer than maximum length 64.", "超过最大长度 64。"),
    ("Must be greater than or equal to 1 and less than or equal to 120.", "必须大于或等于 1 且小于或等于 120。"),
    ("Must be greater than 0.", "必须大于 0。"),
    ("Must be one of: buyer, factory.", "必须是以下之一：buyer, factory。"),
    ("a message nobody translated", "a message nobody translated"),  # stays as it was written
])
def test_marshmallows_messages_read_in_chinese_with_their_numbers(app, message, zh):
    from flask_babel import force_locale

    from market.web.validation import translated

    with app.test_request_context("/"):
        with force_locale("zh_CN"):
            assert translated(message) == zh
        with force_locale("en"):
            assert translated(message) == message
