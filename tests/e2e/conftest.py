"""A real server on 127.0.0.1 and a real headless Chromium (Debian's, never a download)."""
import os
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, _wipe_postgres

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))


@pytest.fixture
def live_server(app):
    app.config["WTF_CSRF_ENABLED"] = True  # the browser goes through the real CSRF checks
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _launch_chromium():
    """Debian's Chromium, headless: one launcher for the per-test and the per-module fixture."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def browser():
    yield from _launch_chromium()


@pytest.fixture
def shot(request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

# the demo world and one browser, shared by the tests of a module: the phone crawl of every page
# and the persona journeys that start from the demo world (operator)
@pytest.fixture(scope="module")
def demo_site(migrated_template, tmp_path_factory):
    """The demo world on a fresh database, served on 127.0.0.1 (one per module, not per test)."""
    from market import create_app
    from market.demo import seed

    tmp = tmp_path_factory.mktemp("demo-site")
    if ON_POSTGRES:
        _wipe_postgres(TEST_DATABASE_URL)
        url = TEST_DATABASE_URL
    else:
        shutil.copy(migrated_template, tmp / "market.db")
        url = f"sqlite:///{tmp / 'market.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret", "UPLOAD_DIR": str(tmp / "uploads"),
                      "WTF_CSRF_ENABLED": True, "LOG_LEVEL": "WARNING", "VAR_DIR": str(tmp),
                      "TELEMETRY_ROLLUP_AFTER_INGEST": "off", "BATCH_TIME_LIMIT_S": 5})
    with app.app_context():
        seed.seed_world(history_days=2)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # the platform's bank details, as the operator configured them: data, not UI text
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", typed=[app.config["PLATFORM_BANK_DETAILS"]],
                          app=app)
    server.shutdown()
    app.extensions["db"].dispose()


@pytest.fixture(scope="module")
def chromium():
    yield from _launch_chromium()
