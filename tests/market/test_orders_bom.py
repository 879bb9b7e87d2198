"""An order as a product structure (bill of materials): components with their own
operations merging into assembly operations — posted through the API and the portal,
refused with field messages when it is not a DAG, quoted by the solver as a DAG."""
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from market.matching.problem import job_of
from tests.conftest import order_body
from tests.market.test_quotes import wait_job

# two components made in parallel (the body milled, two anodized caps per piece), then inspected together
BOM = {
    "components": [{"name": "body", "quantity_per_parent": 1, "material": "6061-T6"},
                   {"name": "cap", "quantity_per_parent": 2, "material": "5052"}],
    "operations": [
        {"process_code": "cnc_milling_3ax", "setup_minutes": 60, "run_minutes_per_unit": 1, "component": "body",
         "after": []},
        {"process_code": "anodizing", "setup_minutes": 30, "run_minutes_per_unit": 0.5, "component": "cap",
         "after": []},
        {"process_code": "cmm_inspection", "setup_minutes": 15, "run_minutes_per_unit": 0.2, "after": [1, 2]},
    ],
}


def test_a_buyer_posts_an_order_with_two_components_merging_into_an_assembly(api, tenant):
    buyer = api(tenant("buyer"))
    response = buyer.post("/api/v1/orders", json=order_body(**BOM))
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert [(op["seq"], op["component"], op["after"]) for op in order["operations"]] == [
        (1, "body", []), (2, "cap", []), (3, "", [1, 2])]
    assert order["components"] == [
        {"name": "body", "quantity_per_parent": 1, "material": "6061-T6", "operations": [1], "feeds": [3]},
        {"name": "cap", "quantity_per_parent": 2, "material": "5052", "operations": [2], "feeds": [3]}]


def test_the_ledger_entry_of_a_posted_bom_order_carries_its_structure_but_not_its_names(app):
    import uuid

    from market.orders.ledger_events import order_posted
    from market.orders.models import Operation, Order

    def op(seq, process, after, component="", per=1, material=""):
        return Operation(seq=seq, process_code=process, setup_minutes=0, run_minutes_per_unit=1, component=component,
                         quantity_per_parent=per, component_material=material, after_seqs=after)

    order = Order(public_id=uuid.uuid4(), part_number="HX-1", quantity=10, operations=[
        op(1, "cnc_milling_3ax", [], "secret body", 1, "Ti-6Al-4V"), op(2, "anodizing", [], "cap", 2),
        op(3, "cmm_inspection", [1, 2])])
    with app.test_request_context():
        what = order_posted(order, uuid.uuid4()).what
    assert what["components"] == [{"perParent": 1, "operations": [1]}, {"perParent": 2, "operations": [2]}]
    assert what["waitsFor"] == [[], [], [1, 2]]
    assert "secret" not in repr(what) and "Ti-6Al" not in repr(what)
    plain = Order(public_id=uuid.uuid4(), part_number="P", quantity=1, operations=[op(1, "anodizing", None)])
    with app.test_request_context():
        assert "components" not in order_posted(plain, uuid.uuid4()).what  # plain routings: the entry as before


def test_a_plain_routing_has_no_components_and_waits_for_the_previous_operation(api, tenant):
    order = api(tenant("buyer")).post("/api/v1/orders", json=order_body()).get_json()
    assert order["components"] == []
    assert [op["after"] for op in order["operations"]] == [None, None, None]


def _with(**changes):
    body = order_body(**BOM)
    body["operations"] = [dict(op) for op in body["operations"]]
    body["components"] = [dict(c) for c in body["components"]]
    for path, value in changes.items():
        kind, index, field = path.split("__")
        body[kind][int(index)][field] = value
    return body


@pytest.mark.parametrize("body, field, message", [
    (_with(operations__0__after=[3]), "operations.0.after", "Operations 1 → 3 → 1 wait for each other in a circle."),
    (_with(operations__1__after=[2]), "operations.1.after", "Operation 2 cannot wait for itself."),
    (_with(operations__0__after=[2]), "operations.0.after",
     "Operation 1 waits for operation 2, listed after it: list the operations a step waits for before it."),
    (_with(operations__2__after=[1, 7]), "operations.2.after", "There is no operation 7 (1 to 3)."),
    (_with(operations__2__after=[1, 1]), "operations.2.after", "An operation is listed twice."),
    (_with(operations__1__component="lid"), "operations.1.component", "There is no component named lid."),
    (_with(components__1__name="body"), "components.1.name", "The component name body is used twice."),
    (_with(components__1__quantity_per_parent=0), "components.1.quantity_per_parent", None),
    (_with(components__1__quantity_per_parent=10**12), "components.1.quantity_per_parent", None),
    (_with(operations__0__after=[-1]), "operations.0.after.0", None),
])
def test_a_structure_that_is_not_a_dag_is_refused_with_a_field_message_and_nothing_is_written(
        api, tenant, body, field, message):
    buyer = api(tenant("buyer"))
    response = buyer.post("/api/v1/orders", json=body)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in _flatten(errors), errors
    if message:
        assert _flatten(errors)[field] == [message]
    assert buyer.get("/api/v1/orders").get_json()["total"] == 0


def _flatten(messages, prefix=""):
    out = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        out.update(_flatten(value, name) if isinstance(value, dict) else {name: value})
    return out


