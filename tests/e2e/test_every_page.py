"""Every portal page each persona can reach, on a 390x844 phone, in English and in Chinese, in
the demo world (`market demo`: factories, buyers, a lender, an operator and the orders, bids,
lots, credit and leases between them). From each persona's dashboard the crawl follows every
link of the portal (one page of each kind: /orders/<one id>, not every order) and,
on each page:

- nothing scrolls sideways (the page is no wider than the phone);
- the header is one row: the menu folds behind its button, and the button opens it;
- no request leaves 127.0.0.1 (every other request is aborted and named);
- in Chinese, no English UI text (tests/e2e/ui_text.py) besides what the parties typed;
- on the main pages (the menu's), axe-core finds no serious or critical violation.

One server, one seeded world and one browser per language: each language is one test, so that
pytest-xdist never builds the world twice for one crawl. Screenshots of the dashboards, phone
and desktop, go to test-artifacts/."""
from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.page_checks import AXE, AXE_RUN, DESKTOP, PHONE, WIDEST, axe_source, kind_of
from tests.e2e.ui_text import _SHOWN, english_words

# layout and wording: the PostgreSQL pass leaves it out (tests/conftest.py POSTGRES_PASS)
pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

HEADER_PX = 64  # one row of the header on a phone, with the menu folded
PER_KIND = 1  # pages of one kind (same path with the ids taken out) the crawl visits
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # axe-core 4.14.1 (vendor/axe-core/README.md)

PERSONAS = {
    "factory": [f"factory{i}@demo.local" for i in range(1, 9)],
    "buyer": [f"buyer{i}@demo.local" for i in range(1, 5)],
    "lender": ["lender@demo.local"],
    "operator": ["operator@demo.local"],
    "visitor": [None],  # not logged in: the home page, log-in, sign-up, trace look-up, public pages
}
# links the crawl does not follow: files (PDF, JSON, SVG, attachments), the API and its docs,
# the monitoring endpoints
SKIP = re.compile(r"(\.pdf|\.csv|\.json|\.svg|\.png|\.ico|\.webmanifest)$|^/(api|static|attachments|bid-attachments|documents|"
                  r"metrics|healthz|readyz)(/|$)|/trace/[^/]+/documents/|/(evidence|pdf)$")


def _typed_in_demo() -> list[str]:
    """What the demo's parties typed (names, titles, materials, messages): data, not UI text."""
    from market.demo import seed

    data = [name for name, *_ in seed.FACTORIES] + list(seed.BUYERS)
    data += [f"{name}: contract manufacturing with spare capacity on nights and weekends." for name, *_ in seed.FACTORIES]
    data += [f"{region} industrial park, building {i}" for i, (_, region, *_) in enumerate(seed.FACTORIES, start=1)]
    data += [model for model, *_ in seed.MACHINES.values()] + [kind.upper() for kind in seed.MACHINES]
    for title, part, material, *_ in seed.ORDERS:
        data += [title, part, material]
    bom = seed.BOM_ORDER
    data += [bom["title"], bom["material"]] + [c["name"] for c in bom["components"]] + [c["material"] for c in bom["components"]]
    data += [f"Factory manager {i}" for i in range(1, 9)] + [f"Buyer {i}" for i in range(1, 5)]
    data += ["平台运营 Marketplace Operations", "Olivia Operator", "苏州农商银行 Suzhou Rural Commercial Bank (demo)",
             "Li Lender", "Shanghai, Pudong", "Shenzhen, Nanshan", "Drawings to follow; please confirm the tolerance on op 1.",
             "Project stopped by our customer.", "Moulds included; clips in natural POM.",
             "Can you meet 39,000 with the same date?", "Working capital for the order", "A second machine",
             "Machine upgrade", "critical dimension", "surface roughness Ra", "SF Express", "edge gateway (demo)",
             "QC-07", "demo.local", "Suzhou", "Dongguan", "CNY", "ISO9001", "IATF16949", "ISO14001", "ISO13485",
             "AS9100", "NADCAP", "mm", "µm"]
    return data


