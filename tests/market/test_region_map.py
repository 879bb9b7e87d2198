"""The map (#22): a point resolves to the city whose shape holds it (GET /regions/resolve, in the
reader's language), bad coordinates are a 422 naming the field, and the shapes the browser draws
are our own static file, each tagged with a code of our divisions table."""
import json

import pytest

from market.regions.boundaries import GEOJSON, division_at
from market.regions.divisions import divisions

ZH = {"Accept-Language": "zh-CN"}
SUZHOU = {"lat": "31.30", "lon": "120.62"}  # 苏州市 姑苏区, WGS-84


def test_suzhou_coordinates_resolve_to_the_city_in_both_languages(client):
    en = client.get("/regions/resolve", query_string=SUZHOU)
    assert en.status_code == 200
    d = en.get_json()["division"]
    assert (d["code"], d["zh"], d["en"], d["name"]) == ("320500", "苏州市", "Suzhou", "Suzhou")
    assert d["path"] == ["Jiangsu", "Suzhou"]
    zh = client.get("/regions/resolve", query_string=SUZHOU, headers=ZH).get_json()["division"]
    assert (zh["code"], zh["name"], zh["label"]) == ("320500", "苏州市", "江苏省苏州市")


@pytest.mark.parametrize("lat, lon, code", [
    (39.90, 116.40, "110000"),  # Beijing: a municipality is its own city
    (22.54, 114.06, "440300"),  # Shenzhen
    (33.64, 116.98, "341300"),  # 宿州 (Anhui), the other "Suzhou"
])
def test_other_points_land_in_their_city(lat, lon, code):
    assert division_at(lat, lon).code == code


def test_a_point_outside_china_has_no_division(client):
    r = client.get("/regions/resolve", query_string={"lat": "48.85", "lon": "2.35"})
    assert r.status_code == 200 and r.get_json()["division"] is None


@pytest.mark.parametrize("args, field", [
    ({"lat": "91", "lon": "120"}, "lat"),
    ({"lat": "north", "lon": "120"}, "lat"),
    ({"lat": "nan", "lon": "120"}, "lat"),
    ({"lon": "120"}, "lat"),
    ({"lat": "31", "lon": "-181"}, "lon"),
])
def test_bad_coordinates_are_refused_with_the_field(client, args, field):
    r = client.get("/regions/resolve", query_string=args)
    assert r.status_code == 422
    assert list(r.get_json()["errors"]) == [field]
    zh = client.get("/regions/resolve", query_string=args, headers=ZH).get_json()["errors"][field][0]
    assert "度" in zh  # the field message in the reader's language


def test_every_shape_is_a_division_of_our_table():
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    table = divisions().by_code
    assert len(features) > 300
    assert all(table[f["properties"]["code"]].zh == f["properties"]["name"] for f in features)
