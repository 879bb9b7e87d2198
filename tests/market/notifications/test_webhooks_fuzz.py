"""Schemathesis on the webhook operations only (tests/market/test_api_fuzz.py covers every
operation with fewer examples): no 5xx, answers match their documented schema, as an owner
with an endpoint in place. Two shards (tests/market/fuzz_shards.py), one per xdist worker."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.market.fuzz_shards import labels, shard, shard_of

SHARDS = 2


@pytest.fixture
def hook_world(app, tenant, api):
    app.config.update(WEBHOOK_REQUIRE_HTTPS=False, WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"], WEBHOOK_DISPATCH="sweep")
    owner = tenant("factory")
    api(owner).post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "kinds": ["order.shipped"]})
    return app, owner.token


@pytest.fixture
def hook_schema(hook_world):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", hook_world[0]).include(path_regex="webhook")


def _shard_test(k: int):
    @shard("hook_schema", SHARDS, k).parametrize()
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case, hook_world):
        response = case.call(headers={"Authorization": f"Bearer {hook_world[1]}"})
        case.validate_response(response, checks=(not_a_server_error, response_schema_conformance,
                                                 content_type_conformance))
    return test


test_no_webhook_operation_answers_5xx_or_breaks_its_schema_0 = _shard_test(0)
test_no_webhook_operation_answers_5xx_or_breaks_its_schema_1 = _shard_test(1)


def test_both_shards_hold_webhook_operations(app):
    every = labels(schemathesis.openapi.from_wsgi("/api/openapi.json", app).include(path_regex="webhook"))
    shards = [shard_of(label, SHARDS) for label in every]
    assert len(every) >= 4 and all(shards.count(k) >= 2 for k in range(SHARDS)), every
