"""A generated form used with the keyboard alone, at phone width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.integration.conftest import wait_for
from workflows.engine import api
from workflows.models import RunStatus

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.name || ''"))


def tab_to(page: Any, name: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == name:
            return
    raise AssertionError(f"Tab never reached the control named {name!r}")


def test_a_reviewer_answers_a_step_with_the_keyboard_alone(
    start_cluster: Any, daphne: Any, signed_in_page: Any
) -> None:
    from playwright.sync_api import expect

    page = signed_in_page
    page.set_viewport_size({"width": 400, "height": 900})
    start_cluster(workers=1)
    run = api.start_run("cluster-review", {"n": 4})
    wait_for(lambda: api.get_run(run.pk).status == RunStatus.SUSPENDED, 20, "the question")
    page.goto(f"{daphne.url}/runs/{run.pk}/")
    page.wait_for_selector("body[data-ws=open]")
    expect(page.get_by_label("Approved")).to_be_visible()
    tab_to(page, "approved")
    page.keyboard.press("Space")
    expect(page.get_by_label("Approved")).to_be_checked()
    tab_to(page, "note")
    page.keyboard.type("fine by me")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Submit"
    screenshot(page, "keyboard-phone")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Decision recorded")).to_be_visible()
    wait_for(lambda: api.get_run(run.pk).status == RunStatus.SUCCESS, 20, "the run to finish")
    assert api.get_run(run.pk).result == {"n": 10}
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page overflows at 400 px ({width} px wide)"
