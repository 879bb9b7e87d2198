def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_openapi_document_lists_the_v1_routes(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/orders", "/api/v1/capacity-windows", "/api/v1/capacity/search", "/api/v1/processes"):
        assert path in spec["paths"]


def test_process_taxonomy_has_at_least_40_processes_in_two_languages(client):
    processes = client.get("/api/v1/processes?per_page=100").get_json()["items"]
    assert len(processes) >= 40
    assert all(p["en"] and p["zh_CN"] for p in processes)
    assert {p["kind"] for p in processes} == {"manufacturing", "testing", "metrology"}


def test_landing_page_explains_the_marketplace(client):
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Idle machines, matched to real orders." in page


def test_readyz_checks_the_database_broker_and_chain(app, client):
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok", "broker": "ok", "chain": "ok"}
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:6399/0"  # nothing listens there
    app.config["ANCHOR_RPC_URL"] = "http://127.0.0.1:8599"
    down = client.get("/readyz")
    assert down.status_code == 503
    checks = down.get_json()["checks"]
    assert checks["database"] == "ok" and checks["broker"] != "ok" and checks["chain"] != "ok"


def test_the_favicon_and_app_icons_every_page_links_are_served(client):
    import io
    import json
    import re

    from PIL import Image

    icon = client.get("/favicon.ico")  # browsers ask for it whatever the page links
    assert icon.status_code == 200 and icon.mimetype == "image/x-icon"
    assert Image.open(io.BytesIO(icon.data)).format == "ICO"
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    links = re.findall(r'<link rel="(icon|apple-touch-icon|manifest)" href="([^"]+)"', page)
    assert {rel for rel, _ in links} == {"icon", "apple-touch-icon", "manifest"}
    for _, href in links:
        assert client.get(href).status_code == 200, href
    manifest = json.loads(client.get(dict(links)["manifest"]).data)
    for entry in manifest["icons"]:
        served = client.get(entry["src"])
        assert served.status_code == 200, entry["src"]
        if entry["type"] == "image/png":
            width, height = Image.open(io.BytesIO(served.data)).size
            assert f"{width}x{height}" == entry["sizes"]
