"""Regions as data (#22): a factory's region resolves to its GB/T 2260 division, capacity search
finds it by code or by its Chinese or English name in any case and spacing (a city takes in
its districts), credit peers are the factories of the same city; other countries keep text."""
import importlib.util
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from market.demo.seed import FACTORIES
from market.regions.resolve import Unresolved, lookup, resolve_place
from tests.conftest import FACTORY

ZH = {"Accept-Language": "zh-CN"}
SUZHOU = [f for f in FACTORIES if f[1] == "Suzhou"]


@pytest.mark.parametrize("text_, code", [
    ("江苏省苏州市吴中区木渎镇", "320506"),
    ("广东省深圳市南山区科技园", "440305"),  # 市南 (a Qingdao district) is not read across 深圳市|南山区
    ("Beijing, Chaoyang", "110105"),  # 朝阳区 of Beijing, not of Changchun
])
def test_an_address_resolves_to_the_most_precise_division_it_names(text_, code):
    assert resolve_place("", text_).code == code


def test_a_name_shared_by_several_places_is_ambiguous_until_something_decides():
    assert {d.code for d in lookup("suzhou")} >= {"320500", "341300"}  # 苏州 and 宿州
    with pytest.raises(Unresolved) as exc:
        resolve_place("Suzhou", "1 Test Road")
    assert {d.code for d in exc.value.candidates} >= {"320500", "341300"}
    assert resolve_place("Suzhou", "1 Test Road, Jiangsu").code == "320500"
    with pytest.raises(Unresolved) as exc:
        resolve_place("Atlantis", "1 Test Road")
    assert exc.value.candidates == ()


def _seed(client, name, region, lat, lon, certs, start, address=None):
    factory = client.post("/api/v1/factories", json={
        "name": name, "address": address or f"{region} industrial park", "latitude": lat, "longitude": lon,
        "region": region, "certifications": certs})
    assert factory.status_code == 201, factory.get_json()
    factory = factory.get_json()
    machine = client.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "M1",
                                                    "processes": ["cnc_milling_3ax"], "hourly_rate_minor": 20000}).get_json()
    window = client.post("/api/v1/capacity-windows", json={
        "machine_id": machine["id"], "start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat(),
        "pricing_mode": "per_hour", "price": 20000})
    assert window.status_code == 201, window.get_json()
    return factory


