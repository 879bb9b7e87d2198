"""Fixtures: a fresh, migrated database per test (SQLite by default, PostgreSQL when
TEST_DATABASE_URL points at it), the app on it, clients, and a small world of tenants."""
from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from market import migrate

# Property tests check correctness, not speed: on a loaded 2-core CI box a single example can
# take longer than hypothesis' 200 ms default deadline, which would fail a correct test.
settings.register_profile("ci", deadline=None)
settings.load_profile("ci")

# Passwords hash with Argon2id at the smallest cost in the whole suite (every app, in-process
# or a gunicorn/Celery child, reads these): RFC 9106's default spends ~0.3 s of both cores per
# sign-up and login, which was a third of the suite's time. What hashing and verifying do is
# the same at any cost; tests/market/test_accounts.py checks the production parameters.
os.environ.update(PASSWORD_HASH_TIME_COST="1", PASSWORD_HASH_MEMORY_KIB="8", PASSWORD_HASH_PARALLELISM="1")

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
# .ci/run runs the SQLite and the PostgreSQL pass at the same time; each pass has its own
# Redis databases (the modules' BROKER_DB numbers shifted down by this much) so one pass's
# flushdb never empties the other's broker.
REDIS_DB_SHIFT = int(os.environ.get("TEST_REDIS_DB_SHIFT", "0"))


def redis_url(db: int) -> str:
    """The Redis database a test module calls `db`, in this pass's own range."""
    return f"redis://127.0.0.1:6379/{db - REDIS_DB_SHIFT}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Run the migrations once per session; tests start from a copy (SQLite) or a wipe (PostgreSQL)."""
    if ON_POSTGRES:
        migrate.recreate_postgres_schema(TEST_DATABASE_URL)
        migrate.upgrade(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _wipe_postgres(url: str) -> None:
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        for attempt in range(5):
            try:
                with engine.begin() as conn:
                    tables = conn.execute(text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )).scalars().all()
                    # replica role skips the ledger's append-only triggers: test cleanup only
                    conn.execute(text("SET LOCAL session_replication_role = replica"))
                    conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                return
            except OperationalError as exc:
                # a background job of the previous test (e.g. the fresh quote a lost race starts)
                # may still be reading: the TRUNCATE deadlocks with it; try again once it is done
                if "deadlock" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.5)
    finally:
        engine.dispose()


@pytest.fixture
def database_url(migrated_template, tmp_path):
    if ON_POSTGRES:
        _wipe_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    target = tmp_path / "market.db"
    shutil.copy(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(database_url, tmp_path):
    from market import create_app

    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "MAX_UPLOAD_BYTES": 64 * 1024,
        "VAR_DIR": str(tmp_path),
        "BATCH_TIME_LIMIT_S": 5,
        # no telemetry rollup thread outliving its test (on PostgreSQL it would see the next
        # test's rows); tests that exercise it turn it on and wait for it
        "TELEMETRY_ROLLUP_AFTER_INGEST": "off",
    })
    # no app context is held across requests: each request gets its own, as in production
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Tenant:
    kind: str
    actor: object
    token: str
    email: str
    read_token: str = ""


class Api:
    """Test client speaking JSON with a bearer token."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, url, json=None, **kw):
        return self.client.put(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)


def make_tenant(kind: str, name: str | None = None) -> Tenant:
    from market.accounts import services

    email = f"{kind}-{uuid.uuid4().hex[:8]}@example.test"
    if kind == "operator":
        from market.accounts.models import Organization
        from market.db import unit_of_work

        with unit_of_work() as s:
            org = Organization(kind="operator", name=name or "Ops")
            s.add(org)
            s.commit()
        user = services.create_user(organization_id=org.id, email=email, password="correct-horse-1", name="Op", role="owner")
        actor = services.actor_of_id(user.id)
    else:
        actor = services.sign_up(email=email, password="correct-horse-1", name=f"{kind} user",
                                 organization_name=name or f"{kind} org", kind=kind).actor
    _, token = services.create_api_token(actor, name="tests", scope="write")
    _, read_token = services.create_api_token(actor, name="tests-read", scope="read")
    return Tenant(kind, actor, token, email, read_token)


@pytest.fixture
def tenant(app):
    def make(kind: str, name: str | None = None) -> Tenant:
        with app.app_context():
            return make_tenant(kind, name)

    return make


@pytest.fixture
def api(client):
    return lambda who: Api(client, who if isinstance(who, str) else who.token)


FACTORY = {"name": "Test Works", "address": "1 Test Road", "latitude": 31.3, "longitude": 120.6,
           "region": "Suzhou", "certifications": ["ISO9001"]}


def order_body(**over):
    body = {
        "title": "Bracket", "part_number": "BR-1", "material": "6061", "quantity": 100,
        "due_at": (datetime.now(timezone.utc) + timedelta(days=30)).isoformat(),
        "budget_minor": 500000, "currency": "CNY", "required_certifications": ["ISO9001"],
        "operations": [
            {"process_code": "cnc_milling_3ax", "setup_minutes": 60, "run_minutes_per_unit": 2.5},
            {"process_code": "anodizing", "setup_minutes": 30, "run_minutes_per_unit": 0.5},
            {"process_code": "cmm_inspection", "setup_minutes": 15, "run_minutes_per_unit": 1},
        ],
        "submit": True,
    }
    body.update(over)
    return body


@pytest.fixture
def supply(api, tenant):
    """A factory tenant with one factory, one 3-axis mill and one open window next week."""
    owner = tenant("factory")
    client = api(owner)
    factory = client.post("/api/v1/factories", json=FACTORY).get_json()
    machine = client.post("/api/v1/machines", json={
        "factory_id": factory["id"], "name": "VF-2", "processes": ["cnc_milling_3ax", "drilling_tapping"],
        "hourly_rate_minor": 20000}).get_json()
    start = (datetime.now(timezone.utc) + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    window = client.post("/api/v1/capacity-windows", json={
        "machine_id": machine["id"], "start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat(),
        "pricing_mode": "per_hour", "price": 20000}).get_json()
    return {"tenant": owner, "client": client, "factory": factory, "machine": machine, "window": window}


@pytest.fixture
def two_sites(api, tenant):
    """A machining shop and a finishing + metrology shop, each with weekday windows."""
    def site(name, lat, processes_by_machine, price):
        owner = tenant("factory", name)
        client = api(owner)
        factory = client.post("/api/v1/factories", json={**FACTORY, "name": name, "latitude": lat}).get_json()
        start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        machines = []
        for n, processes in enumerate(processes_by_machine):
            m = client.post("/api/v1/machines", json={"factory_id": factory["id"], "name": f"{name}-{n}",
                                                       "processes": processes}).get_json()
            for day in range(5):
                s = start + timedelta(days=day)
                client.post("/api/v1/capacity-windows", json={"machine_id": m["id"], "start": s.isoformat(),
                            "end": (s + timedelta(hours=8)).isoformat(), "pricing_mode": "per_hour", "price": price})
            machines.append(m)
        return {"client": client, "factory": factory, "machines": machines, "tenant": owner}

    return (site("Mill Works", 31.30, [["cnc_milling_3ax"]], 20000),
            site("Finish Lab", 31.40, [["anodizing"], ["cmm_inspection"]], 15000))


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
