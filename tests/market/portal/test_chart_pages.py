"""The chart pages on the server side: the drill-down page behind a Pareto bar, the JSON the
charts are drawn from (pure builders, known vectors), and the wall-clock conversion that
lets a chart's time axis read in the factory's zone."""
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.conftest import FACTORY


def _portal(app, who, lang="en"):
    client = app.test_client()
    assert client.post("/login", data={"email": who.email, "password": "correct-horse-1"}).status_code == 302
    client.post(f"/lang/{lang}")
    return client


@pytest.fixture
def downtime(app, api, tenant):
    """A factory whose mill was down twice (spindle fault, then unspecified) and idle once, yesterday."""
    from sqlalchemy import select

    from market.catalog.models import Machine
    from market.db import unit_of_work
    from market.telemetry.models import StateInterval

    owner = tenant("factory")
    factory = api(owner).post("/api/v1/factories", json=FACTORY).get_json()
    api(owner).post("/api/v1/machines", json={"factory_id": factory["id"], "name": "Mill 7", "processes": ["cnc_milling_3ax"]})
    start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    with app.app_context(), unit_of_work() as s:
        mill = s.scalar(select(Machine).where(Machine.name == "Mill 7"))
        for offset, hours, state, reason in ((0, 2, "down", "spindle_fault"), (3, 1, "down", ""), (5, 4, "idle", "no_operator")):
            a = start + timedelta(hours=offset)
            s.add(StateInterval(machine_id=mill.id, factory_id=mill.factory_id, day=a.date(), start_at=a,
                                end_at=a + timedelta(hours=hours), state=state, reason=reason))
        s.commit()
    return owner, factory


def test_a_pareto_bar_leads_to_the_stretches_of_its_state_and_reason_only(app, downtime):
    owner, factory = downtime
    client = _portal(app, owner, "zh_CN")
    page = client.get(f"/factories/{factory['id']}/telemetry/lost-time?state=down&reason=spindle_fault")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<td>Mill 7</td>") == 1 and "主轴故障" in html and "2.0" in html
    every_down = client.get(f"/factories/{factory['id']}/telemetry/lost-time?state=down").get_data(as_text=True)
    assert every_down.count("<td>Mill 7</td>") == 2  # the fault and the stop with no reason given


def test_the_telemetry_page_carries_the_pareto_the_charts_draw_with_links_to_each_bar(app, downtime):
    import json
    import re

    owner, factory = downtime
    html = _portal(app, owner).get(f"/factories/{factory['id']}/telemetry").get_data(as_text=True)
    specs = [json.loads(m) for m in re.findall(r'<script type="application/json" class="chart-spec">(.*?)</script>', html, re.S)]
    pareto = next(s for s in specs if s["kind"] == "pareto")
    assert pareto["values"] == [4.0, 2.0, 1.0] and pareto["cumulative"] == [pytest.approx(4 / 7, abs=1e-4),
                                                                           pytest.approx(6 / 7, abs=1e-4), 1.0]
    assert pareto["links"][0].endswith("lost-time?state=idle&reason=no_operator")
    assert "vendor/echarts/echarts.min.js" in html and "<svg" in html  # the server's drawing stays as the fallback


@pytest.mark.parametrize("query", ["state=running", "state=%3Cscript%3E", "state="])
def test_a_state_that_is_not_a_loss_is_refused_with_a_4xx_not_a_500(app, downtime, query):
    owner, factory = downtime
    response = _portal(app, owner).get(f"/factories/{factory['id']}/telemetry/lost-time?{query}")
    assert 400 <= response.status_code < 500


def test_another_tenant_cannot_read_the_lost_time_of_a_factory(app, downtime, tenant):
    _, factory = downtime
    other = tenant("factory")
    assert _portal(app, other).get(f"/factories/{factory['id']}/telemetry/lost-time?state=down").status_code == 404


def test_a_moment_becomes_the_wall_clock_of_the_factory_zone_in_milliseconds():
    from market.i18n import wall_ms

    moment = datetime(2030, 3, 6, 2, 0, tzinfo=timezone.utc)
    assert wall_ms(moment, "Asia/Shanghai") == int(datetime(2030, 3, 6, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)
    assert wall_ms(moment, "UTC") == int(moment.timestamp() * 1000)
    # across Berlin's spring-forward night the wall clock skips an hour: 00:30Z is 01:30, 01:30Z is 03:30
    assert wall_ms(datetime(2030, 3, 31, 1, 30, tzinfo=timezone.utc), "Europe/Berlin") - \
        wall_ms(datetime(2030, 3, 31, 0, 30, tzinfo=timezone.utc), "Europe/Berlin") == 2 * 3600 * 1000


def test_the_credit_heatmap_spec_places_each_day_in_its_week_and_weekday_and_leaves_unplanned_days_out():
    from market.credit.charts import heatmap_spec

    end = date(2030, 3, 6)  # a Wednesday
    spec = heatmap_spec({date(2030, 3, 4): 0.5, date(2030, 3, 6): 1.2, date(2030, 2, 25): 0.25, date(2030, 3, 7): 0.9},
                        end, 2, list("MTWTFSS"))
    assert spec["x"] == ["02-25", "03-04"]
    assert spec["cells"] == [[0, 0, 0.25], [1, 0, 0.5], [1, 2, 1.0]]  # clipped to 100 %; the day after `end` left out


def test_the_credit_oee_spec_draws_the_mean_and_nothing_without_points():
    from market.credit.charts import oee_spec

    assert oee_spec([], "OEE", "Mean") is None
    spec = oee_spec([(date(2030, 3, 1), 0.5), (date(2030, 3, 2), 0.7)], "OEE", "Mean")
    assert spec["series"][1]["data"] == [0.6, 0.6] and spec["categories"] == ["2030-03-01", "2030-03-02"]


def test_the_peer_spec_keeps_a_feature_without_peers_as_a_gap():
    from market.credit.charts import peers_spec

    spec = peers_spec([("On-time rate", 80), ("OEE", None), ("Disputes", 20)], "Peer position")
    data = spec["series"][0]["data"]
    assert data[1] is None and data[0]["value"] == 0.8 and data[2]["itemStyle"]["color"] != data[0]["itemStyle"]["color"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_telemetry_page_shows_the_device_header_with_its_token_placeholder(app, downtime, locale):
    # the header sat inside a translated message, where "<token>" read as an HTML tag and vanished
    owner, factory = downtime
    client = _portal(app, owner)
    machine = client.get(f"/factories/{factory['id']}/telemetry").get_data(as_text=True).split("/machines/")[1][:36]
    html = client.post(f"/machines/{machine}/devices", data={"name": "edge-1"},
                       headers={"Accept-Language": locale}).get_data(as_text=True)
    assert 'id="new-device-token"' in html and "<code>Authorization: Bearer &lt;token&gt;</code>" in html
    mqtt = html.split('id="new-device-mqtt">')[1].split("</p>")[0]  # the broker login and the device's own topic
    assert f"/machines/{machine}/devices/" in mqtt and ("MQTT：以" in mqtt) == ("将读数 POST 到" in html)
