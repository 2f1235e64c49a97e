"""Decisions and edits go into the run's log with the change they describe, or not at all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from review.decisions import record_decision, record_draft_edit
from tests.workflows.flows import add_one, approve, chain
from workflows.engine import api
from workflows.engine.errors import InvalidResumeData, WorkflowError
from workflows.engine.testing import drain, run_workflow
from workflows.models import EventType, RunStatus

pytestmark = pytest.mark.django_db


def test_a_decision_resumes_the_step_and_is_recorded_with_who_and_why(reviewer: User) -> None:
    run = run_workflow(chain("decide", add_one, approve), {"n": 1})
    record_decision(
        run_id=run.pk, path="approve", data={"approved": True}, actor=reviewer, note="looks right"
    )
    resumed, decided = run.events.filter(
        type__in=[EventType.STEP_RESUMED, EventType.DECISION_RECORDED]
    ).order_by("id")
    assert (resumed.type, decided.type) == (EventType.STEP_RESUMED, EventType.DECISION_RECORDED)
    assert decided.actor == reviewer and decided.path_key == "approve"
    assert decided.data["decision"] == {"approved": True, "note": ""}
    assert decided.data["note"] == "looks right"
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS


def test_a_refused_decision_records_nothing(reviewer: User) -> None:
    run = run_workflow(chain("refused", approve), {"n": 1})
    before = run.events.count()
    with pytest.raises(InvalidResumeData):
        record_decision(run_id=run.pk, path="approve", data={"approved": "?"}, actor=reviewer)
    assert run.events.count() == before
    assert not run.events.filter(type=EventType.DECISION_RECORDED).exists()


def test_an_edit_keeps_both_texts_and_the_diff(reviewer: User) -> None:
    run = run_workflow(chain("edit", approve), {"n": 1})
    event = record_draft_edit(
        run_id=run.pk,
        path="approve",
        before="Intro\nBody\n",
        after="Intro\nBetter body\n",
        actor=reviewer,
    )
    assert event is not None and event.type == EventType.DRAFT_EDITED
    assert event.data["before"] == "Intro\nBody\n" and event.data["after"] == "Intro\nBetter body\n"
    assert "-Body\n+Better body\n" in event.data["diff"]
    assert event.id == api.get_run(run.pk).last_event_id


def test_an_edit_that_changes_nothing_is_not_recorded(reviewer: User) -> None:
    run = run_workflow(chain("noop", approve), {"n": 1})
    assert (
        record_draft_edit(run_id=run.pk, path="approve", before="a", after="a", actor=reviewer)
        is None
    )


def test_only_application_events_can_be_appended(reviewer: User) -> None:
    run = run_workflow(chain("forge", approve), {"n": 1})
    with pytest.raises(WorkflowError, match=r"'step\.completed' is not an application event"):
        api.record_event(run.pk, EventType.STEP_COMPLETED, data={})
