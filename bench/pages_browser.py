"""bench/pages.py's browser side: one round of clicks in Chromium, each timed from click to settled.

Settled means Streamlit's script run that the click started has finished (the app root's
`data-test-script-state` went back to `notRunning`, i.e. the running indicator is gone), the
element the item expects is visible, and no element of the page is still a grey placeholder
(`stSkeleton`): Streamlit's browser side draws some elements after the run has ended, up to
0.3 s later on this machine (0.9 s on a first visit), and until then a person sees grey boxes.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

# Counts finished script runs in the page; `load` changes when the page itself reloads.
WATCH = """
window.__si = {runs: 0, state: null, load: Math.random(), changed: 0};
new MutationObserver(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app && app.getAttribute('data-test-script-state');
  if (state && state !== window.__si.state) {
    if (state === 'notRunning') window.__si.runs++;
    window.__si.state = state;
    window.__si.changed = performance.now();
  }
}).observe(document, {subtree: true, childList: true, attributes: true,
                      attributeFilter: ['data-test-script-state']});
"""
# No run going, nor one in the last 300 ms (a run may start another: a rerun, a component's value).
QUIET = "window.__si && window.__si.state === 'notRunning' && performance.now() - window.__si.changed > 300"
# A run ended since `runs` was read, or the page reloaded, or (a visit) the page asked for has its
# title: a quick run's "running" can be drawn over before the watcher sees it, which left a click
# on Lineage & graph looking as if it had started nothing (3 times in 10 visits on a fast machine).
DONE = """([runs, load, title]) => window.__si && window.__si.state === 'notRunning'
    && (window.__si.runs > runs || window.__si.load !== load || (title !== null
        && [...document.querySelectorAll('[data-testid="stMain"] h1')]
             .some((h) => h.textContent.includes(title))))"""
DRAWN = """() => !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')"""
# A person takes at least this long to type a workspace, an email and a password; meanwhile
# the sign-in page has the browser load the pages' element code (ui/element_code.py).
TYPING_MS = 3000
# Page link text in the sidebar -> the page's title (its h1).
PAGES = {
    "Overview": "Overview",
    "Documents": "Documents",
    "Data sources": "Data sources",
    "Sync": "Sync",
    "Business rules": "Business rules",
    "Insights": "Insights",
    "Data quality": "Data quality",
    "Lineage & graph": "Lineage & graph",
    "System health": "System health",
    "Admin": "Admin",
}
SIGN_IN = "sign-in page, first"
SIGN_IN_RETURNING = "sign-in page, returning browser"
BARE = "bare Streamlit form, first (reference)"
BARE_RETURNING = "bare Streamlit form, returning browser (reference)"
OTHERS = ["Data sources", "Sync", "Insights", "Data quality", "Lineage & graph", "System health", "Admin"]
WORDS = ["refund", "invoice", "dashboard", "export", "contract", "login", "renewal"]
TAGS = ["vip", "billing", "renewal", "question", "enterprise", "bug", "legal-review"]
REGEX_RULE = {
    "and": [
        {"regex": [{"var": "content"}, "(refund|invoice)[a-z ]*(twice|second)"]},
        {"==": [{"var": "metadata.region"}, "EMEA"]},
    ]
}


@dataclass(frozen=True)
class Account:
    workspace: str
    email: str
    password: str


Record = Callable[[str, Callable[[], float]], None]  # an item's name and how to time it once


def clicked(page: Page, action: Callable[[], None], expected: Locator, title: str | None = None) -> float:
    """Seconds from the action to the run it started being finished with `expected` visible; `title`
    names the page a visit goes to (not the one it leaves)."""
    page.wait_for_function(QUIET, timeout=120_000, polling=50)
    before = [*page.evaluate("[window.__si.runs, window.__si.load]"), title]
    started = time.perf_counter()
    action()
    try:
        try:
            page.wait_for_function(DONE, arg=before, timeout=10_000, polling=10)
        except PlaywrightError:
            # Rarely a click starts no run at all; it is made again and the wait counts from the first.
            if page.evaluate("[window.__si.state, window.__si.runs]") == ["notRunning", before[0]]:
                print(f"  (no run 10 s after the click at {page.url}; clicked again)", flush=True)
                action()
            page.wait_for_function(DONE, arg=before, timeout=120_000, polling=10)
        expected.first.wait_for(state="visible", timeout=120_000)
        page.wait_for_function(DRAWN, timeout=120_000, polling=10)
    except PlaywrightError as exc:
        shot = Path(tempfile.gettempdir()) / "bench-pages-failure.png"
        page.screenshot(path=shot, full_page=True)
        state = page.evaluate("window.__si")
        raise RuntimeError(f"not settled at {page.url} (runs {before}, now {state}); see {shot}") from exc
    seconds = time.perf_counter() - started
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    return seconds