class Crawl:
    """What the crawl found, by check; each entry names the page."""

    def __init__(self, base: str, locale: str, data: list[str]):
        self.base, self.locale, self.data = base, locale, data
        self.visited: list[str] = []
        self.kinds: Counter = Counter()
        self.wide: dict[str, str] = {}
        self.broken: dict[str, int] = {}
        self.menu: dict[str, str] = {}
        self.english: dict[str, set[str]] = {}
        self.outside: dict[str, set[str]] = {}
        self.axe: dict[str, list[str]] = {}
        self.axe_s = 0.0
        self.close_looks: set[tuple[str, str]] = set()  # (persona kind, kind of page): axe, focus, a tap
        self.spent: Counter = Counter()  # seconds, by step: where the crawl's time goes
        self.focus: dict[str, list[str]] = {}
        self.looked_at: dict[str, list[str]] = {}  # the pages photographed, by account
        self.photographed: set[tuple[str, str]] = set()  # (persona kind, kind of page)

    def on_a_laptop(self, page, email: str | None):
        """The pages photographed on the phone, on a laptop: nothing scrolls sideways there either."""
        if email not in self.looked_at:
            return
        page.set_viewport_size(DESKTOP)
        for path in self.looked_at[email]:
            page.goto(self.base + path)
            kind = kind_of(urlsplit(path).path)
            page.screenshot(path=str(ARTIFACTS / f"every-page-{self.locale}-{_persona(email)}-{_slug(kind)}-desktop.png"),
                            full_page=True)
            width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                self.wide[f"{email} {path} at {DESKTOP['width']}px"] = f"{width[0]}px wide: {page.evaluate(WIDEST, width[1])}"

    def photograph(self, page, email: str | None, path: str) -> bool:
        """The first page of each kind in LOOKED_AT a persona kind reaches, photographed."""
        kind = kind_of(urlsplit(path).path)
        persona = _persona(email)
        if not email or kind not in LOOKED_AT or (persona, kind) in self.photographed:
            return False
        self.photographed.add((persona, kind))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"every-page-{self.locale}-{persona}-{_slug(kind)}-phone.png"), full_page=True)
        return True

    def context(self, browser, viewport=PHONE):
        context = browser.new_context(locale=self.locale, viewport=viewport)
        current = {"url": ""}

        def leave_no_host(route):
            self.outside.setdefault(current["url"] or "(login)", set()).add(route.request.url)
            route.abort()

        # what the page's Content-Security-Policy refuses never reaches the network: named too
        context.on("console", lambda msg: "Content Security Policy" in msg.text and self.outside.setdefault(
            current["url"], set()).add(f"refused by the CSP: {msg.text[:200]}"))
        # matched in Playwright's driver, so requests to 127.0.0.1 cost no round trip to Python
        context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]|data:|blob:)"), leave_no_host)
        return context, current

    def check_the_blocking(self, browser):
        """The net above catches what it should: a page that asks another host is named."""
        context, current = self.context(browser)
        page = context.new_page()
        current["url"] = "/login (probe)"
        page.goto(f"{self.base}/login")
        with pytest.raises(Exception, match="ERR_FAILED"):
            page.goto("https://cdn.example.com/probe.js")
        context.close()
        assert self.outside.pop("/login (probe)", None) == {"https://cdn.example.com/probe.js"}, self.outside

    def log_in(self, page, email: str):
        """The log-in form's own POST (its CSRF token and all) in the page's context, without
        drawing the form: the crawl looks at the form as the visitor; journeys fill it in."""
        form = page.context.request.get(f"{self.base}/login").text()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = page.context.request.post(f"{self.base}/login", max_redirects=0, form={
            "csrf_token": token, "email": email, "password": "demo-password"})
        assert answer.status in (302, 303) and answer.headers["location"].endswith("/dashboard"), \
            f"{email} could not log in: {answer.status} {answer.text()[:300]}"

    def portal_links(self, hrefs: list[str]) -> list[str]:
        out = []
        for href in hrefs:
            if not href.startswith(self.base):
                continue
            parts = urlsplit(href)
            path = parts.path or "/"
            if not SKIP.search(path):
                out.append(path + (f"?{parts.query}" if parts.query else ""))
        return out

    def check(self, page, where: str, main: bool) -> dict:
        """One look at the page (one round trip): its width, its menu, its text, its links."""
        seen = page.evaluate(_LOOK)
        if seen["width"] > seen["inner"]:
            self.wide[where] = f"{seen['width']}px wide: {seen['widest']}"
        if seen["menu"]:
            self.menu[where] = seen["menu"]
        elif main and seen["header"]:
            self.press_menu(page, where)  # on the main pages, a real tap too
        if self.locale == "zh-CN":
            found = english_words(seen["text"], [*self.data, *(c for c in seen["codes"] if c.strip())])
            if found:
                self.english[where] = found
        if main:
            self.check_focus(page, where)
            self.run_axe(page, where)
        return seen

    def check_focus(self, page, where: str, tabs: int = 4):
        """The first few stops of the Tab key each show where the focus is."""
        for _ in range(tabs):
            page.keyboard.press("Tab")
            shown = page.evaluate(_FOCUS)
            if shown:
                self.focus.setdefault(where, []).append(shown)

    def press_menu(self, page, where: str):
        page.click("label.menu-button")
        if not page.is_visible("#main-nav a"):
            self.menu[where] = "tapping the menu button does not open the menu"
        page.click("label.menu-button")
        if page.is_visible("#main-nav a"):
            self.menu[where] = "tapping the menu button again does not close the menu"

    def run_axe(self, page, where: str):
        started = time.monotonic()
        page.evaluate(axe_source())
        result = page.evaluate(AXE_RUN)
        if result:
            self.axe[where] = result
        self.axe_s += time.monotonic() - started

    def walk(self, browser, email: str | None, seen_kinds: Counter):
        context, current = self.context(browser)
        page = context.new_page()
        try:
            if email:
                t0 = time.monotonic()
                self.log_in(page, email)
                self.spent["log in"] += time.monotonic() - t0
            start = "/dashboard" if email else "/"
            queue, queued = [start], {start}
            main = {start} if email else {start, "/login", "/signup", "/trace"}
            while queue:
                path = queue.pop(0)
                kind = kind_of(urlsplit(path).path)
                if seen_kinds[kind] >= PER_KIND and path != start:
                    continue
                seen_kinds[kind] += 1
                current["url"] = path
                t0 = time.monotonic()
                response = page.goto(self.base + path)
                self.spent["load"] += time.monotonic() - t0
                if response is None or response.status >= 400:
                    self.broken[f"{email or 'visitor'} {path}"] = response.status if response else 0
                    continue
                if "text/html" not in response.headers.get("content-type", ""):
                    continue
                where = f"{email or 'visitor'} {path}"
                self.visited.append(where)
                if path == start and email:  # the main pages: the menu's
                    main |= set(self.portal_links(page.evaluate(
                        "() => [...document.querySelectorAll('#main-nav a[href]')].map(a => a.href)")))
                t0 = time.monotonic()
                # a main page is looked at closely once per persona kind (every factory has a dashboard)
                closely = path in main and (_persona(email), kind) not in self.close_looks
                self.close_looks.add((_persona(email), kind))
                seen = self.check(page, where, main=closely)
                t1 = time.monotonic()
                if self.photograph(page, email, path):
                    self.looked_at.setdefault(email, []).append(path)
                self.spent["check"] += t1 - t0
                self.spent["photograph"] += time.monotonic() - t1
                for link in self.portal_links(seen["links"]):
                    if link not in queued:
                        queued.add(link)
                        queue.append(link)
            t0 = time.monotonic()
            self.on_a_laptop(page, email)
            self.spent["laptop"] += time.monotonic() - t0
        finally:
            context.close()
        t0 = time.monotonic()
        self.without_scripts(browser, email)
        self.spent["without scripts"] += time.monotonic() - t0

    def without_scripts(self, browser, email: str | None):
        """The pages photographed, on the phone with JavaScript off: the tables keep their columns
        (tables.js does not run) inside their scroll boxes; the page still does not scroll sideways."""
        if email not in self.looked_at:
            return
        context = browser.new_context(locale=self.locale, viewport=PHONE, java_script_enabled=False)
        try:
            page = context.new_page()
            self.log_in(page, email)
            for path in self.looked_at[email]:
                page.goto(self.base + path)
                width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
                if width[0] > width[1]:
                    self.wide[f"{email} {path} without JavaScript"] = \
                        f"{width[0]}px wide: {page.evaluate(WIDEST, width[1])}"
        finally:
            context.close()


