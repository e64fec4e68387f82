"""The app served as a user runs it, and the few moves every browser test makes.

Each browser module serves its own app (its own data directory and demo workspace),
so no test depends on another module's data or order.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(data_dir: Path, documents: int, **settings: str) -> Iterator[str]:
    """`seed-demo` then `streamlit run serve.py` on embedded defaults plus `settings`; yields its address."""
    env = {**os.environ, "DATA_DIR": str(data_dir), **settings}
    subprocess.run(
        [sys.executable, "-m", "superinsight.cli", "seed-demo", "--documents", str(documents)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    port = free_port()
    log = data_dir / "streamlit.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.read() == b"ok")

    try:
        wait_until(healthy, 60, "streamlit", log)
        yield url
    finally:
        process.terminate()
        process.wait(20)


def sign_in(page: Page, data_dir: Path, role: str = "analyst") -> None:
    """Sign in through the form with the demo account seed-demo handed over."""
    lines = (data_dir / "demo-credentials.txt").read_text().splitlines()
    _, email, password = next(line.split() for line in lines if line.startswith(role))
    settle(page)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def go_to(page: Page, title: str) -> None:
    """Open a page from the sidebar's navigation (other links, e.g. Overview's, may share its words)."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title).click()
    settle(page)


def settle(page: Page) -> None:
    """Wait for Streamlit to finish the script run, and for canvases to paint.

    A page's title is the first thing it draws; on a cold server the first run
    (imports, migration check) takes seconds before the status widget even shows.
    """
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    page.wait_for_timeout(1000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def found_documents(page: Page) -> Locator:
    """The Documents page's table of hits (keyed doc_table_N), not the facet counts above it."""
    return page.locator('[class*="st-key-doc_table"] [data-testid="stDataFrame"]')


def click_row(page: Page, table: Locator, row: int) -> None:
    """Click a table's row where its selection box is (the grid draws on a canvas: by position)."""
    table.scroll_into_view_if_needed()  # a click by position outside the window lands nowhere
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 * (row + 1) + 17)
    settle(page)


def choose(scope: Page | Locator, page: Page, box: str, option: str) -> None:
    """Pick `option` from the select box named `box`, reopening it if a rerun closed the list.

    A rerun that lands between the click that opens the list and the click on the
    option redraws the box closed; under load this happens often enough to matter.
    """
    for _ in range(4):
        scope.get_by_role("combobox", name=box, exact=True).click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(state="visible", timeout=5_000)
            choice.click(timeout=5_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            settle(page)
            continue
        settle(page)
        return
    raise AssertionError(f"{option!r} never appeared in {box!r}")
