"""Portal order form: a refused form comes back with everything the buyer typed."""
import html
import re

from datetime import datetime, timedelta, timezone

import pytest

DUE = (datetime.now(timezone.utc) + timedelta(days=60)).date().isoformat()  # in the future whatever the clock

FORM = {"title": "Bracket", "part_number": "BR-7", "material": "6061-T6", "quantity": "250",
        "due_at": DUE, "budget": "12000.50", "currency": "CNY", "delivery_address": "1 Test Road",
        "required_certifications": ["ISO9001", "AS9100"],
        "op-1-process_code": "cnc_milling_3ax", "op-1-setup_minutes": "30", "op-1-run_minutes_per_unit": "2.5",
        "op-1-tolerance": "±0.01", "op-1-notes": "deburr", "op-2-process_code": "anodizing",
        "op-2-setup_minutes": "15", "op-2-run_minutes_per_unit": "1",
        "action": "publish"}


def _value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def _selected(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"\s+selected', select)


@pytest.fixture
def buyer_portal(client, tenant):
    buyer = tenant("buyer")
    assert client.post("/login", data={"email": buyer.email, "password": "correct-horse-1"}).status_code == 302
    return client


@pytest.mark.parametrize("wrong, field", [
    ({"title": ""}, "title"),
    ({"budget": "12000.505"}, "budget_minor"),  # refused while the budget is parsed
    ({"due_at": "2031-02-30"}, "due_at"),  # refused while the date is parsed
    ({"quantity": "0"}, "quantity"),
    ({"op-1-process_code": "", "op-2-process_code": ""}, "operations"),
])
def test_a_refused_order_form_keeps_every_value_typed(buyer_portal, wrong, field):
    sent = {**FORM, **wrong}
    response = buyer_portal.post("/orders/new", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'data-error-for="{field}"' in page
    for name in ("title", "part_number", "material", "quantity", "due_at", "budget", "currency", "delivery_address",
                 "op-1-setup_minutes", "op-1-run_minutes_per_unit", "op-1-tolerance", "op-1-notes"):
        if sent[name]:
            assert _value(page, name) == sent[name], name
    assert _selected(page, "required_certifications") == ["ISO9001", "AS9100"]
    if field != "operations":
        assert _selected(page, "op-1-process_code") == ["cnc_milling_3ax"]
        assert _selected(page, "op-2-process_code") == ["anodizing"]


def test_the_order_form_posts_the_order_it_shows(buyer_portal):
    response = buyer_portal.post("/orders/new", data=FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    order_id = response.headers["Location"].rsplit("/", 1)[1]
    page = buyer_portal.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Bracket" in page and "12,000.50" in page and DUE in page
