"""Insights computed from a known event log: timings, queue depth, outcomes per round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from review import decisions, insights
from review.roles import grant_role
from tests.review.conftest import make_user
from tests.review.drafting import drafting_workflow
from workflows.engine import api
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunEvent, Suspension, SuspensionStatus, WorkflowRun

pytestmark = pytest.mark.django_db


def open_question(run: WorkflowRun) -> Suspension:
    return Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)


def decide(run: WorkflowRun, who: User, data: dict[str, str], revision: int = 0) -> None:
    decisions.decide(
        run_id=run.pk, actor=who, data=data, suspension_id=open_question(run).pk, revision=revision
    )
    drain()


@pytest.fixture
def history(reviewer: User) -> str:
    """Two runs: edited, sent back, then approved in round 2; and one rejected in round 1.

    Each answer comes 60, 120 and 300 seconds after its question.
    """
    editor = make_user("eddie")
    grant_role(editor, "Editors")
    flow = drafting_workflow()
    first = run_workflow(flow, {"topic": "a"})
    decisions.save_draft(
        run_id=first.pk,
        actor=editor,
        text="edited\n",
        base_revision=0,
        suspension_id=open_question(first).pk,
    )
    decide(first, reviewer, {"decision": "request_changes", "feedback": "more"}, revision=1)
    decide(first, reviewer, {"decision": "approve"})
    second = run_workflow(flow, {"topic": "b"})
    decide(second, reviewer, {"decision": "reject", "feedback": "off-topic"})
    start = timezone.now() - timedelta(hours=1)
    waits = iter((60, 120, 300))
    for asked in RunEvent.objects.filter(type="step.suspended").order_by("id"):
        key = asked.data["suspension_id"]
        answered = RunEvent.objects.get(type="step.resumed", data__suspension_id=key)
        RunEvent.objects.filter(pk=asked.pk).update(created_at=start)
        RunEvent.objects.filter(pk=answered.pk).update(
            created_at=start + timedelta(seconds=next(waits))
        )
    return flow.id


def test_time_to_decision_per_step_and_reviewer(history: str) -> None:
    figures = insights.compute(history, days=7)
    (step,) = figures.by_step
    assert (step.label, step.count, step.median_s, step.p90_s) == ("check", 3, 120, 300)
    (who,) = figures.by_reviewer
    assert (who.label, who.count) == ("rita", 3)
    assert figures.decisions == 3


def test_an_answer_from_a_program_counts_as_a_decision_like_the_timings_do(history: str) -> None:
    run = api.start_run(history, {"topic": "c"})
    drain()
    api.resume_run(run.pk, {"decision": "approve"}, suspension_id=open_question(run).pk)
    figures = insights.compute(history, days=7)
    assert figures.decisions == 4
    assert {who.label: who.count for who in figures.by_reviewer} == {"rita": 3, "(a program)": 1}


def test_outcomes_per_round_and_rounds_until_approval(history: str) -> None:
    figures = insights.compute(history, days=7)
    first, second = figures.rounds
    assert (first.round, first.questions, first.edited) == (1, 2, 1)
    assert first.outcomes == {"request_changes": 1, "reject": 1}
    assert (second.round, second.questions, second.outcomes) == (2, 1, {"approve": 1})
    assert figures.rounds_to_approval == {2: 1}


def test_queue_depth_is_replayed_from_the_log(history: str) -> None:
    figures = insights.compute(history, days=1)
    assert len(figures.depth) == insights.DEPTH_POINTS
    assert max(depth for _, depth in figures.depth) == 3  # all three asked at the same moment
    assert figures.depth[0][1] == 0  # nothing before the history began


def test_a_period_before_the_history_is_empty(history: str) -> None:
    RunEvent.objects.update(created_at=timezone.now() - timedelta(days=40))
    figures = insights.compute(history, days=30)
    assert figures.by_step == [] and figures.rounds == [] and figures.depth == []


def test_the_page_draws_charts_with_tables_for_screen_readers(history: str, reviewer: User) -> None:
    client = Client()
    client.force_login(reviewer)
    html = client.get(f"/insights/?workflow={history}&period=7").content.decode()
    assert '<svg class="chart-svg" aria-hidden="true"' in html
    assert "<caption>Time to decision per step</caption>" in html
    assert '<th scope="row">check</th><td>3</td><td>2 min</td><td>5 min</td>' in html


def test_insights_need_a_role_that_sees_every_run() -> None:
    client = Client()
    client.force_login(make_user("otto"))
    assert client.get("/insights/").status_code == 403