# one look at a page: how wide it is (and, when too wide, the innermost elements that stick
# out past the right edge: what to fix), whether its phone menu folds and opens (a tap on the
# button's label toggles the checkbox), what it shows (ui_text._SHOWN) and where it links
_LOOK = """() => {
  const inner = window.innerWidth, width = document.scrollingElement.scrollWidth;
  const widest = width > inner ? (WIDEST)(inner) : '';
  const header = !!document.querySelector('header.top');
  let menu = '';
  if (header) {  // a page to print (a lot's label) has no header and no menu
    const toggle = document.getElementById('menu-toggle'), nav = document.getElementById('main-nav');
    const button = document.querySelector('label.menu-button[for=menu-toggle]');
    if (!toggle || !nav || !button) menu = 'no menu button';
    else if (!button.checkVisibility()) menu = 'the menu button is hidden on a phone';
    else if (nav.checkVisibility()) menu = 'the menu is open before the button is pressed';
    else if (document.querySelector('header.top').offsetHeight > HEADER_PX)
      menu = `the header takes ${document.querySelector('header.top').offsetHeight}px: more than one row`;
    else {
      button.click();
      if (!nav.checkVisibility() || !nav.querySelector('a')) menu = 'the menu button does not open the menu';
      else if (document.scrollingElement.scrollWidth > inner) menu = 'the open menu is wider than the screen';
      button.click();
      if (!menu && nav.checkVisibility()) menu = 'the menu button does not close the menu';
    }
  }
  const [text, codes] = (SHOWN)();
  return {width, inner, widest, header, menu, text, codes,
          links: [...document.querySelectorAll('a[href]')].map(a => a.href)};
}""".replace("SHOWN", _SHOWN).replace("WIDEST", WIDEST).replace("HEADER_PX", str(HEADER_PX))


