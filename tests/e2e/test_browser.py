"""The main flows in a real browser: Debian's Chromium driven by Playwright.

Screenshots land in test-artifacts/ so a person can look at what the test saw.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.serving import ROOT, click_row, found_documents, go_to, serving, settle, sign_in
from ui.element_code import code_files

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e") / "data"


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    """The app as a user runs it: embedded defaults, demo data, `streamlit run serve.py`."""
    with serving(data_dir, 600) as url:
        yield url


def test_a_deep_link_on_a_fresh_server_asks_for_sign_in(page: Page, app_url: str, artifacts: Path) -> None:
    """First in this module, so it meets a server no page has run on yet.

    Streamlit runs a file in pages/ alone on a deep link to such a server, without
    app.py; the page's guard hands the run to app.py, which asks who you are.
    """
    page.goto(f"{app_url}/rules")
    settle(page)
    expect(page.get_by_role("heading", name="Sign in to SuperInsight")).to_be_visible()
    expect(page.get_by_text("Business rules")).to_have_count(0)
    page.screenshot(path=artifacts / "sign-in.png", full_page=True)
    # Every other page's address too (one per file in pages/, as Streamlit names them; app.py has run by now).
    addresses = sorted(p.stem for p in (ROOT / "pages").glob("*.py") if p.stem not in ("overview", "sign_in"))
    assert len(addresses) >= 10, addresses
    for address in addresses:
        page.goto(f"{app_url}/{address}")
        settle(page)
        expect(page.get_by_role("heading", name="Sign in to SuperInsight")).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_the_sign_in_page_loads_the_pages_element_code_while_a_person_types(
    page: Page, app_url: str, data_dir: Path, artifacts: Path
) -> None:
    """Issue 18: plotly, the data grid and the widgets are fetched before signing in, and no page
    (every one in the sidebar, and an open document) fetches code or style after."""
    answered: dict[str, int] = {}
    page.on("response", lambda answer: answered.setdefault(answer.url.rsplit("/", 1)[-1], answer.status))
    page.goto(app_url)
    settle(page)
    page.wait_for_function("window.__superinsightElementCode !== 'waiting'", timeout=60_000)
    assert page.evaluate("window.__superinsightElementCode") == "loaded"
    scripts, styles = code_files()
    wanted = [*scripts, *(style.rsplit("/", 1)[-1] for style in styles)]
    assert {name: answered.get(name) for name in wanted} == dict.fromkeys(wanted, 200)
    expect(page.get_by_role("textbox")).to_have_count(3)  # workspace, email, password: nothing else shows
    page.screenshot(path=artifacts / "sign-in-code-loaded.png", full_page=True)
    answered.clear()
    sign_in(page, data_dir, role="admin")
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()  # the Overview's chart
    titles = page.get_by_test_id("stSidebarNavItems").get_by_role("link").all_inner_texts()
    assert len(titles) >= 10, titles
    for title in titles:
        go_to(page, title.splitlines()[-1].strip())  # the text after the icon
    go_to(page, "Documents")
    click_row(page, found_documents(page), 0)
    expect(page.get_by_text("Edit this document")).to_be_visible()
    late = [name for name in answered if name.endswith((".js", ".css"))]
    assert not late, late


def session_cookie(page: Page) -> dict[str, Any]:
    """The sign-in cookie, once the page's request to the cookie route has been answered."""
    for _ in range(80):
        found = [cookie for cookie in page.context.cookies() if cookie["name"] == "superinsight_session"]
        if found:
            return dict(found[0])
        page.wait_for_timeout(250)
    raise AssertionError("no session cookie 20 s after signing in")


