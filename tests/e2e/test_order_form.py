"""In a browser: a buyer's order form refused for one field comes back with every value typed,
the date and budget inputs included, and posts once the field is fixed."""
import pytest

from tests.e2e.test_journey_production import login
from tests.market.test_orders_portal import DUE

pytestmark = pytest.mark.browser


def test_a_refused_order_form_keeps_the_due_date_and_budget_in_the_browser(live_server, browser, shot, tenant):
    page = login(browser, live_server, tenant("buyer").email)
    page.goto(f"{live_server}/orders/new")
    page.fill("#quantity", "120")
    page.fill("#due_at", DUE)
    page.fill("#budget", "30000.50")
    page.select_option("#required_certifications", ["ISO9001"])
    page.select_option("#op-1-process_code", "cnc_milling_3ax")
    page.fill("#op-1-setup_minutes", "60")
    page.fill("#op-1-run_minutes_per_unit", "4.5")
    page.click("button[value=publish]")  # no title
    page.wait_for_selector("[data-error-for=title]")
    shot(page, "refused")
    assert page.input_value("#due_at") == DUE and page.input_value("#budget") == "30000.50"
    assert page.input_value("#quantity") == "120" and page.input_value("#op-1-run_minutes_per_unit") == "4.5"
    assert page.locator("#required_certifications option:checked").all_inner_texts() != []
    page.fill("#title", "Arm bracket")
    page.click("button[value=publish]")
    page.wait_for_selector("text=Order saved.")
    assert "30,000.50" in page.inner_text("main")
