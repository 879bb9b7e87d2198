"""In a browser, with every request off 127.0.0.1 refused (#22's map): the factory form's map is
drawn from our own static GeoJSON; a click near Suzhou fills the latitude and longitude and the
form shows the division the point lies in (苏州市, 320500); the factory is saved with it, and its
page shows the point on the same map."""
import pytest

from tests.e2e.test_charts_and_dashboards import PHONE, login
from tests.e2e.ui_text import english_on

pytestmark = pytest.mark.browser

SUZHOU = (120.62, 31.30)  # longitude, latitude (WGS-84)


def _click_at(page, lon_lat):
    """Click the map's pixel for a longitude/latitude (ECharts converts; the map is zoomed in first
    so that one pixel is well inside the city)."""
    page.wait_for_selector("figure[data-china-map].charted .map-canvas canvas")
    page.evaluate("""([lon, lat]) => { const c = document.querySelector('figure[data-china-map]').chart;
        c.setOption({geo: {center: [lon, lat], zoom: 8}}); }""", list(lon_lat))
    page.locator("figure[data-china-map]").scroll_into_view_if_needed()
    x, y = page.evaluate("""([lon, lat]) => { const f = document.querySelector('figure[data-china-map]');
        const p = f.chart.convertToPixel({geoIndex: 0}, [lon, lat]);
        const r = f.querySelector('.map-canvas').getBoundingClientRect();
        return [r.left + p[0], r.top + p[1]]; }""", list(lon_lat))
    page.mouse.click(x, y)


@pytest.mark.parametrize("locale, shown", [("zh-CN", "江苏省苏州市 (320500)"), ("en-US", "Jiangsu · Suzhou (320500)")])
def test_a_click_near_suzhou_fills_the_coordinates_and_shows_the_division(live_server, browser, shot, tenant, locale, shown):
    owner = tenant("factory", "Map Works")
    page = login(browser, live_server, owner.email, locale, PHONE)
    page.goto(f"{live_server}/factories/new")
    _click_at(page, SUZHOU)
    page.wait_for_function("() => document.querySelector('[data-division]').dataset.code === '320500'", timeout=10000)
    assert page.inner_text("[data-division]") == shown
    lat, lon = float(page.input_value("#latitude")), float(page.input_value("#longitude"))
    assert abs(lat - SUZHOU[1]) < 0.01 and abs(lon - SUZHOU[0]) < 0.01
    assert page.input_value("#region") == "江苏省苏州市"  # empty before: the map names the place
    page.evaluate("() => window.scrollTo(0, 0)")
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")
    if locale == "zh-CN":
        assert english_on(page, ["Map Works", "Suzhou"]) == set()  # "Suzhou": the region label's own example
    shot(page, f"form-{locale}")

    page.fill("#name", "Map Works")
    page.fill("#address", "1 Test Road")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/factories/" in page.url and page.url.rstrip("/").split("/")[-1] != "new"
    assert "320500" in page.inner_text("main")
    page.wait_for_selector("figure[data-china-map].charted .map-canvas canvas")
    point = page.evaluate("() => document.querySelector('figure[data-china-map]').chart.getOption().series[0].data[0].value")
    assert abs(point[0] - lon) < 1e-6 and abs(point[1] - lat) < 1e-6
    shot(page, f"profile-{locale}")
    assert page.outside == []  # no CDN, no tile server