def test_the_field_message_comes_in_the_callers_language(api, tenant):
    buyer = api(tenant("buyer"))
    response = buyer.post("/api/v1/orders", json=_with(operations__0__after=[3]), headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["operations.0.after"] == ["工序 1 → 3 → 1 相互等待，形成了循环。"]
    assert "wait for each other in a circle" in response.get_json()["detail"]  # the detail stays English


def test_an_edit_that_closes_a_cycle_is_refused_and_the_structure_stays_as_it_was(api, tenant):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(**BOM)).get_json()
    bad = _with(operations__0__after=[3])
    response = buyer.patch(f"/api/v1/orders/{order['id']}", json={"operations": bad["operations"],
                                                                   "components": bad["components"]})
    assert response.status_code == 422
    again = buyer.get(f"/api/v1/orders/{order['id']}").get_json()
    assert again["operations"] == order["operations"] and again["components"] == order["components"]
    alone = buyer.patch(f"/api/v1/orders/{order['id']}", json={"components": []})
    assert alone.status_code == 422 and "components" in alone.get_json()["errors"]


def test_the_solver_job_of_a_bom_order_is_a_dag_with_component_quantities():
    epoch = datetime(2030, 1, 1, tzinfo=timezone.utc)
    op = lambda seq, after, component="", per=1: SimpleNamespace(  # noqa: E731
        seq=seq, process_code="cnc_milling_3ax", setup_minutes=10, run_minutes_per_unit=1, after_seqs=after,
        component=component, quantity_per_parent=per)
    order = SimpleNamespace(id=7, quantity=10, due_at=epoch + timedelta(days=3), declared_value_minor=None,
                            required_certifications=[],
                            operations=[op(1, [], "a"), op(2, None, "a"), op(3, [], "b", 3), op(4, [2, 3])])
    job = job_of(order, epoch)
    assert job.after == ((), (0,), (), (1, 2))
    assert [o.multiplier for o in job.operations] == [1, 1, 3, 1]
    assert job.durations == (20, 20, 40, 20)  # 10 + 30 pieces of b
    plain = SimpleNamespace(**{**vars(order), "operations": [op(1, None), op(2, None)]})
    assert job_of(plain, epoch).after is None  # a plain routing stays the chain it was


def test_a_bom_order_is_quoted_with_its_components_in_parallel_and_the_assembly_after_both(api, tenant, two_sites):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(**BOM)).get_json()
    job = wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    assert job["status"] == "done" and job["result"]["alternatives"] >= 1, job
    for quote in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"]:
        by_seq = {}
        for line in quote["lines"]:
            by_seq.setdefault(line["seq"], []).append(line)
        start = {seq: min(line["start"] for line in lines) for seq, lines in by_seq.items()}
        end = {seq: max(line["end"] for line in lines) for seq, lines in by_seq.items()}
        assert start[3] >= end[1] and start[3] >= end[2]  # the inspection waits for both components
        assert start[2] < end[1]  # the caps are anodized while the body is milled: not a chain
        # 200 caps (2 per piece x 100): 30 + 200 x 0.5 = 130 minutes at 150.00/h
        assert sum(line["price_minor"] for line in by_seq[2]) == 32500


def test_the_portal_form_posts_a_bom_and_the_order_page_shows_what_merges_where(client, tenant):
    buyer = tenant("buyer")
    client.post("/login", data={"email": buyer.email, "password": "correct-horse-1"})
    due = (datetime.now(timezone.utc) + timedelta(days=60)).date().isoformat()
    form = {"title": "Housing", "quantity": "100", "due_at": due, "budget": "12000", "currency": "CNY",
            "comp-1-name": "body", "comp-1-quantity_per_parent": "1", "comp-1-material": "6061",
            "comp-2-name": "cap", "comp-2-quantity_per_parent": "2",
            "op-1-process_code": "cnc_milling_3ax", "op-1-setup_minutes": "60", "op-1-run_minutes_per_unit": "1",
            "op-1-component": "body", "op-1-after": "-",
            "op-2-process_code": "anodizing", "op-2-setup_minutes": "30", "op-2-run_minutes_per_unit": "0.5",
            "op-2-component": "cap", "op-2-after": "-",
            "op-3-process_code": "cmm_inspection", "op-3-setup_minutes": "15", "op-3-run_minutes_per_unit": "0.2",
            "op-3-after": "1, 2", "action": "publish"}
    refused = client.post("/orders/new", data={**form, "op-1-after": "3"}, headers={"Accept-Language": "zh-CN"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'data-error-for="operations.0.after"' in page and "相互等待，形成了循环" in page
    assert re.search(r'name="op-1-after"[^>]*value="3"', page) and re.search(r'name="comp-2-name"[^>]*value="cap"', page)
    typo = client.post("/orders/new", data={**form, "op-3-after": "1, x"})
    assert typo.status_code == 422 and 'data-error-for="operations.2.after.1"' in typo.get_data(as_text=True)
    posted = client.post("/orders/new", data=form)
    assert posted.status_code == 302
    shown = client.get(posted.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    table = re.search(r'<table id="bom-components">.*?</table>', shown, re.S).group(0)
    assert re.search(r"<td>body</td><td>1</td><td>6061</td><td>#1</td><td>#3</td>", table)
    assert re.search(r"<td>cap</td><td>2</td><td>—</td><td>#2</td><td>#3</td>", table)
    assert "#1, #2" in shown  # the inspection waits for both
