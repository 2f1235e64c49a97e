"""The pages a reviewer reads fit a phone's width: nothing makes the page scroll sideways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.integration.conftest import wait_for
from workflows.engine import api
from workflows.models import RunStatus

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]

PHONE = 390


def test_the_pages_with_charts_and_tables_fit_a_phone(
    start_cluster: Any, daphne: Any, signed_in_page: Any
) -> None:
    page = signed_in_page
    page.set_viewport_size({"width": PHONE, "height": 844})
    start_cluster(workers=1)
    answered = api.start_run("cluster-review", {"n": 4})
    wait_for(lambda: api.get_run(answered.pk).status == RunStatus.SUSPENDED, 20, "the question")
    api.resume_run(answered.pk, {"approved": True, "note": "fine"})
    waiting = api.start_run("cluster-review", {"n": 5})
    wait_for(lambda: api.get_run(waiting.pk).status == RunStatus.SUSPENDED, 20, "the question")
    for name, path in (
        ("dashboard", "/"),
        ("queue", "/queue/"),
        ("insights", "/insights/"),
        ("run", f"/runs/{waiting.pk}/"),
    ):
        page.goto(f"{daphne.url}{path}")
        page.wait_for_load_state("networkidle")
        screenshot(page, f"phone-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE, f"{path} is {width} px wide at {PHONE} px"