def test_search_by_chinese_english_spaced_name_or_city_code_finds_the_demos_suzhou_factories(api, tenant):
    start = (datetime.now(timezone.utc) + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    seeded = {}
    for name, region, lat, lon, certs, _kinds in SUZHOU + [f for f in FACTORIES if f[1] == "Dongguan"][:1]:
        seeded[name] = _seed(api(tenant("factory")), name, region, lat, lon, certs, start)
    codes = {name: f["region_code"] for name, f in seeded.items()}
    # the demo writes "Suzhou"; its names say which Suzhou, and Kunshan and Wujiang more precisely
    assert codes == {SUZHOU[0][0]: "320500", SUZHOU[1][0]: "320583", SUZHOU[2][0]: "320509",
                     SUZHOU[3][0]: "320500", FACTORIES[4][0]: "441900"}
    suzhou_ids = {seeded[f[0]]["id"] for f in SUZHOU}
    buyer = api(tenant("buyer"))
    for term in ("苏州", "suzhou", "Suzhou ", "320500", " 苏州市"):
        found = buyer.get("/api/v1/capacity/search", query_string={"region": term}).get_json()
        assert {h["factory"]["id"] for h in found["items"]} == suzhou_ids, term
    kunshan = buyer.get("/api/v1/capacity/search", query_string={"region": "320583"}).get_json()
    assert [h["factory"]["name"] for h in kunshan["items"]] == [SUZHOU[1][0]]
    assert buyer.get("/api/v1/capacity/search", query_string={"region": "东莞"}).get_json()["total"] == 1


def test_an_unknown_chinese_region_is_refused_with_a_field_message_in_the_readers_language(api, tenant):
    owner = api(tenant("factory"))
    body = {**FACTORY, "region": "Atlantis"}
    en = owner.post("/api/v1/factories", json=body)
    assert en.status_code == 422
    assert "no province, city or district of China" in en.get_json()["errors"]["region"][0]
    zh = owner.post("/api/v1/factories", json=body, headers=ZH)
    assert zh.status_code == 422 and "不是已知的中国省、市或区县" in zh.get_json()["errors"]["region"][0]
    # editing the region resolves it again; abroad the region is text and is not refused
    factory = owner.post("/api/v1/factories", json={**FACTORY, "region": "苏州"}).get_json()
    assert factory["region_code"] == "320500"
    moved = owner.patch(f"/api/v1/factories/{factory['id']}", json={"region": "东莞"}).get_json()
    assert moved["region_code"] == "441900"
    abroad = owner.post("/api/v1/factories", json={**FACTORY, "country": "DE", "region": "Bavaria", "city": "Munich"})
    assert abroad.status_code == 201 and abroad.get_json()["region_code"] is None


def test_the_portal_form_refuses_an_unknown_region_beside_the_field_in_chinese(client, tenant):
    owner = tenant("factory")
    client.post("/login", data={"email": owner.email, "password": "correct-horse-1"})
    page = client.post("/factories/new", headers=ZH, data={
        "name": "Test Works", "address": "1 Test Road", "region": "Atlantis", "latitude": "31.3", "longitude": "120.6"})
    assert page.status_code == 422
    assert "不是已知的中国省、市或区县" in page.get_data(as_text=True)


def test_a_factory_abroad_is_found_by_its_region_or_city_as_written(api, tenant):
    start = (datetime.now(timezone.utc) + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    owner = api(tenant("factory"))
    factory = owner.post("/api/v1/factories", json={**FACTORY, "country": "DE", "region": "Bavaria", "city": "Munich"})
    machine = owner.post("/api/v1/machines", json={"factory_id": factory.get_json()["id"], "name": "M1",
                                                   "processes": ["cnc_milling_3ax"]}).get_json()
    owner.post("/api/v1/capacity-windows", json={"machine_id": machine["id"], "start": start.isoformat(),
                                                 "end": (start + timedelta(hours=8)).isoformat(),
                                                 "pricing_mode": "per_hour", "price": 1})
    buyer = api(tenant("buyer"))
    for term, total in (("bavaria", 1), (" MUNICH ", 1), ("苏州", 0)):
        assert buyer.get("/api/v1/capacity/search", query_string={"region": term}).get_json()["total"] == total, term


def test_credit_peers_are_the_factories_of_the_same_city(app, api, tenant):
    from sqlalchemy import select

    from market.catalog.models import Factory
    from market.credit.peers import peer_factories
    from market.db import unit_of_work

    start = datetime.now(timezone.utc) + timedelta(days=7)
    city = _seed(api(tenant("factory")), "Alpha", "苏州", 31.3, 120.6, [], start)
    _seed(api(tenant("factory")), "Beta", "Suzhou", 31.4, 121.0, [], start, address="江苏省苏州市昆山市 1 Road")
    _seed(api(tenant("factory")), "Gamma", "宿州", 33.6, 116.9, [], start)
    with app.app_context(), unit_of_work() as s:
        alpha = s.scalar(select(Factory).where(Factory.name == "Alpha"))
        assert str(alpha.public_id) == city["id"]
        _klass, peers = peer_factories(s, alpha)
        assert [f.name for f in peers] == ["Beta"]


def test_the_migration_gives_existing_factories_their_codes():
    """The backfill of 0035_region_codes on the columns it reads (the whole chain of migrations
    runs in test_migrations)."""
    path = Path(__file__).resolve().parents[2] / "migrations/versions/0035_region_codes.py"
    spec = importlib.util.spec_from_file_location("m0035", path)
    m0035 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0035)
    engine = create_engine("sqlite://")
    rows = [(SUZHOU[1][0], "Suzhou", "Suzhou industrial park"), ("Test Works", "Suzhou", "1 Test Road"),
            ("X", "Dongguan", "1 Road")]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE factories (id INTEGER PRIMARY KEY, name TEXT, address TEXT, region TEXT, "
                          "region_code TEXT)"))
        for i, (name, region, address) in enumerate(rows, 1):
            conn.execute(text("INSERT INTO factories VALUES (:i, :n, :a, :r, NULL)"), {"i": i, "n": name, "a": address, "r": region})
        m0035.backfill(conn)
        codes = conn.execute(text("SELECT name, region_code FROM factories ORDER BY id")).all()
    engine.dispose()
    assert codes == [(SUZHOU[1][0], "320583"), ("Test Works", None), ("X", "441900")]
