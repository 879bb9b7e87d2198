"""What every persona journey checks on each page it visits (issue #18's acceptance), in one place:

- on a phone (390 px) nothing scrolls sideways, and a table's empty state is not shown as the
  value of its first column;
- in Chinese, no English UI text besides what the parties typed (ui_text.english_words);
- no request leaves 127.0.0.1 (every other request is aborted and named; so is what the
  Content-Security-Policy refused before it reached the network);
- axe-core (vendored, pinned: vendor/axe-core) finds no serious or critical violation, once per
  kind of page (/orders/<id> is one kind whatever the id) a journey visits.

A journey opens its pages with `Checks.page(browser)` and calls `seen(page)` after each step;
`assert_clean()` at its end lists everything found, by page. The phone crawl of every page
(test_every_page.py) shares the pieces below."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.ui_text import _SHOWN, english_words

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
# a journey's four runs: each language on each screen
LANGUAGE_AND_SCREEN = [(locale, screen) for locale in ("zh-CN", "en-US") for screen in ("phone", "desktop")]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CODE = re.compile(r"^/trace/[^/]+")
# everything but our own server (and inline data): matched in Playwright's driver, so requests to
# 127.0.0.1 cost no round trip to Python
ELSEWHERE = re.compile(r"^(?!https?://127\.0\.0\.1[:/]|data:|blob:|about:)")

# the innermost elements that stick out past the right edge of a screen `inner` px wide: what to fix
WIDEST = """(inner) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > inner + 1 && r.width > 0 && ![...el.children].some(c => c.getBoundingClientRect().right > inner + 1)) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ` (${Math.round(r.right)}px)`);
    }
  }
  return out.slice(0, 5).join(', ');
}"""

AXE_RUN = """async () => {
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.impact} ${v.id}: ${v.help} — ` + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | '));
}"""

_WIDTH = """() => { const inner = window.innerWidth, width = document.scrollingElement.scrollWidth;
  return [width, inner, width > inner ? (WIDEST)(inner) : '']; }""".replace("WIDEST", WIDEST)
# a table's row-wide message (an empty state: one cell spanning the columns) shown on a phone as the
# value of its first column ("Created: No applications yet.")
_MISLABELLED = """() => [...document.querySelectorAll('table.cards tr')]
  .filter(r => r.cells.length === 1 && r.cells[0].colSpan > 1 && r.cells[0].hasAttribute('data-label'))
  .map(r => r.closest('table').id + ': ' + r.cells[0].getAttribute('data-label') + ' · ' + r.cells[0].innerText.trim())"""


@functools.cache
def axe_source() -> str:
    return AXE.read_text()


def kind_of(path: str) -> str:
    """/orders/<uuid>/quotes and /orders/<another uuid>/quotes are one kind of page."""
    return CODE.sub("/trace/<code>", UUID.sub("<id>", path))


class Checks:
    """One journey's checks, for one language on one screen; problems by page."""

    def __init__(self, locale: str, screen: str, shot=None, data=()):
        self.locale, self.screen, self.viewport = locale, screen, SCREENS[screen]
        self.shot, self.data = shot, list(data)
        self.wide: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        self.mislabelled: dict[str, list[str]] = {}
        self.english: dict[str, set[str]] = {}
        self.outside: dict[str, set[str]] = {}
        self.axe: dict[str, list[str]] = {}
        self.axed: set[str] = set()
        self.pages = 0

    def page(self, browser, **options):
        """A page in a context of its own (its own cookies: one person), in the journey's language
        and screen, with every request for another host aborted and named."""
        context = browser.new_context(locale=self.locale, viewport=self.viewport, **options)
        page = context.new_page()

        def elsewhere(route):
            self.outside.setdefault(_where(page), set()).add(route.request.url)
            route.abort()

        context.route(ELSEWHERE, elsewhere)
        context.on("console", lambda msg: "Content Security Policy" in msg.text and self.outside.setdefault(
            _where(page), set()).add(f"refused by the CSP: {msg.text[:200]}"))
        return page

    def seen(self, page, name: str | None = None, data=()):
        """The page as it is now: checked, and photographed as `name` when given."""
        page.wait_for_load_state()
        where = _where(page)
        self.pages += 1
        title = page.title()
        if not title.strip() or "<" in title:  # a tab or bookmark reads it: plain words only
            self.titles[where] = title
        width, inner, widest = page.evaluate(_WIDTH)
        if width > inner:
            self.wide[where] = f"{width}px wide on a {inner}px screen: {widest}"
        if self.screen == "phone":
            mislabelled = page.evaluate(_MISLABELLED)
            if mislabelled:
                self.mislabelled[where] = mislabelled
        if self.locale == "zh-CN":
            text, codes = page.evaluate(_SHOWN)
            found = english_words(text, [*self.data, *data, *(c for c in codes if c.strip())])
            if found:
                self.english.setdefault(where, set()).update(found)
        kind = kind_of(urlsplit(page.url).path)
        if kind not in self.axed:
            self.axed.add(kind)
            page.evaluate(axe_source())
            found = page.evaluate(AXE_RUN)
            if found:
                self.axe[where] = found
        if name and self.shot:
            self.shot(page, name)
        return page

    def assert_clean(self):
        problems = {
            "pages wider than the screen": self.wide,
            "titles empty or with markup": self.titles,
            "row-wide messages labelled as a column on a phone": self.mislabelled,
            "English UI text on a Chinese page": {k: sorted(v) for k, v in self.english.items()},
            "requests that leave 127.0.0.1 (aborted)": {k: sorted(v) for k, v in self.outside.items()},
            "axe-core serious or critical violations": self.axe,
        }
        report = "\n".join(f"{title} ({len(found)}):\n" + "\n".join(f"  {where}: {what}" for where, what in found.items())
                           for title, found in problems.items() if found)
        assert self.pages and not report, f"{self.locale} {self.screen}, {self.pages} pages looked at:\n{report}"


def _where(page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "") or "(blank)"

