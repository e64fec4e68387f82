"""Issue 17's sections in a real browser, on a demo workspace of this module's own.

Sources and sync (every source listed, a file uploaded as a source, a deletion that
says what it takes), and rules, insights and quality (an insight acknowledged stays
so, the inbox counts what is unread, a score says what it lost points to, triage).
Screenshots land in test-artifacts/ (day-*.png).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.serving import choose, go_to, serving, settle, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-day") / "data"


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    with serving(data_dir, 300) as url:
        yield url


def test_every_source_is_listed_a_file_becomes_one_and_a_deletion_says_what_goes(
    page: Page, app_url: str, data_dir: Path, artifacts: Path, tmp_path: Path
) -> None:
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Data sources")
    sources = page.locator('[data-testid="stDataFrame"]').first
    expect(sources).to_be_visible()
    page.screenshot(path=artifacts / "day-sources.png", full_page=True)

    upload = tmp_path / "walrus-leads.csv"
    upload.write_text("id,title,body\nW1,Walrus lead,Met on the ice\nW2,Second walrus,Tusks and all\n")
    choose(page, page, "Type", "CSV file")
    page.get_by_role("textbox", name="Name").fill("Walrus leads")
    page.locator('input[type="file"]').first.set_input_files(str(upload))
    page.wait_for_timeout(1500)
    page.screenshot(path=artifacts / "day-source-upload.png", full_page=True)
    page.get_by_role("button", name="Save source").click()
    settle(page)
    expect(page.get_by_text("Saved Walrus leads. Create a sync job for it on the Sync page.")).to_be_visible()
    page.screenshot(path=artifacts / "day-source-saved.png", full_page=True)

    deleting = page.locator('[data-testid="stExpander"]', has_text="Delete a source")
    deleting.locator("summary").click()
    choose(deleting, page, "Source to delete", "Walrus leads")
    page.screenshot(path=artifacts / "day-source-delete-picked.png", full_page=True)
    expect(page.get_by_text(re.compile(r"Deleting Walrus leads removes its \d+ documents?"))).to_be_visible()
    delete = page.get_by_role("button", name="Delete source")
    expect(delete).to_be_disabled()
    page.get_by_role("textbox", name="Type the source's name to confirm").fill("Walrus leads")
    page.get_by_role("textbox", name="Type the source's name to confirm").press("Tab")
    settle(page)
    page.screenshot(path=artifacts / "day-source-delete.png", full_page=True)
    page.get_by_role("button", name="Delete source").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"Deleted Walrus leads and \d+ documents?"))).to_be_visible()


def test_an_acknowledged_insight_stays_acknowledged_and_the_inbox_counts_unread(
    page: Page, app_url: str, data_dir: Path, artifacts: Path
) -> None:
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Insights")
    acknowledge = page.get_by_role("button", name="Acknowledge")
    expect(acknowledge.first).to_be_visible()  # the demo's last instalment leaves an insight to act on
    cards = acknowledge.count()
    assert cards >= 1, "the demo's last instalment leaves an insight to act on"
    page.screenshot(path=artifacts / "day-insights.png", full_page=True)
    acknowledge.first.click()
    settle(page)
    expect(acknowledge).to_have_count(cards - 1)
    page.reload()
    settle(page)
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(cards - 1)

    inbox = page.get_by_test_id("stSidebar").get_by_role("link", name=re.compile(r"Inbox: [\d,]+ unread"))
    unread = int(re.sub(r"\D", "", inbox.inner_text().split("unread")[0]))
    if unread:
        page.get_by_role("button", name=re.compile(r"Mark \d+ notifications? read")).click()
        settle(page)
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Inbox: 0 unread")).to_be_visible()
    page.screenshot(path=artifacts / "day-inbox.png", full_page=True)


def test_a_score_says_what_it_lost_points_to_and_issues_can_be_triaged(
    page: Page, app_url: str, data_dir: Path, artifacts: Path
) -> None:
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Data quality")
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Overall = 100 less what each dimension misses"))).to_be_visible()
    page.screenshot(path=artifacts / "day-quality.png", full_page=True)
    expect(page.locator('[data-testid="stPlotlyChart"] .gtitle').first).to_have_text("Scores over time")

    issues = page.get_by_role("button", name=re.compile(r"Apply to \d+ issues?"))
    if page.get_by_text("No open issues for this source.").count():
        pytest.fail("the demo's sources fail some checks: there should be issues to triage")
    page.get_by_text(re.compile(r"^All \d+ shown$")).click()
    settle(page)
    choose(page, page, "Set status to", "acknowledged")
    issues.click()
    settle(page)
    expect(page.get_by_text(re.compile(r"^\d+ issues? now acknowledged\.$"))).to_be_visible()
    page.screenshot(path=artifacts / "day-quality-triaged.png", full_page=True)
