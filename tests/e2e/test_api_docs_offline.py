"""In a browser with no network but the server: /api/docs (Swagger UI) still renders the
API's operations, from assets the package ships (offline, or where a CDN is unreachable)."""
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_the_api_docs_render_with_the_network_blocked(live_server, browser, shot):
    page = browser.new_page()
    requested, left = [], []

    def only_this_server(route):
        requested.append(route.request.url)
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    shot(page, "docs")
    assert page.locator(".opblock").count() >= 20
    assert "/api/v1/orders" in page.inner_text("#swagger-ui-container")
    assert left == [], f"requests left 127.0.0.1: {left}"
    assert any(url.endswith(".js") for url in requested)
