"""A reviewer, an editor and a second reviewer work content briefs in real browsers.

Daphne serves the pages, the websockets and the demo corpus; a real worker
cluster runs the briefs. Every step is done the way a person does it: by
the controls' accessible names, with no reload, watching the other browsers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from review.roles import grant_role
from review.testing import DaphneServer, free_port
from tests.e2e.conftest import screenshot
from tests.integration.conftest import ROOT, cluster_env, wait_for
from workflows.engine import api
from workflows.models import RunStatus, WorkflowRun

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]

MODULES = "tests.integration.cluster_workflows,workflows.content_brief.workflow"
ARTICLE = "/demo/articles/composting-at-home-beginners-guide/"
EDITOR_LINE = "Editor's line: keep this in every round."


@pytest.fixture
def brief_site(transactional_db: None) -> Iterator[DaphneServer]:
    """Daphne that knows the content-brief workflow and serves its demo corpus."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = DaphneServer(
        env=cluster_env(1, HANDOFF_WORKFLOW_MODULES=MODULES, CONTENT_BRIEF_DEMO_BASE_URL=base),
        cwd=str(ROOT),
        port=port,
    )
    yield server
    server.stop()


def person(chromium: Any, site: DaphneServer, username: str, role: str, width: int = 1280) -> Any:
    user = User.objects.create_user(username, password=username)
    grant_role(user, role)
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport={"width": width, "height": 1000}, accept_downloads=True)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site.url}]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def open_run(page: Any, site: DaphneServer, run: WorkflowRun) -> None:
    page.goto(f"{site.url}/runs/{run.pk}/")
    page.wait_for_selector("body[data-ws=open]")


def waiting_step(run: WorkflowRun, step_id: str) -> None:
    def waits() -> bool:
        return api.get_run(run.pk).suspensions.filter(path_key=step_id, status="open").exists()

    wait_for(waits, 30, f"{step_id} to wait for a person")


