"""/api/docs needs nothing but this server: its Swagger UI assets come from the package."""
import re


def test_the_api_docs_page_loads_only_assets_this_server_serves(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "https:" not in page.headers["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert len(assets) == 3
    for url in assets:
        assert url.startswith("/api/docs/assets/")
        served = client.get(url)
        assert served.status_code == 200 and len(served.data) > 1000
    assert client.get("/api/docs/assets/index.html").status_code == 404  # only what the page uses
    assert client.get("/api/docs/assets/..%2Fswagger-ui.css").status_code == 404
