"""In a browser, in Chinese and in English, on a phone and on a laptop: the operator signs in to
the demo world and works through the console: the market's figures and its chart, liquidity
(the open orders nobody quoted, the capacity nobody booked), a batch match followed until it is
done, the dispute waiting (to its order's payment page), the commission (a rule saved) and the
organizations on the platform. Each page is checked as every persona journey's are
(page_checks.Checks: nothing sideways on the phone, no English on a Chinese page, nothing asked
of another host, axe-core) and photographed."""
from __future__ import annotations

import re

import pytest

from tests.e2e.page_checks import LANGUAGE_AND_SCREEN, Checks
from tests.e2e.test_every_page import _typed_in_demo

pytestmark = pytest.mark.browser

REASON = "12 件孔径超差 / 12 pieces out of tolerance"
WORDS = {"zh-CN": {"console": "运营控制台", "done": "已完成", "saved": "佣金规则已保存。", "rate": "佣金比例"},
         "en-US": {"console": "Operator console", "done": "Done", "saved": "Commission rule saved.", "rate": "Commission rate"}}


@pytest.fixture(scope="module")
def disputed(demo_site) -> str:
    """A buyer of the demo world disputes its shipped order (the demo has no dispute of its own)."""
    from sqlalchemy import select

    from market.accounts.models import User
    from market.accounts.services import actor_of_id
    from market.db import unit_of_work
    from market.orders.models import Order
    from market.payments import services as payments

    with demo_site.app.app_context():
        with unit_of_work() as s:
            order = s.scalars(select(Order).where(Order.state == "shipped").order_by(Order.id)).first()
            user_id = s.scalar(select(User.id).where(User.organization_id == order.buyer_org_id).order_by(User.id))
            public_id, title = order.public_id, order.title
        payments.open_dispute(actor_of_id(user_id), public_id, REASON, "bore 12.02 mm")
    return title


def _click(page, selector: str):
    with page.expect_navigation():
        page.click(selector)
    return page


@pytest.mark.parametrize("locale,screen", LANGUAGE_AND_SCREEN)
def test_the_operator_reads_liquidity_runs_a_batch_match_and_looks_at_disputes_and_commission(
        demo_site, chromium, shot, disputed, locale, screen):
    words, base = WORDS[locale], demo_site.base
    checks = Checks(locale, screen, shot, data=[*_typed_in_demo(), *demo_site.typed, REASON, "bore 12.02 mm"])
    page = checks.page(chromium)
    page.goto(f"{base}/login")
    checks.seen(page)
    page.fill("#email", "operator@demo.local")
    page.fill("#password", "demo-password")
    _click(page, "main button[type=submit]")
    assert page.url.endswith("/dashboard")

    # the console: the figures that answer the operator's first questions, and the chart drawn
    assert words["console"] in page.inner_text("h1")
    page.wait_for_selector("#stages figure.charted .chart-canvas canvas")
    checks.seen(page, "console")
    unquoted = int(page.inner_text("#fig-unquoted b"))

    # liquidity: which open orders have no live quote, which capacity nobody booked
    _click(page, "#fig-unquoted")
    assert "/operator/liquidity" in page.url
    assert page.locator("#unquoted-orders tbody tr").count() == unquoted > 0
    assert page.locator("#unbooked-capacity tbody tr").count() > 0
    checks.seen(page, "liquidity")

    # a batch match, followed until it is done (the page polls while it runs, then stops)
    _click(page, "#batch-match")
    assert re.search(r"/operator/batches/[0-9a-f-]{36}$", page.url), page.url
    page.wait_for_selector("#batch[data-status=done]", timeout=90_000)
    assert words["done"] in page.inner_text("#batch-status")
    assert page.locator("meta[http-equiv=refresh]").count() == 0  # no more polling once done
    checks.seen(page, "batch-done")
    _click(page, "#back-to-console")
    row = page.locator("#batches tbody tr").first
    assert words["done"] in row.inner_text()
    checks.seen(page)

    # the dispute waiting: from the console's figure to its order's payment page
    assert int(page.inner_text("#fig-disputes b")) >= 1
    _click(page, "#fig-disputes")
    waiting = page.locator("#waiting tr", has_text=disputed)
    assert waiting.count() == 1
    checks.seen(page, "revenue")
    with page.expect_navigation():
        waiting.locator("a").last.click()
    assert REASON in page.inner_text("#disputes")
    checks.seen(page, "dispute")

    # commission: a rule in percent and yuan, read back as the operator typed it
    page.goto(f"{base}/operator/revenue#rules")
    page.select_option("#rule-tier", "pro")
    page.fill("#rule-percent", "6.5")
    page.fill("#rule-minimum", "20")
    _click(page, "#save-rule")
    assert words["saved"] in page.inner_text(".flash")
    rule = page.locator("#rules tr", has_text="6.50 %")
    assert rule.count() >= 1 and "¥20.00" in rule.first.inner_text()
    assert words["rate"] in page.inner_text("#rules th >> nth=2")  # a share of the price, not a machine's hourly rate
    checks.seen(page, "commission")

    # the organizations on the platform, by kind
    page.goto(f"{base}/dashboard")
    organizations = page.locator("#organizations tbody tr")
    assert organizations.count() >= 14  # 8 factories, 4 buyers, a lender, the operator
    checks.seen(page)
    checks.assert_clean()
    page.context.close()
