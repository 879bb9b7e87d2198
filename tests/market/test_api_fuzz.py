"""Schemathesis against the live OpenAPI document, in-process: for every operation, a
bounded number of generated requests (valid and invalid) as a buyer and as a factory on
the demo world. No response may be a 5xx, and every response must match its schema and its
documented content type. The full-size probe (100 examples, stateful, gunicorn on PostgreSQL)
is bench/schemathesis_probe.py. The operations are dealt over SHARDS test functions
(tests/market/fuzz_shards.py) so that both xdist workers share them."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.market.fuzz_shards import labels, shard, shard_of

EXAMPLES = 12
SHARDS = 4


@pytest.fixture
def api_world(app):
    from market.accounts import services as accounts
    from market.demo import seed

    with app.app_context():
        seed.seed_world(history_days=7)
        tokens = {}
        for who in ("buyer1@demo.local", "factory1@demo.local"):
            user = accounts.authenticate(who, seed.PASSWORD)
            tokens[who] = accounts.create_api_token(user.actor, name="fuzz", scope="write")[1]
    return app, tokens


@pytest.fixture
def api_schema(api_world):
    app, _tokens = api_world
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _shard_test(k: int):
    @shard("api_schema", SHARDS, k).parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case, api_world):
        _app, tokens = api_world
        for token in tokens.values():
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=(not_a_server_error, response_schema_conformance,
                                                     content_type_conformance))
    return test


test_no_api_operation_answers_5xx_or_breaks_its_schema_0 = _shard_test(0)
test_no_api_operation_answers_5xx_or_breaks_its_schema_1 = _shard_test(1)
test_no_api_operation_answers_5xx_or_breaks_its_schema_2 = _shard_test(2)
test_no_api_operation_answers_5xx_or_breaks_its_schema_3 = _shard_test(3)
assert SHARDS == 4  # one line above per shard


def test_the_shards_cover_every_operation_once(app):
    every = labels(schemathesis.openapi.from_wsgi("/api/openapi.json", app))
    shards = [shard_of(label, SHARDS) for label in every]
    assert len(every) > 50 and all(shards.count(k) > 5 for k in range(SHARDS))
