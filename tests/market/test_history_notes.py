"""The notes the system writes on an order's history are stored in English and shown in the
reader's language on the order page; a note a person typed is shown as typed. (The Chinese
order page showed "quote bid accepted", "subcontracted: operation(s) #3, #4 of a tier-1
order" and "lot … started" in English: found by tests/e2e/test_supply_chain_journey.py.)"""
import re

import pytest

from market.orders import history_notes
from tests.market.test_production import accepted  # noqa: F401  (fixture)

SAMPLES = {"label": "cheapest", "at": "2030-01-02T03:04:00+00:00", "where": "#2", "order": "0b7f",
           "title": "泵体 CP-80", "operations": "#3, #4", "tier": "1", "code": "ABCD-EFGH-JKLM", "outcome": "partial refund", "days": "14"}


def _params(note):
    return {k: SAMPLES[k] for k in note.pattern.groupindex}


@pytest.mark.parametrize("note", history_notes.NOTES, ids=lambda n: n.english[:30])
def test_every_system_note_is_recognised_and_shown_in_chinese(app, note):
    written = note(**_params(note))
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        shown = history_notes.shown(written)
    assert shown != written and not any(w in shown for w in ("the ", "order", "quote", "lot ")), shown
    for name, value in _params(note).items():
        if name == "at":  # a time: in the portal's zone (Asia/Shanghai), never UTC
            assert "2030-01-02 11:04" in shown and value not in shown
        elif value not in history_notes.WORDS:
            assert value in shown
    with app.test_request_context(headers={"Accept-Language": "en"}):
        if "at" in note.pattern.groupindex:
            assert history_notes.shown(written) == written.replace(SAMPLES["at"], "2030-01-02 11:04")
        else:
            assert history_notes.shown(written).lower() == written.lower()


def test_a_typed_note_is_shown_as_typed(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert history_notes.shown("Project stopped by our customer.") == "Project stopped by our customer."
        assert history_notes.shown("lot ABCD started early, please check") == "lot ABCD started early, please check"
        assert history_notes.shown("") == "" and history_notes.shown(None) == ""


def test_the_chinese_order_page_shows_the_history_in_chinese_and_the_api_keeps_it_as_written(app, accepted):  # noqa: F811
    buyer, mill, _, order = accepted
    assert mill.post(f"/api/v1/orders/{order['id']}/lots", json={}).status_code == 201
    client = app.test_client()
    assert client.post("/login", data={"email": buyer.email, "password": "correct-horse-1"}).status_code == 302
    page = client.get(f"/orders/{order['id']}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "最低价报价已生成" in page and "已接受最低价报价" in page and "已开工" in page
    assert "quote ready" not in page and "quote cheapest accepted" not in page and "started)" not in page
    notes = [e["note"] for e in buyer.get(f"/api/v1/orders/{order['id']}").get_json()["history"]]
    assert "cheapest quote ready" in notes and "quote cheapest accepted" in notes


def test_a_unit_of_pieces_reads_as_chinese_on_the_materials_page(app, accepted, two_sites):  # noqa: F811
    _, mill, _, _ = accepted
    assert mill.post("/api/v1/material-lots", json={"source": "factory_procured", "material": "O-ring", "grade": "NBR70",
                                                    "heat_number": "OR-1", "supplier": "X", "quantity": "500",
                                                    "unit": "pcs"}).status_code == 201
    client = app.test_client()
    login = {"email": two_sites[0]["tenant"].email, "password": "correct-horse-1"}
    assert client.post("/login", data=login).status_code == 302
    zh = client.get("/materials", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "500 件" in zh and re.search(r'<option value="pcs"[^>]*>件</option>', zh) and "pcs<" not in zh
    en = client.get("/materials", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "500 pcs" in en
