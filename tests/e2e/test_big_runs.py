"""In a browser: a run with megabytes of output stays live; its big pipeline fetches itself."""

from __future__ import annotations

from typing import Any

import pytest

import tests.integration.cluster_workflows  # noqa: F401 - registers cluster-big here too
from workflows.engine import api
from workflows.engine.testing import drain, run_workflow

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]


def test_a_run_with_megabytes_of_output_is_shown_and_updates_live(
    daphne: Any, signed_in_page: Any
) -> None:
    from playwright.sync_api import expect

    page = signed_in_page
    run = run_workflow("cluster-big", {"megabytes": 3})
    url = f"{daphne.url}/runs/{run.pk}/"
    with page.expect_response(
        lambda response: response.url == url and response.request.headers.get("hx-request")
    ) as fetched:  # the state's placeholder for the pipeline fetches it from the page
        page.goto(url)
    assert fetched.value.status == 200
    page.wait_for_selector("body[data-ws=open]")
    pipeline = page.locator(f"#run-{run.pk}-pipeline")
    expect(pipeline).not_to_have_attribute("aria-busy", "true")
    expect(pipeline.locator('.card[data-path="big_output"]')).to_have_attribute(
        "data-status", "success"
    )

    api.resume_run(run.pk, {"note": "read"}, path="read_it")
    drain()
    expect(page.locator(f"#run-{run.pk}-header")).to_have_attribute("data-status", "success")
    expect(page.locator(f"#run-{run.pk}-events .event-runcompleted")).to_have_count(1)
    assert page.evaluate("document.body.dataset.ws") == "open"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
