"""In a browser: the run page and the dashboard change live, without a reload."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.integration.conftest import wait_for
from workflows.engine import api
from workflows.models import ExecutionStatus, StepExecution

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]


def test_run_page_shows_branches_running_then_done_without_reload(
    start_cluster: Any, daphne: Any, signed_in_page: Any
) -> None:
    from playwright.sync_api import expect

    page = signed_in_page
    start_cluster(workers=3)
    run = api.start_run("cluster-parallel", {"seconds": 2.5})
    running = StepExecution.objects.filter(run=run, kind="step", status=ExecutionStatus.RUNNING)
    wait_for(lambda: running.count() == 3, 20, "the three branches to be running")

    page.goto(f"{daphne.url}/runs/{run.pk}/")
    page.wait_for_selector("body[data-ws=open]")
    assert page.evaluate("typeof htmx") == "object"  # vendored htmx loaded from static files
    for branch in ("branch_a", "branch_b", "branch_c"):
        expect(page.locator(f'.card[data-path="{branch}"]')).to_have_attribute(
            "data-status", "running"
        )
    screenshot(page, "run-running")
    header = page.locator(f"#run-{run.pk}-header")
    expect(header).to_have_attribute("data-status", "success")
    for branch in ("branch_a", "branch_b", "branch_c"):
        expect(page.locator(f'.card[data-path="{branch}"]')).to_have_attribute(
            "data-status", "success"
        )
    expect(page.locator(f"#run-{run.pk}-events .event-runcompleted")).to_have_count(1)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    screenshot(page, "run-done")


def test_dashboard_adds_a_new_run_and_updates_its_status_live(
    start_cluster: Any, daphne: Any, signed_in_page: Any
) -> None:
    from playwright.sync_api import expect

    page = signed_in_page
    start_cluster(workers=1)
    page.goto(f"{daphne.url}/")
    page.wait_for_selector("body[data-ws=open]")
    run = api.start_run("cluster-review", {"n": 1})
    row = page.locator(f"#run-{run.pk}-row")
    expect(row).to_have_attribute("data-status", "suspended")
    screenshot(page, "dashboard")
    api.resume_run(run.pk, {"approved": True}, path="approve")
    expect(row).to_have_attribute("data-status", "success")
    expect(page.locator("#runs-empty")).to_have_count(0)
