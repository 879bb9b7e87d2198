"""In a browser: a factory signs up, adds a machine and publishes a recurring night shift;
a buyer signs up, posts an order with three operations and finds that capacity."""
import re
from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.browser


def _sign_up(page, base, kind, org, email, app):
    from sqlalchemy import select

    from market.mail.models import OutboxEmail
    from market.db import unit_of_work

    page.goto(f"{base}/signup")
    page.select_option("#kind", kind)
    page.fill("#organization_name", org)
    page.fill("#name", "Test Person")
    page.fill("#email", email)
    page.fill("#password", "a-long-password")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/login$"))
    with app.app_context(), unit_of_work() as s:  # the mailed link finishes the sign-up
        mail = s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == email)).one()
    page.goto(base + re.search(r"(/signup/confirm\?token=[\w-]+)", mail.body).group(1))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))


def test_factory_publishes_capacity_and_buyer_finds_it_for_a_three_step_order(live_server, browser, shot, app):
    base = live_server
    factory = browser.new_page(locale="en-US")
    _sign_up(factory, base, "factory", "Lakeside Machining", "owner@lakeside.test", app)
    factory.click("text=Add a factory")
    factory.fill("#name", "Lakeside Plant 1")
    factory.fill("#address", "88 Jinji Lake Road, Suzhou")
    factory.fill("#region", "Suzhou")
    factory.fill("#latitude", "31.31")
    factory.fill("#longitude", "120.67")
    factory.select_option("#certifications", ["ISO9001"])
    factory.click("main button[type=submit]")
    factory.click("text=Add a machine")
    factory.fill("#name", "DMU-65")
    factory.select_option("#processes", ["cnc_milling_3ax", "cnc_milling_5ax"])
    factory.fill("#hourly_rate", "450.00")
    factory.click("main button[type=submit]")
    factory.wait_for_selector("text=Publish idle capacity")
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    factory.check("#kind-recurring")
    factory.fill("#first_date", monday.isoformat())
    factory.fill("#weeks", "8")
    factory.fill("#start_time", "22:00")
    factory.fill("#end_time", "06:00")
    for day in range(5):
        factory.check(f"input[name=weekdays][value='{day}']")
    factory.select_option("#pricing_mode", "per_hour")
    factory.fill("#price", "400.00")
    factory.click("#publish button[type=submit]")
    factory.wait_for_selector("text=40 capacity window(s) published.")
    assert "22:00" in factory.inner_text("table")
    shot(factory, "1-factory-machine-windows")

    buyer = browser.new_page(locale="en-US")
    _sign_up(buyer, base, "buyer", "Drone Works", "buyer@drone.test", app)
    buyer.click("text=Post an order")
    buyer.fill("#title", "Arm bracket")
    buyer.fill("#quantity", "120")
    buyer.fill("#due_at", (monday + timedelta(days=30)).isoformat())
    buyer.fill("#budget", "30000.00")
    for i, (process, setup, run) in enumerate([("cnc_milling_3ax", "60", "4.5"), ("anodizing", "30", "0.5"),
                                               ("cmm_inspection", "15", "1")], start=1):
        buyer.select_option(f"#op-{i}-process_code", process)
        buyer.fill(f"#op-{i}-setup_minutes", setup)
        buyer.fill(f"#op-{i}-run_minutes_per_unit", run)
    buyer.click("button[value=publish]")
    buyer.wait_for_selector("text=Order saved.")
    assert "Open" in buyer.inner_text("h1")
    shot(buyer, "2-buyer-order")
    buyer.click("#find-capacity")
    milling = buyer.locator(".op-capacity").first
    assert "Lakeside Plant 1" in milling.inner_text()
    # only the night shifts that start on or before the due day are offered
    before_due = sum(1 for d in range(31) if (monday + timedelta(days=d)).weekday() < 5)
    assert f"{before_due} windows" in milling.inner_text()
    shot(buyer, "3-buyer-capacity")
    milling.locator("text=Ask to quote").first.click()
    buyer.wait_for_selector("text=The factory was asked to quote.")
    assert "Lakeside Machining" in buyer.inner_text("body")

    factory.goto(f"{base}/board")
    assert "Arm bracket" in factory.inner_text("table")
    factory.goto(f"{base}/orders")
    assert "Arm bracket" in factory.inner_text("table")  # invited: it now sees the order


def test_the_portal_switches_to_chinese_and_reads_well_on_a_phone(live_server, browser, shot):
    page = browser.new_page(locale="en-US", viewport={"width": 390, "height": 844})
    page.goto(live_server + "/")
    page.click("#lang-switch")
    page.wait_for_selector("text=English")
    assert "登录" in page.inner_text("header")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    shot(page, "landing-zh-phone")