def heading(page: Page, title: str) -> Locator:
    return page.locator('[data-testid="stMain"] h1', has_text=title)


def visit(page: Page, link: str) -> float:
    target = page.locator('[data-testid="stSidebarNav"] a', has_text=link).first
    return clicked(page, target.click, heading(page, PAGES[link]), PAGES[link])


def _opened(page: Page, url: str) -> float:
    """Seconds from typing the address to the sign-in form showing (what a person waits for to type)."""
    started = time.perf_counter()
    page.goto(url)
    page.get_by_role("textbox", name="Password").wait_for(timeout=120_000)
    return time.perf_counter() - started


def bare_form_opened(browser: Browser, url: str, record: Record) -> None:
    """`_opened` on the bare form (bench.pages_setup.BARE_FORM) in a browser context of its own,
    then again in it: Streamlit's code in the browser's cache, as for a person who comes back."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        record(BARE, partial(_opened, page, url))
        record(BARE_RETURNING, partial(_opened, page, url))
    finally:
        context.close()


def typed(page: Page, box: Locator, value: str, expected: Locator) -> float:
    box.fill(value)
    return clicked(page, lambda: box.press("Tab"), expected)  # leaving it commits; Enter was lost at times


def one_round(browser: Browser, url: str, account: Account, number: int, record: Record) -> None:
    """Every item once, in a new browser context (a new Streamlit session): first visits, then again."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    times = _Items(record)
    try:
        times[SIGN_IN] = partial(_opened, page, url)
        page.wait_for_function(QUIET, timeout=120_000, polling=50)
        page.wait_for_timeout(TYPING_MS)
        page.get_by_role("textbox", name="Workspace").fill(account.workspace)
        page.get_by_role("textbox", name="Email").fill(account.email)
        page.get_by_role("textbox", name="Password").fill(account.password)
        sign_in = page.get_by_role("button", name="Sign in", exact=True)
        times["sign in → Overview"] = lambda: clicked(page, sign_in.click, heading(page, "Overview"))
        times["Documents first"] = lambda: visit(page, "Documents")
        word, tag = WORDS[number % len(WORDS)], TAGS[number % len(TAGS)]
        matching = page.get_by_text("Matching documents")
        search = page.get_by_role("textbox", name="Search")
        times["Documents: new search word"] = lambda: typed(page, search, word, matching)
        tags = page.get_by_role("textbox", name="Any of these tags")
        times["Documents: new tag filter"] = lambda: typed(page, tags, tag, matching)
        times["Business rules first"] = lambda: visit(page, "Business rules")
        _test_rules(page, number, times)
        for link in OTHERS:
            times[f"{link} first"] = partial(visit, page, link)
        for link in ["Overview", "Documents", "Business rules", *OTHERS]:
            times[f"{link} again"] = partial(visit, page, link)
        context.clear_cookies()  # the sign-in has lapsed; Streamlit's code is in the browser's cache
        times[SIGN_IN_RETURNING] = partial(_opened, page, url)
    finally:
        context.close()


class _Items:
    """`times[name] = work` hands the item to the recorder (which times it and watches the database)."""

    def __init__(self, record: Record) -> None:
        self.record = record

    def __setitem__(self, name: str, work: Callable[[], float]) -> None:
        self.record(name, work)


def _set(page: Page, box: Locator, value: str) -> None:
    """An untimed step: type, leave the field (Streamlit takes the value on blur), let the run end."""
    box.fill(value)
    box.press("Tab")
    page.wait_for_timeout(500)
    page.wait_for_function(QUIET, timeout=120_000, polling=50)


def _test_rules(page: Page, number: int, times: _Items) -> None:
    report = page.get_by_text("Match rate", exact=True)
    _set(page, page.get_by_role("textbox", name="Name"), f"Bench rule {number}")
    _set(page, page.get_by_role("textbox", name="Value").first, WORDS[number % len(WORDS)])
    test = page.get_by_role("button", name="Test", exact=True)
    times["Business rules: Test a simple rule"] = lambda: clicked(page, test.click, report)
    page.get_by_text("Edit as JSON Logic").click()
    box = page.get_by_role("textbox", name="JSON Logic")
    box.wait_for(timeout=120_000)
    _set(page, box, json.dumps(REGEX_RULE))
    times["Business rules: Test a regex + metadata rule"] = lambda: clicked(page, test.click, report)
