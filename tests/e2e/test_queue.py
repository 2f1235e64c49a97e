"""Two reviewers work one queue in real browsers and see each other's claims live."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_review_journey import person
from tests.integration.conftest import wait_for
from workflows.engine import api
from workflows.models import RunStatus

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]


def two_reviewers_on_one_question(
    chromium: Any, daphne: Any, start_cluster: Any, workflow_id: str
) -> tuple[Any, Any]:
    """Rita (laptop width) and Rosa (phone width) on the page of one run's open question,
    both with the live connection open."""
    start_cluster(workers=1)
    run = api.start_run(workflow_id, {"n": 1})
    wait_for(lambda: api.get_run(run.pk).status == RunStatus.SUSPENDED, 20, "a question")
    rita = person(chromium, daphne, "rita", "Reviewers")
    rosa = person(chromium, daphne, "rosa", "Reviewers", width=400)
    for page in (rita, rosa):
        page.goto(f"{daphne.url}/runs/{run.pk}/")
        page.wait_for_selector("body[data-ws=open]")
    return rita, rosa


def test_two_reviewers_see_each_others_claims_live(
    chromium: Any, daphne: Any, start_cluster: Any
) -> None:
    from playwright.sync_api import expect

    start_cluster(workers=1)
    runs = [api.start_run("cluster-review", {"n": n}) for n in (1, 2)]
    for run in runs:
        wait_for(
            lambda run=run: api.get_run(run.pk).status == RunStatus.SUSPENDED, 20, "a question"
        )
    rita = person(chromium, daphne, "rita", "Reviewers")
    rosa = person(chromium, daphne, "rosa", "Reviewers", width=400)
    for page in (rita, rosa):
        page.goto(f"{daphne.url}/queue/")
        page.wait_for_selector("body[data-ws=open]")
        expect(page.locator("#queue-total")).to_contain_text("2 waiting")
        expect(page.locator("#queue-count")).to_have_text("2")

    rita.locator(".queue-table a").first.click()
    rita.wait_for_selector("body[data-ws=open]")
    rita.get_by_role("button", name="Claim").click()
    expect(rita.get_by_text("You are working on this")).to_be_visible()
    first = rosa.locator("#queue-items tbody tr").first
    expect(first).to_contain_text("rita")
    screenshot(rosa, "queue-claimed-by-rita-phone")

    rosa.locator(".queue-table a").nth(1).click()
    rosa.wait_for_selector("body[data-ws=open]")
    rosa.get_by_role("button", name="Claim").click()
    rita.goto(f"{daphne.url}/queue/")
    rita.wait_for_selector("body[data-ws=open]")
    expect(rita.locator("#queue-items tbody tr").nth(1)).to_contain_text("rosa")
    rita.get_by_role("link", name="Mine").click()
    expect(rita.locator("#queue-total")).to_contain_text("1 waiting")
    screenshot(rita, "queue-mine")

    # Rosa answers Rita's item: she must confirm, and the takeover is recorded.
    rosa.goto(f"{daphne.url}/runs/{runs[0].pk}/")
    rosa.wait_for_selector("body[data-ws=open]")
    expect(rosa.get_by_text("rita is working on this")).to_be_visible()
    rosa.get_by_label("Approved").check()
    rosa.get_by_role("button", name="Submit").click()
    expect(rosa.locator(".review-item .notice")).to_contain_text("rita has claimed this")
    rosa.get_by_label("Take over from rita").check()
    rosa.get_by_role("button", name="Submit").click()
    wait_for(lambda: api.get_run(runs[0].pk).status == RunStatus.SUCCESS, 20, "the run to finish")
    assert api.get_run(runs[0].pk).events.filter(type="review.taken_over").count() == 1


def test_a_live_update_keeps_what_a_reviewer_is_typing(
    chromium: Any, daphne: Any, start_cluster: Any
) -> None:
    from playwright.sync_api import expect

    rita, rosa = two_reviewers_on_one_question(chromium, daphne, start_cluster, "cluster-review")
    rosa.get_by_label("Approved").check()
    note = rosa.get_by_label("Note")
    note.click()
    note.press_sequentially("half a thought")

    rita.get_by_role("button", name="Claim").click()  # re-renders Rosa's review item live
    expect(rosa.get_by_text("rita is working on this")).to_be_visible()
    expect(rosa.get_by_label("Note")).to_have_value("half a thought")
    expect(rosa.get_by_label("Approved")).to_be_checked()
    expect(rosa.get_by_label("Note")).to_be_focused()
    rosa.keyboard.type(", finished")
    expect(rosa.get_by_label("Note")).to_have_value("half a thought, finished")
    screenshot(rosa, "live-update-keeps-typing-phone")


def test_a_live_update_keeps_the_option_a_reviewer_chose(
    chromium: Any, daphne: Any, start_cluster: Any
) -> None:
    """A select shows the schema's default; the option the reviewer picked instead, with the
    keyboard, survives another reviewer's claim re-rendering the form."""
    from playwright.sync_api import expect

    rita, rosa = two_reviewers_on_one_question(chromium, daphne, start_cluster, "cluster-triage")
    team = rosa.get_by_label("Team")
    expect(team).to_have_value("support")
    team.focus()
    rosa.keyboard.press("Home")  # the keyboard's way to the first option, "billing"
    expect(team).to_have_value("billing")

    rita.get_by_role("button", name="Claim").click()  # re-renders Rosa's review item live
    expect(rosa.get_by_text("rita is working on this")).to_be_visible()
    expect(rosa.get_by_label("Team")).to_have_value("billing")
    screenshot(rosa, "live-update-keeps-choice-phone")
    screenshot(rita, "select-with-default-laptop")
