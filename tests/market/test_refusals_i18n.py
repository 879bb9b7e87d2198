"""Refusals the portal forms of bidding, subcontracting, production, materials and quality
documents can produce are worded once with `errors.refusal`: a Chinese reader gets them in
Chinese (flash or field message), the API keeps an English detail with the field."""
import ast
import io
from pathlib import Path

import pytest

from tests.market.subcontract_world import tiers  # noqa: F401 - fixture
from tests.market.test_production import accepted, make_lot  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
# the services behind those forms (and the kernel rules they call)
WORDED = ["market/bidding/services.py", "market/bidding/award.py", "market/subcontracting/services.py",
          "market/production/services.py", "market/production/routing.py", "market/production/materials.py",
          "market/production/holdings.py", "market/production/documents.py", "market/production/requirements.py",
          "market/production/sampling_rules.py", "market/orders/attachments.py", "market/policy.py"]
ENGLISH_ONLY = {"Invalid", "Conflict", "Forbidden", "PayloadTooLarge", "UnsupportedMediaType", "DomainError"}


def _refusals(path: str):
    tree = ast.parse((ROOT / path).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "errors":
            yield node


@pytest.mark.parametrize("path", WORDED)
def test_every_refusal_of_the_portal_services_is_worded_for_translation(path):
    english_only, unworded = [], []
    for call in _refusals(path):
        if call.func.attr in ENGLISH_ONLY:
            english_only.append(call.lineno)
        if call.func.attr == "refusal":
            words = [a for a in ast.walk(call.args[1]) if isinstance(a, ast.Call)
                     and getattr(a.func, "id", "") == "_l"] if len(call.args) > 1 else []
            if not words and not (len(call.args) > 1 and isinstance(call.args[1], ast.Name)):
                unworded.append(call.lineno)
    assert not english_only, f"{path}: English-only refusals at lines {english_only}: use errors.refusal(cls, _l(...))"
    assert not unworded, f"{path}: errors.refusal without a lazy message at lines {unworded}"


ZH = {"Accept-Language": "zh-CN"}


def _login(client, email):
    client.post("/login", data={"email": email, "password": "correct-horse-1"})


def test_lot_page_refusals_flash_in_chinese(accepted, two_sites, client):
    buyer, mill, finish, order = accepted
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 10}).get_json()
    _login(client, two_sites[0]["tenant"].email)
    # finishing a step that has not started; shipping an unfinished lot; a count over what arrived
    page = client.post(f"/lots/{lot['id']}/operations/1/finish", data={"good": "1"}, headers=ZH,
                       follow_redirects=True).get_data(as_text=True)
    assert "此批次的工序 1 尚未开始" in page
    client.post(f"/lots/{lot['id']}/operations/1/start", headers=ZH)
    page = client.post(f"/lots/{lot['id']}/operations/1/finish", data={"good": "11"}, headers=ZH,
                       follow_redirects=True).get_data(as_text=True)
    assert "合格数 + 不合格数须为 1 至 10" in page
    page = client.post(f"/lots/{lot['id']}/operations/2/start", headers=ZH, follow_redirects=True).get_data(as_text=True)
    assert "只有已接受报价中安排此步骤的工厂可以登记" in page  # op 2 is Finish Lab's
    # the API keeps its English detail, with the field message in the caller's language
    api = mill.post(f"/api/v1/lots/{lot['id']}/operations/1/finish", json={"good": 11}, headers=ZH).get_json()
    assert "good + rejected must be 1 to 10" in api["detail"] and api["errors"]["good"][0].startswith("合格数")


def test_material_and_document_refusals_flash_in_chinese(accepted, two_sites, client):
    buyer, mill, finish, order = accepted
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={"quantity": 10}).get_json()
    _login(client, two_sites[0]["tenant"].email)
    page = client.post(f"/lots/{lot['id']}/inputs", data={"input_lot": lot["trace_code"], "pieces": "1"}, headers=ZH,
                       follow_redirects=True).get_data(as_text=True)
    assert "批次不能包含自身" in page or "您生产或收到的批次中没有该编号或追溯码" in page
    page = client.post(f"/lots/{lot['id']}/documents", data={"kind": "coc", "file": (io.BytesIO(b""), "coc.pdf")},
                       headers=ZH, content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "文件为空" in page
    page = client.post(f"/lots/{lot['id']}/documents", data={"kind": "coc", "file": (io.BytesIO(b"x"), "coc.exe")},
                       headers=ZH, content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "不接受文件类型" in page


def test_bid_form_refusals_show_in_chinese(api, tenant, supply, client):
    from tests.conftest import order_body

    buyer = api(tenant("buyer"))
    body = order_body(operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}],
                      required_certifications=["AS9100"])
    order = buyer.post("/api/v1/orders", json=body).get_json()
    _login(client, supply["tenant"].email)
    form = {"price_basis": "order", "price": "100", "promised_at": "2099-01-01", "expires_at": "2099-01-01"}
    page = client.post(f"/orders/{order['id']}/bid", data=form, headers=ZH).get_data(as_text=True)
    assert "缺少此订单要求的认证" in page  # the factory lacks AS9100


def test_subcontracting_refusals_flash_in_chinese(tiers, client):
    root = tiers.order()
    _login(client, tiers.finish["tenant"].email)
    page = client.post(f"/orders/{root}/subcontract", data={"operation_seqs": "1"}, headers=ZH,
                       follow_redirects=True).get_data(as_text=True)
    assert "工序 #1 未安排给您的工厂" in page
    page = client.post(f"/orders/{root}/subcontract", data={}, headers=ZH, follow_redirects=True).get_data(as_text=True)
    assert "请至少选择一道要分包的工序" in page
