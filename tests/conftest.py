"""Fixtures: a fresh, migrated database per test (SQLite by default, PostgreSQL when
TEST_DATABASE_URL points at it), the app on it, clients, and a small world of tenants."""
from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

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
# pytest-xdist (`pytest -n 2`, as .ci/run does): each worker process ("gw0", "gw1", …) gets its
# own PostgreSQL database and its own Redis databases, so that workers never wipe each other's.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0
if ON_POSTGRES and XDIST_WORKER and not TEST_DATABASE_URL.endswith(f"_{XDIST_WORKER}"):
    # (this module is imported twice: as pytest's conftest and as tests.conftest)
    from sqlalchemy.engine import make_url

    _url = make_url(TEST_DATABASE_URL)
    TEST_DATABASE_URL = _url.set(database=f"{_url.database}_{XDIST_WORKER}").render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = TEST_DATABASE_URL  # the ledger tests' fixtures read it there
# .ci/run runs the SQLite and the PostgreSQL pass at the same time; each pass has its own
# Redis databases (the modules' BROKER_DB numbers, 13-15, shifted down by this much) so one
# pass's flushdb never empties the other's broker. An xdist worker moves 3 further down per
# index: .ci/run's SQLite pass (shift 0, 2 workers) uses 10-15, the PostgreSQL pass (shift 6,
# 2 workers) 4-9.
REDIS_DB_SHIFT = int(os.environ.get("TEST_REDIS_DB_SHIFT", "0")) + 3 * WORKER_INDEX


def redis_url(db: int) -> str:
    """The Redis database a test module calls `db`, in this pass's (and worker's) own range."""
    if db - REDIS_DB_SHIFT < 0:
        raise RuntimeError(f"Redis database {db} shifted by {REDIS_DB_SHIFT} is below 0: fewer xdist workers "
                           "or a smaller TEST_REDIS_DB_SHIFT")
    return f"redis://127.0.0.1:6379/{db - REDIS_DB_SHIFT}"


def _create_postgres_database(url: str) -> None:
    """CREATE DATABASE for this xdist worker's own database, once (it is kept for the next run)."""
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _worker_postgres_database():
    if ON_POSTGRES and XDIST_WORKER:
        _create_postgres_database(TEST_DATABASE_URL)


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
                    # replica role skips the ledger's append-only triggers and the foreign keys'
                    # checks: test cleanup only. DELETE, not TRUNCATE: a test leaves a few rows,
                    # and TRUNCATE of 80 tables replaces 80 files (0.5-3 s a test, most of the
                    # PostgreSQL pass) where DELETE of nearly empty tables takes milliseconds;
                    # the sequences restart as TRUNCATE's RESTART IDENTITY did.
                    conn.execute(text("SET LOCAL session_replication_role = replica"))
                    conn.execute(text("; ".join(f"DELETE FROM {table}" for table in tables)))
                    conn.execute(text("SELECT setval(oid, 1, false) FROM pg_class "
                                      "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"))
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


def portal_day(days: int) -> str:
    """The date a person types `days` from today: a day in the portal's zone (Asia/Shanghai, where
    date fields are read), not in UTC, which is a day behind each evening from 16:00 UTC."""
    from zoneinfo import ZoneInfo

    return (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=days)).date().isoformat()


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


