"""Rate limits count in one place for every worker: the application's own database by
default (RATELIMIT_STORAGE_URI=database://), Redis when configured."""
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.market.conftest import gunicorn
from tests.ports import free_port


def _app_on(database_url, tmp_path, **config):
    from market import create_app

    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t", "VAR_DIR": str(tmp_path),
                       "LOG_LEVEL": "ERROR", "WTF_CSRF_ENABLED": False, **config})


def test_two_processes_share_login_limits_through_the_database(database_url, tmp_path):
    one, two = (_app_on(database_url, tmp_path, RATELIMIT_STORAGE_URI="database://", LOGIN_RATE_LIMIT="3 per minute")
                for _ in range(2))
    attempt = {"email": "x@example.test", "password": "nope-nope-nope"}
    try:
        assert [one.test_client().post("/login", data=attempt).status_code for _ in range(2)] == [401, 401]
        assert [two.test_client().post("/login", data=attempt).status_code for _ in range(2)] == [401, 429]
        other_address = {"REMOTE_ADDR": "10.9.8.7"}
        assert two.test_client().post("/login", data=attempt, environ_base=other_address).status_code == 401
    finally:
        one.extensions["db"].dispose(), two.extensions["db"].dispose()


def test_a_window_that_ran_out_counts_from_zero_again(app):
    from limits.storage import storage_from_string

    store = storage_from_string("database://")
    with app.app_context():
        assert [store.incr("k", 60) for _ in range(3)] == [1, 2, 3]
        assert store.get("k") == 3 and store.get_expiry("k") > time.time() + 50
        assert store.incr("short", 0) == 1 and store.get("short") == 0  # expired at once
        assert store.incr("short", 60) == 1
        store.clear("k")
        assert store.get("k") == 0 and store.check()


@pytest.fixture
def gunicorn_three_workers(app, tmp_path):
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "MARKET_VAR_DIR": str(tmp_path),
           "SECRET_KEY": "shared-by-the-workers", "WEB_CONCURRENCY": "3", "WEB_THREADS": "1",
           "BIND": f"127.0.0.1:{free_port()}", "LOG_LEVEL": "WARNING", "IN_PROCESS_SCHEDULER": "0",
           "LOGIN_RATE_LIMIT": "5 per minute"}
    for name in ("CELERY_BROKER_URL", "RATELIMIT_STORAGE_URI", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    with gunicorn(env) as base:
        yield base


def test_gunicorn_workers_share_the_login_limit_by_default(gunicorn_three_workers):
    base = gunicorn_three_workers
    browser = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(base + "/login").text).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)

    def attempt(_):
        return requests.post(base + "/login", data={"csrf_token": token, "email": "x@example.test",
                                                    "password": "nope-nope-nope"},
                             headers={"Cookie": cookie, "Connection": "close"}, allow_redirects=False,
                             timeout=30).status_code

    with ThreadPoolExecutor(6) as pool:  # concurrent: every (single-threaded) worker answers some
        codes = list(pool.map(attempt, range(30)))
    assert set(codes) <= {401, 429} and codes.count(401) == 5, codes
