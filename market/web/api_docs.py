"""Swagger UI's assets for /api/docs, served from the pinned swagger-ui-bundle package, never
a CDN: the docs work offline and where a CDN is unreachable (flask-smorest's page points
OPENAPI_SWAGGER_UI_URL here)."""
from flask import Blueprint, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("api_docs", __name__)
ASSETS_URL = "/api/docs/assets/"
# what flask-smorest's swagger_ui.html loads, and nothing else of the distribution
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"})


@bp.get(ASSETS_URL + "<name>")
def asset(name: str):
    if name not in ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_path, name, max_age=86400)