# What the PostgreSQL pass runs (TEST_DATABASE_URL set): DEVELOPERS' rule "anything about money,
# concurrency or constraints runs on PostgreSQL too", applied here and nowhere else. SQLite runs
# every test; on PostgreSQL a test runs when its file (or folder) is listed below, or it is
# marked `postgres_only` or `postgres` (one test of an unlisted file), unless it is marked
# `sqlite_only` (the phone crawl of every page: layout and wording, minutes of browser time).
# TEST_POSTGRES_ALL=1 runs the whole suite on PostgreSQL. A new test file about money, locks, races, constraints, BIGINT
# amounts or migrations gets a line here.
POSTGRES_PASS = {
    # the ledger and the journeys through the whole product
    "tests/ledger/": "the ledger's SQL store: append-only triggers, checkpoints, its migration",
    # the browser journeys that move money or book capacity; the others check pages, which read
    # the same whatever the database (their data paths are tested on PostgreSQL at the API level)
    "tests/e2e/test_journey_quote.py": "a quote accepted in the browser books capacity (row locks)",
    "tests/e2e/test_journey_bids.py": "a bid countered and awarded in the browser: money and locks",
    "tests/e2e/test_journey_payment.py": "money: a bank transfer, its receipt and a dispute in the browser",
    "tests/e2e/test_journey_credit.py": "money: financing read and granted in the browser",
    "tests/e2e/test_supply_chain_journey.py": "money: escrow per tier of a BOM order, in the browser",
    "tests/market/test_journey_api.py": "the API journey from sign-up to delivery",
    "tests/market/test_ledger_in_market.py": "ledger entries written in the market's transactions",
    # money (integer minor units, BIGINT; escrow, payouts, refunds, commission, financing)
    "tests/market/test_payments_stripe.py": "money: payments, escrow, refunds through the provider",
    "tests/market/test_payments_offline.py": "money: offline payments, payouts, auto-confirmation",
    "tests/market/test_payments_commission.py": "money: commission sums",
    "tests/market/test_subcontracting_money.py": "money: escrow per tier",
    "tests/market/test_subcontracting.py": "money and locks: sub-orders, the cancel cascade",
    "tests/market/test_large_amounts.py": "BIGINT: amounts past 2^31 minor units",
    "tests/market/test_credit.py": "money: financing and repayments",
    "tests/market/test_credit_report.py": "money: sums in the credit report",
    "tests/market/telemetry/test_calendar_exceptions.py": "constraints: closures' named check; OEE that credit reads, "
                                                          "recomputed with ledger corrections",
    "tests/market/test_notifications_payments.py": "money: payment reminders by due date",
    "tests/market/test_tenant_isolation.py": "money and data of other tenants (payments, payouts, refunds)",
    "tests/market/test_bidding.py": "money and locks: bids and awards",
    "tests/market/test_receivables.py": "money: advances, the lender repaid first, the dispute waterfall",
    "tests/market/test_leasing.py": "money and constraints: rent invoices, one open lease per machine",
    "tests/market/test_insurance.py": "money and constraints: premiums, claims, no overlapping policies, BIGINT sums",
    "tests/market/test_lease_money.py": "money: lease disbursement and rent through payments, the invariant",
    "tests/market/test_lease_credit.py": "money: exposure sums and the line in credit reports and portfolios",
    # concurrency: row locks, races, claims, exactly-once
    "tests/market/test_bidding_race.py": "race: concurrent awards",
    "tests/market/test_ratings_race.py": "race: concurrent ratings",
    "tests/market/test_bid_expiry.py": "race: two expiry runs at once expire a bid once",
    "tests/market/test_production_bom.py": "locks: lots moving through a BOM's steps",
    "tests/market/test_ratings.py": "race and unique constraint: one rating per order",
    "tests/market/test_quotes.py": "locks: accepting quotes books capacity; re-plans",
    "tests/market/test_materials.py": "race and CHECK constraint: material lot consumption",
    "tests/market/test_production.py": "locks: lots and holdings",
    "tests/market/test_idempotency.py": "concurrency: idempotency keys and leases",
    "tests/market/test_mail.py": "concurrency: one sender per claimed mail",
    "tests/market/test_rate_limit_storage.py": "concurrency: gunicorn workers sharing counters in the database",
    "tests/market/test_celery_jobs.py": "concurrency: jobs claimed by workers",
    "tests/market/test_ops_broker_faults.py": "concurrency: requeued and lost jobs",
    "tests/market/test_ops_periodic.py": "concurrency: periodic tasks run once",
    "tests/market/test_order_events.py": "exactly-once domain events (unique constraint)",
    "tests/market/notifications/test_webhooks_delivery.py": "concurrency: sender threads claim deliveries",
    "tests/market/notifications/test_webhooks_crash.py": "exactly-once delivery across a crash",
    "tests/market/notifications/test_celery_delivery.py": "concurrency: a worker process claims webhooks and mail",
    "tests/market/test_bus.py": "concurrency: outbox batches claimed once, savepoints per handler",
    "tests/market/telemetry/test_rollup_concurrency.py": "row locks of the rollup",
    "tests/market/telemetry/test_rollup_equivalence.py": "aggregate SQL of the rollup",
    "tests/market/telemetry/test_mqtt_and_aggregates.py": "aggregate upserts from the MQTT subscriber",
    "tests/market/telemetry/test_opcua.py": "the OPC UA connector's readings through PostgreSQL's COPY ingest",
    "tests/market/telemetry/test_ingest_api.py": "constraints: duplicate readings, bulk insert",
    # constraints: lengths, uniqueness, exclusion, nothing half-written (SQLite ignores VARCHAR lengths)
    "tests/market/test_hostile_input.py": "constraints: oversized and hostile values write nothing",
    "tests/market/test_bad_input.py": "constraints: bad input writes nothing",
    "tests/market/test_accounts.py": "unique constraint: one account per email",
    "tests/market/test_catalog_api.py": "constraints: clashing capacity windows",
    # migrations and what only PostgreSQL has
    "tests/market/test_migrations.py": "migrations from empty match the models",
    "tests/market/test_mail_migration.py": "a data migration",
    "tests/market/test_ops_backup.py": "pg_dump backup and restore",
    "tests/market/test_ops_database_restart.py": "a PostgreSQL crash under traffic",
    "tests/market/test_ops_chain_faults.py": "checkpoint anchoring rows",
    # money read back
    "tests/market/portal/test_dashboard_figures.py": "dashboard money: BIGINT sums per currency, period bounds",
    "tests/market/test_regional_dashboard.py": "money: the median price index in minor units; period bounds",
}
POSTGRES_ALL = os.environ.get("TEST_POSTGRES_ALL", "") not in ("", "0")