def test_reviewers_and_an_editor_take_a_brief_from_start_to_download(
    chromium: Any, brief_site: DaphneServer, start_cluster: Any
) -> None:
    from playwright.sync_api import expect

    site = brief_site
    start_cluster(workers=2, HANDOFF_WORKFLOW_MODULES=MODULES, CONTENT_BRIEF_DEMO_BASE_URL=site.url)
    rita = person(chromium, site, "rita", "Reviewers")
    eddie = person(chromium, site, "eddie", "Editors")
    rosa = person(chromium, site, "rosa", "Reviewers", width=400)

    # 1. Rita starts a brief from the dashboard; Rosa's dashboard shows it without reload.
    rosa.goto(f"{site.url}/")
    rosa.wait_for_selector("body[data-ws=open]")
    rita.goto(f"{site.url}/")
    rita.get_by_role("link", name="New brief").click()
    rita.get_by_label("URL").fill("not a web address")
    rita.get_by_role("button", name="Start").click()
    expect(rita.locator(".field.has-error")).to_contain_text("http")
    expect(rita.get_by_label("URL")).to_be_focused()
    screenshot(rita, "journey-01-start-refused")
    rita.get_by_label("URL").fill(site.url + ARTICLE)
    rita.get_by_label("Topic").fill("home composting")
    rita.get_by_role("button", name="Start").click()
    rita.wait_for_url(f"{site.url}/runs/**")
    run = WorkflowRun.objects.get(workflow_id="content-brief")
    expect(rosa.locator(f"#run-{run.pk}-row")).to_be_visible()
    screenshot(rosa, "journey-02-dashboard-phone")

    # 2. Rita picks an angle by its title; Rosa watches the same run page.
    rita.wait_for_selector("body[data-ws=open]")
    open_run(rosa, site, run)
    expect(rita.get_by_role("button", name="Choose angle")).to_be_visible()
    title = api.get_run(run.pk).suspensions.get(status="open").payload["angles"][1]["title"]
    screenshot(rita, "journey-03-angle-review")
    rita.get_by_label(title).check()
    rita.get_by_role("button", name="Choose angle").click()
    expect(rita.get_by_role("button", name="Approve")).to_be_visible()
    expect(rita.locator(".draft .markdown")).to_contain_text("Content brief")
    screenshot(rita, "journey-04-brief-review")

    # 3. Eddie edits the draft inline; Rita's open page shows the edit without reload.
    open_run(eddie, site, run)
    eddie.get_by_role("button", name="Edit draft").click()
    draft = eddie.get_by_label("Draft")
    draft.fill(draft.input_value() + "\n" + EDITOR_LINE + "\n")
    expect(eddie.locator(".preview")).to_contain_text(EDITOR_LINE)
    screenshot(eddie, "journey-05-editing")
    eddie.set_viewport_size({"width": 400, "height": 1000})
    text_box, preview_box = draft.bounding_box(), eddie.locator(".preview").bounding_box()
    assert text_box is not None and preview_box is not None
    assert preview_box["y"] >= text_box["y"] + text_box["height"], "not stacked at phone width"
    screenshot(eddie, "journey-05-editing-phone")
    eddie.set_viewport_size({"width": 1280, "height": 1000})
    eddie.get_by_role("button", name="Save").click()
    expect(eddie.get_by_role("status").filter(has_text="Saved revision 1")).to_be_visible()
    expect(rita.locator(".draft .markdown")).to_contain_text(EDITOR_LINE)
    expect(rita.get_by_role("button", name="Edit draft")).to_have_count(0)  # not an editor

    # 4. Rita's form still refers to the draft she opened: approving it is refused.
    rita.get_by_role("button", name="Approve").click()
    expect(rita.locator(".review-item .notice")).to_contain_text("the draft changed")
    screenshot(rita, "journey-06-stale-approval-refused")
    assert api.get_run(run.pk).status == RunStatus.SUSPENDED

    # 5. Rita asks for changes, first without saying which: refused (400) in place, the page
    # whole (daphne runs with DEBUG on here, as the demo does); then the next round starts
    # from the edited text.
    rita.get_by_role("button", name="Request changes").click()
    expect(rita.locator(".review-item")).to_contain_text("Say what should change (feedback)")
    expect(rita.get_by_label("Feedback")).to_be_focused()
    expect(rita.get_by_role("navigation", name="Main")).to_be_visible()
    expect(rita.locator("link[rel=stylesheet]")).to_have_count(1)
    rita.get_by_label("Feedback").fill("add a section on worm bins")
    rita.get_by_role("button", name="Request changes").click()
    expect(rita.locator(".round-badge")).to_have_text("Round 2")
    expect(rita.locator(".draft .markdown")).to_contain_text(EDITOR_LINE)
    screenshot(rita, "journey-07-round-two")

    # 6. Rita approves; the downloaded Markdown holds the edit.
    rita.get_by_role("button", name="Approve").click()
    download_link = rita.get_by_role("link", name="Download")
    expect(download_link).to_be_visible()
    expect(rita.locator(f"#run-{run.pk}-status")).to_have_text("Approved")
    with rita.expect_download() as fetched:
        download_link.click()
    assert EDITOR_LINE in Path(fetched.value.path()).read_text(encoding="utf-8")
    screenshot(rita, "journey-08-approved")

    # 7. Another brief is rejected and says so.
    other = api.start_run("content-brief", {"url": site.url + ARTICLE}, actor=None)
    waiting_step(other, "angle_review")
    open_run(rita, site, other)
    rita.get_by_label(
        api.get_run(other.pk).suspensions.get(status="open").payload["angles"][0]["title"]
    ).check()
    rita.get_by_role("button", name="Choose angle").click()
    rita.get_by_label("Reason").fill("off-topic")
    rita.get_by_role("button", name="Reject").click()
    expect(rita.locator(f"#run-{other.pk}-status")).to_have_text("Rejected")
    expect(rita.locator(".outcome-detail")).to_contain_text("off-topic")
    screenshot(rita, "journey-09-rejected")

    # 8. Rosa saw every decision on the first brief live, in words.
    timeline = rosa.locator(f"#run-{run.pk}-events")
    expect(timeline).to_contain_text(f"rita chose angle '{title}'")
    expect(timeline).to_contain_text("eddie edited the draft (+")
    expect(timeline).to_contain_text("rita requested changes: 'add a section on worm bins'")
    expect(timeline).to_contain_text("rita approved the draft of round 2")
    assert rosa.evaluate("performance.getEntriesByType('navigation').length") == 1
    screenshot(rosa, "journey-10-second-reviewer-phone")
    assert json.loads(rosa.evaluate("JSON.stringify(document.body.dataset.ws)")) == "open"
