"""In a browser: the interactive charts draw (ECharts from our own static files), a hover shows
the figure's tooltip, a click drills down (a Pareto bar to the stretches behind it, a Gantt bar
to its order); each persona's dashboard reads entirely in Chinese on a zh-CN page and does not
scroll sideways on a 390 px phone. Screenshots in both languages, desktop and phone."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.ui_text import english_on
from tests.market import test_production

accepted = test_production.accepted  # the fixture: an order accepted at Mill Works and Finish Lab

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def login(browser, base, email, locale, viewport=DESKTOP):
    page = browser.new_page(locale=locale, viewport=viewport)
    page.outside = []  # requests for anything not served by us: refused, and the test says so
    page.route(lambda url: not url.startswith(base), lambda route: (page.outside.append(route.request.url), route.abort()))
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return page


def drawn(page, figure: str) -> None:
    """The figure's chart is drawn (a canvas inside it) and the server's drawing is hidden."""
    page.wait_for_selector(f"{figure}.charted .chart-canvas canvas")
    assert not page.locator(f"{figure} .chart-fallback").is_visible()


def hover(page, figure: str, point_js: str) -> None:
    """Move the mouse over the pixel `point_js` (an expression of the ECharts instance `c`) gives."""
    x, y = page.evaluate(f"""() => {{ const f = document.querySelector({figure!r}); const c = f.chart;
        const p = {point_js}; const r = f.querySelector('.chart-canvas').getBoundingClientRect();
        return [r.left + p[0], r.top + p[1]]; }}""")
    page.mouse.move(x, y)
    return x, y


def tooltip_text(page, figure: str, expected: str) -> str:
    page.wait_for_function("([sel, text]) => document.querySelector(sel + ' .chart-canvas').innerText.includes(text)",
                           arg=[figure, expected], timeout=5000)
    return page.inner_text(f"{figure} .chart-canvas")


@pytest.fixture
def lost_time(app, accepted):
    """Mill Works' mill was down 3 h for a spindle fault and idle 1 h waiting for material two days ago."""
    from sqlalchemy import select

    from market.catalog.models import Machine
    from market.db import unit_of_work
    from market.telemetry.models import StateInterval

    start = (datetime.now(timezone.utc) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    with app.app_context(), unit_of_work() as s:
        mill = s.scalar(select(Machine).where(Machine.name == "Mill Works-0"))
        for a, hours, state, reason in ((start, 3, "down", "spindle_fault"), (start + timedelta(hours=3), 1, "idle", "waiting_material")):
            s.add(StateInterval(machine_id=mill.id, factory_id=mill.factory_id, day=a.date(), start_at=a,
                                end_at=a + timedelta(hours=hours), state=state, reason=reason))
        s.commit()
        return {"factory_id": mill.factory.public_id}


PARETO = {"en-US": {"bar": "Down · spindle fault", "hours": "3.0 h", "reason": "spindle fault"},
          "zh-CN": {"bar": "停机 · 主轴故障", "hours": "3.0 小时", "reason": "主轴故障"}}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_pareto_bar_shows_its_hours_on_hover_and_leads_to_the_stretches_behind_it(live_server, browser, shot, two_sites,
                                                                                     lost_time, locale):
    words = PARETO[locale]
    typed = ["Mill Works", "Mill Works-0", "factory user", "Asia/Shanghai", "Suzhou"]
    page = login(browser, live_server, two_sites[0]["tenant"].email, locale)
    page.goto(f"{live_server}/factories/{lost_time['factory_id']}/telemetry")
    drawn(page, "#pareto figure")
    drawn(page, "#heatmap figure")
    hover(page, "#pareto figure", "c.convertToPixel({seriesIndex: 0}, [0, 1.5])")
    text = tooltip_text(page, "#pareto figure", words["reason"])
    assert words["bar"] in text and words["hours"] in text and "75%" in text
    if locale == "zh-CN":
        assert english_on(page, typed) == set()
    shot(page, "pareto-hover")
    assert page.outside == []
    with page.expect_navigation():
        page.mouse.click(*hover(page, "#pareto figure", "c.convertToPixel({seriesIndex: 0}, [0, 1.5])"))
    assert "/telemetry/lost-time" in page.url and "reason=spindle_fault" in page.url
    rows = page.locator("#lost-time tr")
    assert rows.count() == 2 and words["reason"] in rows.nth(1).inner_text() and "3.0" in rows.nth(1).inner_text()
    if locale == "zh-CN":
        assert english_on(page, typed) == set()
    shot(page, "lost-time")


def test_without_javascript_the_server_drawing_and_its_links_stay(live_server, browser, two_sites, lost_time):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", two_sites[0]["tenant"].email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(f"{live_server}/factories/{lost_time['factory_id']}/telemetry")
    assert page.locator("#pareto .chart-fallback svg").is_visible() and page.locator("#pareto canvas").count() == 0
    with page.expect_navigation():
        page.click("#pareto .pareto-links a:has-text('spindle fault')")
    assert "reason=spindle_fault" in page.url
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_gantt_zooms_shows_the_booked_order_on_hover_and_opens_it_on_click(live_server, browser, shot, accepted,
                                                                              two_sites, locale):
    factory_id = two_sites[0]["factory"]["id"]
    page = login(browser, live_server, two_sites[0]["tenant"].email, locale)
    page.goto(f"{live_server}/factories/{factory_id}/schedule")
    drawn(page, "#gantt-chart")
    # the middle of the first booked bar, from the spec the page carries
    point = """(() => { const spec = JSON.parse(f.querySelector('script.chart-spec').textContent);
        const b = spec.bars.find(x => x.kind === 'booked'); window._bar = b;
        return c.convertToPixel({gridIndex: 0}, [(b.start + b.end) / 2, b.row]); })()"""
    hover(page, "#gantt-chart", point)
    assert "Bracket" in tooltip_text(page, "#gantt-chart", "Bracket")
    shot(page, "gantt-hover")
    assert english_on(page, ["Bracket", "Mill Works", "Mill Works-0", "factory user", "Asia/Shanghai"]) == set() \
        or locale == "en-US"
    # zoom in with the wheel: the time axis shows a shorter span
    before = page.evaluate("() => { const o = document.querySelector('#gantt-chart').chart.getOption(); return o.dataZoom[0].end - o.dataZoom[0].start; }")
    page.mouse.wheel(0, -600)
    page.wait_for_function("(b) => { const o = document.querySelector('#gantt-chart').chart.getOption(); return o.dataZoom[0].end - o.dataZoom[0].start < b; }",
                           arg=before)
    assert page.outside == []  # ECharts and its chart came from 127.0.0.1 only
    with page.expect_navigation():
        page.mouse.click(*hover(page, "#gantt-chart", point))
    assert f"/orders/{accepted[3]['id']}" in page.url
    # printing shows the server's drawing of the whole period, not the canvas
    page.go_back()
    drawn(page, "#gantt-chart")
    page.emulate_media(media="print")
    assert page.locator("#gantt").is_visible() and not page.locator("#gantt-chart .chart-canvas").is_visible()


PERSONAS = ("factory", "buyer", "lender", "operator")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_each_persona_dashboard_draws_reads_in_its_language_and_fits_a_phone(live_server, browser, shot, tenant, accepted,
                                                                              two_sites, locale):
    buyer = accepted[0]
    lender = tenant("lender", "Bank A")
    operator = tenant("operator", "Ops")
    emails = {"factory": two_sites[0]["tenant"].email, "buyer": buyer.email, "lender": lender.email, "operator": operator.email}
    typed = ["Mill Works", "Mill Works-0", "Finish Lab", "Bracket", "BR-1", "buyer org", "buyer user", "factory user",
             "lender user", "Bank A", "Ops", "Op", "Test Works", "Suzhou", "1 Test Road"]
    charts = {"factory": "#week-chart figure", "buyer": "#stages figure", "operator": "#stages figure", "lender": None}
    for who in PERSONAS:
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = login(browser, live_server, emails[who], locale, viewport)
            page.goto(f"{live_server}/dashboard")
            page.wait_for_selector(f"#{who}-figures")
            if charts[who]:
                drawn(page, charts[who])
            if locale == "zh-CN":
                assert english_on(page, typed) == set(), who
            if name == "phone":
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), who
            shot(page, f"{who}-{name}")
            assert page.outside == [], who
            page.close()


def test_a_bar_of_the_buyers_stages_opens_the_orders_in_that_stage(live_server, browser, accepted):
    page = login(browser, live_server, accepted[0].email, "zh-CN")
    page.goto(f"{live_server}/dashboard")
    drawn(page, "#stages figure")
    accepted_bar = "c.convertToPixel({seriesIndex: 0}, [3, 0.5])"  # stages: draft open quoted accepted …
    hover(page, "#stages figure", accepted_bar)
    assert "1" in tooltip_text(page, "#stages figure", "已确认")  # accepted, as the zh-CN portal names it
    with page.expect_navigation():
        page.mouse.click(*hover(page, "#stages figure", accepted_bar))
    assert page.url.endswith("/orders?state=accepted")
    assert "Bracket" in page.inner_text("main")