def test_a_sign_in_lasts_across_reloads_and_tabs_until_sign_out(
    page: Page, app_url: str, data_dir: Path, artifacts: Path
) -> None:
    page.goto(app_url)
    sign_in(page, data_dir, role="viewer")
    kept = session_cookie(page)
    assert kept["httpOnly"] and kept["sameSite"] == "Strict" and kept["value"] not in page.url
    page.reload()
    settle(page)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    tab = page.context.new_page()
    tab.goto(f"{app_url}/health")
    settle(tab)
    expect(tab.get_by_role("heading", name="System health")).to_be_visible()
    tab.screenshot(path=artifacts / "signed-in-new-tab.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()
    settle(page)
    expect(page.get_by_role("heading", name="Sign in to SuperInsight")).to_be_visible()
    page.reload()
    settle(page)
    expect(page.get_by_role("heading", name="Sign in to SuperInsight")).to_be_visible()
    assert [c for c in page.context.cookies() if c["name"] == "superinsight_session"] == []
    tab.reload()  # the session ended on the server: the other tab is signed out too
    settle(tab)
    expect(tab.get_by_role("heading", name="Sign in to SuperInsight")).to_be_visible()
    page.screenshot(path=artifacts / "signed-out-after-reload.png", full_page=True)


# A source and an "Ask me" job of the test's own, synced once: the edit's conflict needs a re-sync.
_CONFLICT_SETUP = """
import sys, time
from superinsight.bootstrap import bootstrap
from superinsight.services.context import system_actor
from superinsight.services.sync import connections, jobs, runs
resources, actor, name = bootstrap(), system_actor("demo"), sys.argv[1]
draft = connections.SourceDraft(name, "csv", {"path": name + ".csv"})
source = connections.create_source(resources, actor, draft)
mapping = {"external_id": "id", "title": "title", "content": "body"}
job = jobs.create_job(resources, actor, jobs.JobDraft(name, source, "full_refresh_overwrite", mapping,
                      conflict_resolution="manual"))
run = runs.start_run(resources, actor, job)
while runs.get_run(resources, actor, run).status in ("queued", "running"):
    time.sleep(0.1)
"""


def test_an_edited_document_changed_at_its_source_waits_as_a_conflict(
    page: Page, app_url: str, data_dir: Path, artifacts: Path
) -> None:
    name = "Okapi leads"
    csv = data_dir / "imports" / "demo" / f"{name}.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_text("id,title,body\nOK-1,Okapi sighting,An okapi at the gate\n")
    env = {**os.environ, "DATA_DIR": str(data_dir), "SYNC_FOLLOW_UPS": "false"}
    subprocess.run([sys.executable, "-c", _CONFLICT_SETUP, name], cwd=ROOT, env=env, check=True, timeout=120)
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Documents")
    page.get_by_role("textbox", name="Search").fill("okapi")
    page.get_by_role("textbox", name="Search").press("Enter")
    settle(page)
    click_row(page, found_documents(page), 0)
    expect(page, "the open document is named in the address").to_have_url(re.compile(r"[?&]document=\d+"))
    page.get_by_text("Edit this document").click()
    settle(page)  # the row's selection may still be rerunning the page: a click then is lost
    page.get_by_role("textbox", name="Title").fill("Okapi sighting, confirmed by phone")
    save = page.get_by_role("button", name="Save changes")
    expect(save).to_be_enabled()
    save.click()
    settle(page)
    expect(page.get_by_text("Saved:")).to_be_visible()
    expect(page.locator("strong", has_text="Okapi sighting, confirmed by phone")).to_be_visible()
    page.screenshot(path=artifacts / "document-edited.png", full_page=True)
    csv.write_text("id,title,body\nOK-1,Okapi sighting (updated),An okapi at the north gate\n")
    go_to(page, "Sync")
    row = page.locator('[data-testid="stHorizontalBlock"]', has_text=name).last
    row.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("1 conflicts", exact=False).first).to_be_visible(timeout=60_000)
    settle(page)
    expect(page.get_by_text("1 conflict waits for you.")).to_be_visible()
    page.get_by_role("button", name="Open conflicts").click()
    settle(page)
    expect(page.locator("[role=gridcell]", has_text="OK-1")).to_have_count(1)
    page.screenshot(path=artifacts / "sync-conflict.png", full_page=True)


def test_overview_shows_the_demo_workbench(page: Page, app_url: str, data_dir: Path, artifacts: Path) -> None:
    page.goto(app_url)
    sign_in(page, data_dir)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # The demo's 600, plus what other tests of this module added (uploads, a synced source).
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(re.compile(r"^6\d\d$"))
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    page.screenshot(path=artifacts / "overview.png", full_page=True)


def test_browse_documents_page_by_page(page: Page, app_url: str, data_dir: Path, artifacts: Path) -> None:
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Documents")
    expect(page.get_by_text("Page 1 of ")).to_be_visible()
    page.get_by_role("button", name="Next →").click()
    settle(page)
    expect(page.get_by_text("Page 2 of ")).to_be_visible()
    page.screenshot(path=artifacts / "documents.png", full_page=True)


def test_system_health_lists_every_service(page: Page, app_url: str, data_dir: Path, artifacts: Path) -> None:
    page.goto(f"{app_url}/health")
    sign_in(page, data_dir, role="viewer")
    expect(page.get_by_text("Every configured service is answering.")).to_be_visible()
    page.locator('[data-testid="stExpander"] summary').first.click()  # the database's facts
    expect(page.get_by_text("schema:")).to_be_visible()
    expect(page.get_by_text("No job of your workspace failed in the last 24 hours.")).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"] .gtitle')).to_have_text("Probe latency per check")
    settle(page)
    page.screenshot(path=artifacts / "health.png", full_page=True)


