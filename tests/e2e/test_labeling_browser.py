"""Labeling in a real browser with the real Label Studio: launch from a search, follow it, pull.

Screenshots land in test-artifacts/ (labeling-*.png).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from label_studio_sdk import LabelStudio
from playwright.sync_api import Page, expect

from tests.e2e.serving import go_to, serving, settle, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def connected_app(
    tmp_path_factory: pytest.TempPathFactory, label_studio: tuple[str, str]
) -> Iterator[tuple[str, Path]]:
    """The app with Label Studio configured, over a small demo workspace: (url, data dir)."""
    data_dir = tmp_path_factory.mktemp("e2e-labeling") / "data"
    ls_url, token = label_studio
    with serving(data_dir, 200, LABEL_STUDIO_URL=ls_url, LABEL_STUDIO_API_KEY=token) as url:
        yield url, data_dir


def test_launch_from_a_search_follow_progress_and_pull(
    page: Page, connected_app: tuple[str, Path], label_studio: tuple[str, str], artifacts: Path
) -> None:
    url, data_dir = connected_app
    page.goto(url)
    sign_in(page, data_dir)
    go_to(page, "Documents")
    page.get_by_role("textbox", name="Search").fill("refund")
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("button", name="Send to Label Studio").click()
    settle(page)
    expect(page.get_by_text("Search: refund")).to_be_visible()
    page.get_by_role("textbox", name="Project title").fill("Refunds from the browser")
    page.get_by_role("textbox", name="Classes").fill("refund, other")
    page.keyboard.press("Enter")
    settle(page)
    page.screenshot(path=artifacts / "labeling-launch-form.png", full_page=True)
    page.get_by_role("button", name="Launch").click()
    settle(page)  # "Project 1 created" shows until the send job ends, which may already be the case

    client = LabelStudio(base_url=label_studio[0], api_key=label_studio[1])
    # The run that creates the project may still be going: the first call of a process builds
    # the SDK's client (its import takes seconds on a loaded machine), so wait for the project.
    deadline = time.monotonic() + 60
    while not (found := [p for p in client.projects.list() if p.title == "Refunds from the browser"]):
        assert time.monotonic() < deadline, "the project never reached Label Studio"
        time.sleep(0.5)
    (project,) = found
    deadline = time.monotonic() + 60
    while (client.projects.get(id=project.id).task_number or 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    total = client.projects.get(id=project.id).task_number
    assert total
    page.get_by_text("Projects", exact=True).click()  # the segmented control
    settle(page)
    expect(page.get_by_text(f"0 of {total} tasks annotated")).to_be_visible()
    expect(page.get_by_role("link", name="Open in Label Studio")).to_have_attribute(
        "href", f"{label_studio[0]}/projects/{project.id}/data"
    )

    task = next(iter(client.tasks.list(project=project.id)))
    client.annotations.create(
        id=task.id,
        result=[
            {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["refund"]}}
        ],
        lead_time=5.0,
    )
    page.get_by_role("button", name="Pull annotations").click()
    settle(page)
    page.wait_for_timeout(3000)
    page.screenshot(path=artifacts / "labeling-pulled.png", full_page=True)
    expect(page.get_by_text(f"1 of {total} tasks annotated")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Annotations pulled:")).to_be_visible()
    page.screenshot(path=artifacts / "labeling-projects.png", full_page=True)
