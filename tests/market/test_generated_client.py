"""An integrator's view of the API (issue #20): a Python client generated from
`/api/openapi.json` by a maintained generator (openapi-python-client), then a buyer's journey run
through that client only, against the app serving HTTP on 127.0.0.1: post an order, ask for
quotes and follow the job, accept the cheapest, follow the lots the factories make.

Nothing here is hand-written HTTP: if the document lies about a path, a parameter, a body or a
response, the generated code fails to build, to send, or to parse."""
import importlib
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import order_body

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture
def generated_client(app, client, tmp_path):
    """The generated package, imported as `market_client` (its own name, so two tests never share
    a stale module)."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/api/openapi.json").get_json()))
    config = tmp_path / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the code is used, not read
    out = tmp_path / "market_client"
    done = subprocess.run([str(GENERATOR), "generate", "--path", str(spec), "--meta", "none",
                           "--output-path", str(out), "--config", str(config)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and out.is_dir(), done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout  # every operation and schema generated
    sys.path.insert(0, str(tmp_path))
    try:
        for name in [m for m in sys.modules if m == "market_client" or m.startswith("market_client.")]:
            del sys.modules[name]
        yield importlib.import_module("market_client")
    finally:
        sys.path.remove(str(tmp_path))
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture
def base_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _api(name: str):
    domain = name.split("_", 1)[0]
    return importlib.import_module(f"market_client.api.{domain}_api.{name}")


def test_a_buyer_journey_through_a_client_generated_from_the_openapi_document(
        generated_client, base_url, tenant, two_sites):
    from market_client import AuthenticatedClient
    from market_client.models import OrderIn, Problem

    mill, finish = two_sites
    buyer = AuthenticatedClient(base_url=base_url, token=tenant("buyer").token, raise_on_unexpected_status=True)

    body = OrderIn.from_dict(order_body())
    order = _api("orders_create_order").sync(client=buyer, body=body, idempotency_key="journey-order-1")
    assert not isinstance(order, Problem), order
    again = _api("orders_create_order").sync(client=buyer, body=body, idempotency_key="journey-order-1")
    assert again.id == order.id  # the declared Idempotency-Key is honoured

    job = _api("matching_request_quotes").sync(order.id, client=buyer)
    for _ in range(600):
        job = _api("matching_job").sync(job.id, client=buyer)
        if job.status in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job.status == "done", job

    quotes = _api("matching_list_quotes").sync(order.id, client=buyer).items  # the list envelope
    cheapest = next(q for q in quotes if q.label == "cheapest")
    assert all(cheapest.total_minor <= q.total_minor for q in quotes)
    accepted = _api("matching_accept").sync(cheapest.id, client=buyer)
    assert accepted.status == "accepted", accepted
    assert _api("orders_get_order").sync(order.id, client=buyer).state == "accepted"

    # the factory commissions a lot and works on it (its own calls, plain JSON); the buyer
    # follows it through the generated client
    lot = mill["client"].post(f"/api/v1/orders/{order.id}/lots", json={})
    assert lot.status_code == 201, lot.get_json()
    assert mill["client"].post(f"/api/v1/lots/{lot.get_json()['id']}/operations/1/start", json={}).status_code == 200
    lots = _api("production_list_lots").sync(order.id, client=buyer).items
    assert [str(x.id) for x in lots] == [lot.get_json()["id"]]
    followed = _api("production_get_lot").sync(lots[0].id, client=buyer)
    assert followed.trace_code == lot.get_json()["trace_code"]

    # an error comes back as the documented problem, parsed
    missing = _api("orders_get_order").sync_detailed(accepted.id, client=buyer)
    assert missing.status_code == 404 and isinstance(missing.parsed, Problem) and missing.parsed.status == 404
