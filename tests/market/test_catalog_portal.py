"""The factory's machine and window forms in the portal: amounts typed and shown in major units
of the machine's currency (150.00 for ¥150/h), percent-of-value prices in percent; a refused
form keeps what was typed and says why beside the field, in the page's language."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import FACTORY


def _portal(app, who, lang: str):
    client = app.test_client()
    assert client.post("/login", data={"email": who.email, "password": "correct-horse-1"}).status_code == 302
    client.post(f"/lang/{lang}")
    return client


@pytest.fixture
def shop(app, api, tenant):
    owner = tenant("factory")
    factory = api(owner).post("/api/v1/factories", json=FACTORY).get_json()
    return owner, factory, api(owner)


def _machine_id(response) -> str:
    return re.search(r"/machines/([0-9a-f-]{36})", response.headers["Location"]).group(1)


def test_the_hourly_rate_is_typed_and_shown_in_yuan(app, shop):
    owner, factory, api = shop
    portal = _portal(app, owner, "en")
    created = portal.post(f"/factories/{factory['id']}/machines/new", data={
        "name": "DMU-65", "processes": ["cnc_milling_3ax"], "hourly_rate": "1,450.50", "currency": "CNY",
        "status": "active"})
    assert created.status_code == 302
    machine_id = _machine_id(created)
    assert api.get(f"/api/v1/machines/{machine_id}").get_json()["hourly_rate_minor"] == 145050
    edit = portal.get(f"/machines/{machine_id}/edit").get_data(as_text=True)
    assert 'value="1450.50"' in edit  # shown back in yuan, not fen
    assert "¥1,450.50/h" in portal.get(f"/factories/{factory['id']}").get_data(as_text=True)


@pytest.mark.parametrize("lang, decimals, number", [
    ("en", "At most 2 decimals.", "Not a valid number."),
    ("zh_CN", "最多 2 位小数。", "不是有效的数字。"),
])
def test_a_mistyped_rate_keeps_the_form_and_says_why_in_the_pages_language(app, shop, lang, decimals, number):
    owner, factory, api = shop
    portal = _portal(app, owner, lang)
    for typed, message in (("150.555", decimals), ("a lot", number)):
        page = portal.post(f"/factories/{factory['id']}/machines/new", data={
            "name": "Keep me", "processes": ["cnc_milling_3ax"], "hourly_rate": typed, "currency": "CNY",
            "status": "active"})
        assert page.status_code == 422
        html = page.get_data(as_text=True)
        assert f'<p class="err" data-error-for="hourly_rate">{message}</p>' in html
        assert f'value="{typed}"' in html and 'value="Keep me"' in html
    assert api.get("/api/v1/machines").get_json()["items"] == []  # nothing half-written


def test_window_prices_are_typed_in_yuan_or_in_percent_and_the_single_mode_ignores_recurring_fields(app, shop):
    owner, factory, api = shop
    machine = api.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "VF-2",
                                                 "processes": ["cnc_milling_3ax"], "hourly_rate_minor": 20000}).get_json()
    portal = _portal(app, owner, "en")
    start = (datetime.now(timezone.utc) + timedelta(days=7)).replace(hour=1, minute=0, second=0, microsecond=0)
    single = {"kind": "single", "start": start.strftime("%Y-%m-%dT%H:%M"),
              "end": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
              # what a browser sends from the untouched recurring half of the form
              "weeks": "4", "start_time": "08:00", "end_time": "16:00", "weekdays": ["0"]}
    assert portal.post(f"/machines/{machine['id']}/windows",
                       data={**single, "pricing_mode": "per_hour", "price": "400.00"}).status_code == 302
    later = {**single, "start": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
             "end": (start + timedelta(days=1, hours=8)).strftime("%Y-%m-%dT%H:%M")}
    assert portal.post(f"/machines/{machine['id']}/windows",
                       data={**later, "pricing_mode": "percent_of_value", "price": "2.5"}).status_code == 302
    windows = api.get(f"/api/v1/capacity-windows?machine_id={machine['id']}").get_json()["items"]
    assert sorted((w["pricing_mode"], w["price"]) for w in windows) == [("per_hour", 40000), ("percent_of_value", 250)]
    refused = portal.post(f"/machines/{machine['id']}/windows",
                          data={**later, "pricing_mode": "percent_of_value", "price": "2.555"})
    assert refused.status_code == 422 and 'data-error-for="price"' in refused.get_data(as_text=True)