def _in_postgres_pass(item) -> bool:
    path = item.nodeid.split("::", 1)[0]
    if "sqlite_only" in item.keywords and not POSTGRES_ALL:
        return False
    return (POSTGRES_ALL or "postgres_only" in item.keywords or "postgres" in item.keywords
            or any(path == entry or (entry.endswith("/") and path.startswith(entry)) for entry in POSTGRES_PASS))


def pytest_configure(config):
    root = Path(__file__).parent.parent
    stale = [entry for entry in [*POSTGRES_PASS, *SLOW_FIRST] if not (root / entry).exists()]
    if stale:
        raise pytest.UsageError(f"tests/conftest.py POSTGRES_PASS or SLOW_FIRST names files that do not exist: {stale}")


# The longest files, started first (.ci/run splits each pass over 2 pytest-xdist workers with
# `--dist load`, which hands tests out in collection order): a test of minutes collected late
# runs alone on one worker while the other has nothing left. Seconds of one test in CI's log at
# load 8-15 (#19); their tests keep their order and stay together, as do all the others.
SLOW_FIRST = (
    "tests/e2e/test_supply_chain_journey.py",  # the BOM journey in a browser: 330 s and 236 s
    "tests/market/test_ops_backup.py",  # pg_dump and restore: 156 s
    "tests/e2e/test_journey_credit.py",  # four browser journeys with a PDF each
    "tests/market/test_idempotency.py",  # gunicorn worker killed with -9: 95 s
    "tests/market/notifications/test_webhooks_crash.py",  # sender killed mid-batch: 71 s
    "tests/market/test_migrations.py",  # every migration down and up again: 67 s
    "tests/e2e/test_every_page.py",  # the demo world crawled on a phone, per language
)


def _slow_first(items) -> None:
    def rank(item):
        path = item.nodeid.split("::", 1)[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: every file's tests in their own order, the rest as collected


def pytest_collection_modifyitems(config, items):
    _slow_first(items)
    if ON_POSTGRES:
        kept = [item for item in items if _in_postgres_pass(item)]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if not _in_postgres_pass(item)])
            items[:] = kept
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def anvil_node(tmp_path):
    """A real Ethereum node (anvil) not yet started: `.start()` / `.stop()` take the node up
    and down, its chain kept in between. Skips when `npm ci` in ledger/contracts has not
    installed it."""
    from tests.anvil import Anvil, anvil_binary

    binary = anvil_binary()
    if binary is None:
        pytest.skip("anvil is not installed: run `npm ci --ignore-scripts` in ledger/contracts (.ci/run does)")
    node = Anvil(binary, state=tmp_path / "anvil-state.json")
    yield node
    node.stop()


@pytest.fixture
def anvil(anvil_node):
    """A running anvil on 127.0.0.1 (see anvil_node)."""
    return anvil_node.start()
