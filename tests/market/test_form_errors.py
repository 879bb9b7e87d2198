"""Every portal form, given bad input in zh-CN and in English, comes back with what was typed
and field messages in the page's language: marshmallow's own messages ("Missing data for
required field.", "Not a valid integer.") too, through the catalogue (market/web/validation.py);
the API keeps them English."""
import html
import re
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.conftest import FACTORY, order_body
from tests.market.test_leasing import world  # noqa: F401  (fixture)

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


def _signup(app, api, tenant, w):
    return None, Case("/signup", {"kind": "buyer", "organization_name": "杭州泵业", "name": "王芳", "email": "not-an-email",
                                  "password": "correct-horse-1"}, "杭州泵业", "email")


def _team(app, api, tenant, w):
    return tenant("buyer").email, Case("/settings/team", {"name": "李雷", "email": "nobody"}, "李雷", "email")


def _token(app, api, tenant, w):
    return tenant("buyer").email, Case("/settings/tokens", {"name": "ERP 接口", "scope": "admin"}, "ERP 接口", "scope")


def _factory_new(app, api, tenant, w):
    return tenant("factory").email, Case("/factories/new", {**{k: str(v) for k, v in FACTORY.items() if k != "certifications"},
                                                            "name": "苏州精工", "latitude": "north"}, "苏州精工", "latitude")


def _machine_new(app, api, tenant, w):
    owner, factory, _machine = _factory_world(api, tenant)
    return owner.email, Case(f"/factories/{factory['id']}/machines/new", {"name": "车床 CK6150", "processes": "cnc_turning",
                                                                         "envelope_x_mm": "wide"}, "车床 CK6150", "envelope_x_mm")


def _window(app, api, tenant, w):
    from tests.conftest import portal_day
    owner, _factory, machine = _factory_world(api, tenant)
    return owner.email, Case(f"/machines/{machine['id']}/windows", {
        "kind": "single", "start": portal_day(3) + "T08:00", "end": portal_day(3) + "T16:00", "pricing_mode": "per_hour",
        "price": "150", "min_lot": "many"}, "150", "min_lot")


def _order(app, api, tenant, w):
    from tests.conftest import portal_day
    return tenant("buyer").email, Case("/orders/new", {
        "title": "离心泵叶轮", "part_number": "CP-80", "material": "6061", "quantity": "lots", "due_at": portal_day(30),
        "currency": "CNY", "op_process_1": "cnc_milling_3ax", "op_setup_1": "30", "op_run_1": "5"}, "离心泵叶轮", "quantity")


def _bid(app, api, tenant, w):
    from tests.conftest import portal_day
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(title="泵体")).get_json()
    owner, _factory, _machine = _factory_world(api, tenant)
    return owner.email, Case(f"/orders/{order['id']}/bid", {"price": "1500", "promised_at": "someday",
                                                             "expires_at": portal_day(5), "conditions": "苏州交货"},
                             "苏州交货", "promised_at")


def _webhook(app, api, tenant, w):
    owner = tenant("factory")
    return owner.email, Case("/settings/webhooks", {"channel": "standard", "url": "not a url", "description": "ERP 接口",
                                                    "kinds": "order.booked"}, "ERP 接口", "url")


def _credit_application(app, api, tenant, w):
    owner, factory, _machine = _factory_world(api, tenant)
    lender = tenant("lender", "工商银行")
    return owner.email, Case("/credit/applications", {"factory_id": factory["id"], "lender_id": str(lender.actor.org_public_id),
                                                      "kind": "equipment", "amount": "120000", "term_months": "many",
                                                      "purpose": "购置五轴机床"}, "购置五轴机床", "term_months")


def _lease_offer(app, api, tenant, w):
    return w["lessor_tenant"].email, Case("/leases", {
        "factory_id": w["factory"]["id"], "machine_id": w["machine"]["id"], "kind": "new", "supplier_id": w["supplier_id"],
        "schedule": "fixed", "term_months": "a year", "price": "480000", "fixed": "9000"}, "480000", "term_months")


FORMS: dict[str, Callable] = {"signup": _signup, "team": _team, "api token": _token, "factory": _factory_new,
                              "machine": _machine_new, "capacity window": _window, "order": _order, "bid": _bid,
                              "webhook": _webhook, "credit application": _credit_application, "lease offer": _lease_offer}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("form", FORMS)
def test_bad_input_comes_back_with_what_was_typed_and_messages_in_the_pages_language(app, api, tenant, world, form, language):  # noqa: F811
    email, case = FORMS[form](app, api, tenant, world)
    if email:
        client, headers = _login(app, email, language)
    else:
        client, headers = app.test_client(), {"Accept-Language": language}
    response = client.post(case.url, data=case.data, headers=headers)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code in (400, 409, 422), (response.status_code, page[:300])
    if case.kept:
        assert f'value="{case.kept}"' in page or f">{case.kept}</textarea>" in page, "typed value lost"
    messages = re.findall(rf'<p class="err" data-error-for="{re.escape(case.wrong)}">([^<]+)</p>', page)
    assert messages, f"no message for {case.wrong}: {re.findall(r'data-error-for=.([a-z_.]+)', page)}"
    every = " ".join(re.findall(r'<p class="err"[^>]*>([^<]+)</p>', page))
    if language == "zh-CN":
        assert all(CJK.search(m) for m in messages), messages
        assert not [e for e in MARSHMALLOW_ENGLISH if e in every], every
    else:
        assert not CJK.search(" ".join(messages)), messages


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