def test_author_test_and_save_a_rule(page: Page, app_url: str, data_dir: Path, artifacts: Path) -> None:
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Business rules")
    page.get_by_role("textbox", name="Name").fill("Content is exactly refund")
    page.get_by_role("textbox", name="Name").press("Tab")
    settle(page)
    page.get_by_role("textbox", name="Value").fill("refund")
    page.get_by_role("textbox", name="Value").press("Tab")
    settle(page)
    page.get_by_role("button", name="Test").click()
    settle(page)
    expect(page.get_by_text("Match rate", exact=True)).to_be_visible()
    page.screenshot(path=artifacts / "rule-tested.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    settle(page)
    expect(page.locator("[role=gridcell]", has_text="Content is exactly refund")).to_have_count(1)
    page.screenshot(path=artifacts / "rule-saved.png", full_page=True)


def test_upload_a_csv_and_find_its_rows(
    page: Page, app_url: str, data_dir: Path, artifacts: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "leads.csv"
    # Columns in no usual order: the form picks id, title and content by their names.
    upload.write_text("region,body,title,id\nEMEA,Met at the zebra fair,Quokka lead,L1\nNA,dup,dup,L1\n")
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Documents")
    page.get_by_text("Upload files as documents").click()
    page.locator('input[type="file"]').set_input_files(str(upload))
    settle(page)
    expect(page.get_by_text("1 document ready, 1 row rejected.")).to_be_visible()
    page.get_by_role("button", name="Import").click()
    settle(page)
    expect(page.get_by_text("Imported: 1 new")).to_be_visible()
    page.get_by_role("textbox", name="Search").fill("quokka")
    page.get_by_role("textbox", name="Search").press("Enter")
    settle(page)
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("1")
    page.screenshot(path=artifacts / "documents-upload.png", full_page=True)


def test_run_a_sync_job_with_one_click(page: Page, app_url: str, data_dir: Path, artifacts: Path) -> None:
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Sync")
    job = page.locator('[data-testid="stHorizontalBlock"]', has_text="Partner tickets").last
    expect(job.get_by_text("last run: never")).to_be_visible()
    job.get_by_role("button", name="Run now").click()
    finished = re.compile(r"Run #\d+ succeeded: 240 read · 240 new")  # run ids are the workspace's
    expect(page.get_by_text(finished)).to_be_visible(timeout=60_000)
    settle(page)
    expect(job.get_by_text("last run: succeeded")).to_be_visible()
    page.screenshot(path=artifacts / "sync-run.png", full_page=True)
    # The Sync page shows one section at a time, chosen with a segmented control.
    page.get_by_text("Runs and logs", exact=True).click()
    settle(page)
    page.wait_for_timeout(1500)
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    page.screenshot(path=artifacts / "sync-history.png", full_page=True)


_GRAPH_SETUP = """
import time
from superinsight.bootstrap import bootstrap
from superinsight.services.context import system_actor
from superinsight.services.graph import settings
resources = bootstrap()
job = settings.set_entity_fields(resources, system_actor("demo"), ["customer"])
while not resources.jobs.status(job).done:
    time.sleep(0.1)
assert resources.jobs.status(job).state == "finished", resources.jobs.status(job).error
"""


def test_a_documents_lineage_opens_from_its_detail_and_a_click_re_centres_the_graph(
    page: Page, app_url: str, data_dir: Path, artifacts: Path
) -> None:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-c", _GRAPH_SETUP], cwd=ROOT, env=env, check=True, timeout=300)
    page.goto(app_url)
    sign_in(page, data_dir)
    go_to(page, "Documents")
    # A demo support ticket (it names a customer), whatever other tests have added since.
    page.get_by_role("textbox", name="Search").fill("customer reports affects")
    page.get_by_role("textbox", name="Search").press("Enter")
    settle(page)
    click_row(page, found_documents(page), 0)
    page.get_by_role("button", name="Open its lineage graph").click()
    settle(page)
    expect(page.get_by_role("heading", name="Lineage & graph")).to_be_visible()
    assert "node=Document" in page.url, "the graph page is opened on the document"
    centre = page.locator('[data-testid="stMain"] h3').first
    expect(centre).to_contain_text("Document ·")
    expect(page.get_by_text("from source", exact=False)).to_be_visible()
    expect(page.get_by_text("mentions Entity", exact=False).first).to_be_visible()
    page.screenshot(path=artifacts / "graph-lineage.png", full_page=True)

    entity = page.locator(".js-plotly-plot .scatterlayer .trace").last.locator("path.point").first
    entity.scroll_into_view_if_needed()
    box = entity.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    settle(page)
    expect(centre).to_contain_text("Entity ·")
    assert "node=Entity" in page.url
    expect(page.get_by_text("Mentioned together with")).to_be_visible()
    page.screenshot(path=artifacts / "graph-recentred.png", full_page=True)
