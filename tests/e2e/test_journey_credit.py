"""In a browser, in both languages: a factory grants a lender access; the lender issues the
credit report from its portfolio and reads it (this factory's file is thin: one delivery and no
machine data, so the report says "insufficient data" and why, and gives no grade) with its
evidence table, and downloads the PDF; the factory sees each of those accesses in its log.
On a phone and on a laptop; every page is checked as every persona journey's are
(page_checks.Checks)."""
import numpy
import pytest

from market.pdf import page_images
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.page_checks import LANGUAGE_AND_SCREEN, Checks
from tests.market.test_credit import delivered  # noqa: F401 - fixture
from tests.market.test_production import accepted  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

WORDS = {  # what each language shows
    "en-US": {"grant": "Grant access", "issue": "Issue report", "granted": "Access granted", "issued": "Report issued",
              "pdf": "Report PDF downloaded", "report": "Credit report", "no_grade": "Insufficient data: no grade."},
    "zh-CN": {"grant": "授权访问", "issue": "出具报告", "granted": "已授权访问", "issued": "已出具报告",
              "pdf": "下载了报告PDF", "report": "信用报告", "no_grade": "数据不足：不予评级。"},
}


# what the parties typed or are called: data, not UI text
TYPED = ["Bank A", "Bank B", "Mill Works", "Mill Works-0", "Finish Lab", "Finish Lab-0", "Finish Lab-1", "Bracket",
         "BR-1", "6061", "CNY", "buyer org", "buyer user", "factory user", "lender user", "Test Works", "1 Test Road",
         "Suzhou", "Asia/Shanghai"]


def login(checks, browser, base, email):
    page = checks.page(browser, accept_downloads=True)
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return checks.seen(page)


@pytest.mark.parametrize("locale,screen", LANGUAGE_AND_SCREEN)
def test_factory_grants_lender_reads_the_report_and_pdf_factory_sees_the_log(live_server, browser, shot, delivered,  # noqa: F811
                                                                           two_sites, locale, screen):
    w, words = delivered, WORDS[locale]
    checks = Checks(locale, screen, shot, TYPED)
    bank = w["lenders"][0]
    factory = login(checks, browser, live_server, two_sites[1]["tenant"].email)
    factory.goto(f"{live_server}/credit")
    checks.seen(factory)
    factory.select_option("#lender_id", str(bank.actor.org_public_id))
    factory.select_option("#purpose", "credit_assessment")
    factory.fill("#days", "30")
    factory.click(f"button:has-text(\"{words['grant']}\")")
    assert "Bank A" in factory.inner_text("#consents")
    checks.seen(factory, "factory-granted")

    lender = login(checks, browser, live_server, bank.email)
    lender.goto(f"{live_server}/credit")
    checks.seen(lender, "lender-portfolio")
    row = lender.locator("#portfolio tr", has_text="Finish Lab")
    assert row.count() == 1 and lender.locator("#portfolio tr", has_text="Mill Works").count() == 0
    row.locator(f"button:has-text(\"{words['issue']}\")").click()
    lender.wait_for_selector("#score")
    assert words["report"] in lender.inner_text("h1")
    # a thin file is not graded: no score, no grade, and the report says what evidence is missing
    assert lender.inner_text("#score") == "—" and lender.inner_text("#grade") == "—"
    assert words["no_grade"] in lender.inner_text("#rating") and lender.locator("#rating li").count() >= 1
    evidence = lender.locator("#evidence tr")
    assert evidence.count() >= 10 and lender.locator("#evidence a[href*='/api/v1/ledger/entries/']").count() >= 3
    checks.seen(lender, "lender-report")

    pdf_link = lender.locator("a[href$='/pdf']")
    with lender.expect_download() as download:
        pdf_link.click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
    first = page_images(data, scale=1.0)[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first.save(ARTIFACTS / f"credit-journey-{locale}-{screen}-pdf-page1.png")
    # page 1 carries the heading, the score cards and the charts, not a blank page
    assert int((numpy.asarray(first.convert("L")) < 128).sum()) > 1500  # dark pixels, counted by numpy
    from pypdfium2 import PdfDocument

    text = PdfDocument(data)[0].get_textpage().get_text_range()
    assert words["report"] in text and words["no_grade"] in text

    factory.goto(f"{live_server}/credit")
    log = factory.inner_text("#access-log")
    for word in (words["granted"], words["issued"], words["pdf"]):
        assert word in log, (word, log)
    assert factory.locator("#access-log a[href*='/api/v1/ledger/entries/']").count() >= 4
    checks.seen(factory, "factory-access-log")
    checks.assert_clean()
