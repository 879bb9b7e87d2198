"""Bearer tokens are authenticated against an in-process cache (market/accounts/token_cache.py):
a revocation, a demotion or a move to another organization still takes effect with the very
next call, in this app and in another app instance on the same database; a change behind the
ORM's back within the cache's TTL; and a cached call reads one counter row, not the token."""
import pytest
from sqlalchemy import event, text

from market.accounts import token_cache
from market.accounts.models import Organization, User
from market.db import unit_of_work
from tests.conftest import Api

pytestmark = pytest.mark.postgres  # on PostgreSQL too: two app instances on one database see a revocation at once


@pytest.fixture(autouse=True)
def _counter_row(app):
    """The migration writes the counter row; the PostgreSQL pass wipes tables between tests
    (without the row nothing is cached, which is safe but would test nothing here)."""
    from market.accounts.models import TokenGeneration

    with app.app_context(), unit_of_work() as s:
        if s.get(TokenGeneration, 1) is None:
            s.add(TokenGeneration(id=1, value=0))
            s.commit()


@pytest.fixture
def second_app(app, database_url, tmp_path):
    """Another app instance (another process, in production) on the same database."""
    from market import create_app

    other = create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "LOG_LEVEL",
                                                     "TELEMETRY_ROLLUP_AFTER_INGEST")},
                        "DATABASE_URL": database_url, "VAR_DIR": str(tmp_path / "second"),
                        "UPLOAD_DIR": str(tmp_path / "second-uploads")})
    yield other
    other.extensions["db"].dispose()


def _warm(*clients):
    for c in clients:
        for _ in range(2):  # the second call is served from the cache
            assert c.get("/api/v1/organizations/me").status_code == 200


def test_a_revoked_token_stops_working_at_once_in_every_app_instance(app, second_app, tenant, api):
    owner = tenant("factory")
    here, there = api(owner), Api(second_app.test_client(), owner.token)
    reader_here, reader_there = api(owner.read_token), Api(second_app.test_client(), owner.read_token)
    _warm(here, there, reader_here, reader_there)
    tokens = {t["name"]: t["id"] for t in here.get("/api/v1/tokens").get_json()["items"]}
    assert here.delete(f"/api/v1/tokens/{tokens['tests-read']}").status_code == 200
    assert reader_here.get("/api/v1/organizations/me").status_code == 401
    assert reader_there.get("/api/v1/organizations/me").status_code == 401
    assert there.get("/api/v1/organizations/me").status_code == 200  # the other token is untouched


def test_a_demotion_or_a_move_made_in_one_instance_is_seen_by_the_other_at_once(app, second_app, tenant):
    owner = tenant("factory", "Acme Works")
    there = Api(second_app.test_client(), owner.token)
    _warm(there)
    assert there.patch("/api/v1/organizations/me", json={"name": "Acme Works Ltd"}).status_code == 200
    with app.app_context(), unit_of_work() as s:
        s.get(User, owner.actor.user_id).role = "member"
        s.commit()
    assert there.patch("/api/v1/organizations/me", json={"name": "Acme"}).status_code == 403
    with app.app_context(), unit_of_work() as s:
        elsewhere = Organization(kind="factory", name="Elsewhere")
        s.add(elsewhere)
        s.flush()
        s.get(User, owner.actor.user_id).organization_id = elsewhere.id
        s.commit()
    assert there.get("/api/v1/organizations/me").status_code == 401


def test_a_renamed_organization_is_what_a_cached_token_acts_as_next(app, second_app, tenant):
    owner = tenant("buyer", "Old Name")
    there = Api(second_app.test_client(), owner.token)
    _warm(there)
    with app.app_context(), unit_of_work() as s:
        s.get(Organization, owner.actor.org_id).name = "New Name"
        s.commit()
    with second_app.test_request_context():
        from market.accounts import services

        assert services.authenticate_token(owner.token).org_name == "New Name"


def test_a_change_behind_the_orms_back_is_seen_within_the_ttl(app, tenant, api):
    now = [0.0]
    app.extensions["token_cache"] = token_cache.TokenCache(ttl_s=5, clock=lambda: now[0])
    owner = tenant("buyer")
    client = api(owner)
    _warm(client)
    with app.app_context(), unit_of_work() as s:  # hand-written SQL: no flush, no bump
        s.execute(text("UPDATE api_tokens SET revoked_at = created_at WHERE organization_id = :o"),
                  {"o": owner.actor.org_id})
        s.commit()
    now[0] = 4.9
    assert client.get("/api/v1/organizations/me").status_code == 200  # within the documented bound
    now[0] = 5.0
    assert client.get("/api/v1/organizations/me").status_code == 401


def test_a_cached_call_reads_the_counter_not_the_token(app, tenant, api):
    owner = tenant("buyer")
    client = api(owner)
    _warm(client)
    seen: list[str] = []
    engine = app.extensions["db"].engine
    record = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context():
            from market.accounts import services

            assert services.authenticate_token(owner.token).org_id == owner.actor.org_id
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1 and "token_generation" in seen[0] and "api_tokens" not in seen[0], seen


def test_unknown_and_malformed_tokens_are_refused_and_not_cached(app, api):
    assert api("smm_nope").get("/api/v1/organizations/me").status_code == 401
    assert api("nope").get("/api/v1/organizations/me").status_code == 401
    assert app.extensions["token_cache"]._entries == {}