# pages looked at on a laptop too (and photographed on both screens): each persona's dashboard
# and, where the crawl reached them, the pages with the widest content
LOOKED_AT = ("/dashboard", "/orders/<id>", "/orders/<id>/quotes", "/orders/<id>/offers", "/bids/<id>",
             "/lots/<id>", "/credit/reports/<id>", "/telemetry", "/factories/<id>/schedule", "/operator/revenue")


# the element the keyboard focus is on, when nothing shows it (no outline, no shadow); the
# menu's checkbox is hidden: its button shows its focus
_FOCUS = """() => {
  let el = document.activeElement;
  if (!el || el === document.body) return '';
  if (el.id === 'menu-toggle') el = document.querySelector('label.menu-button');
  const s = getComputedStyle(el);
  const shown = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  return shown ? '' : el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').trim().slice(0, 30);
}"""


def _persona(email: str | None) -> str:
    return email.split("@")[0].rstrip("0123456789") if email else "visitor"


def _slug(kind: str) -> str:
    return re.sub(r"[^a-z]+", "-", kind.replace("<id>", "")).strip("-")


def test_the_vendored_axe_core_is_the_pinned_release():
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256, \
        "tests/e2e/vendor/axe-core/axe.min.js is not axe-core 4.14.1: update it as its README says"


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_page_of_every_persona_on_a_phone(demo_site, chromium, locale):
    crawl = Crawl(demo_site.base, locale, [*_typed_in_demo(), *demo_site.typed])
    crawl.check_the_blocking(chromium)
    started = time.monotonic()
    for kind, emails in PERSONAS.items():
        seen_kinds: Counter = Counter()  # each persona kind visits up to PER_KIND pages of a kind
        for email in emails:
            crawl.walk(chromium, email, seen_kinds)
    took = time.monotonic() - started
    timing = (f"{locale}: {len(crawl.visited)} pages on the phone, {sum(map(len, crawl.looked_at.values()))} on a "
              f"laptop, in {took:.0f} s (axe-core {crawl.axe_s:.0f} s of it); "
              + ", ".join(f"{step} {s:.0f} s" for step, s in crawl.spent.most_common()))
    print(timing)

    def listed(found: dict) -> str:
        return "\n".join(f"  {where}: {what}" for where, what in sorted(found.items()))

    assert len(crawl.visited) > 60, crawl.visited  # the crawl did reach the pages (not just the log-in)
    problems = {
        "pages that fail": crawl.broken,
        "pages wider than the screen": crawl.wide,
        "phone menu": crawl.menu,
        "requests that leave 127.0.0.1 (aborted)": {k: sorted(v) for k, v in crawl.outside.items()},
        "English UI text on Chinese pages": {k: sorted(v) for k, v in crawl.english.items()},
        "axe-core serious or critical violations": crawl.axe,
        "focus not shown": crawl.focus,
    }
    report = timing + "\n" + "\n".join(f"{title} ({len(found)}):\n{listed(found)}" for title, found in problems.items() if found)
    assert not any(problems.values()), report
