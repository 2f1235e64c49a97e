"""``api.watch`` stops where asked: at a suspension with ``until=``, at the end by default."""

from __future__ import annotations

import time

import pytest

from tests.workflows.flows import add_one, approve, chain, double
from workflows.engine import api
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunEvent

pytestmark = pytest.mark.django_db


def test_watch_until_suspended_returns_once_the_run_waits_for_a_person() -> None:
    run = run_workflow(chain("watch-wait", add_one, approve, double), {"n": 1})
    started = time.monotonic()
    seen = [event.type for event in api.watch(run.pk, until=["suspended"])]
    assert time.monotonic() - started < 2
    assert seen[-1] == "run.suspended"
    assert len(seen) == RunEvent.objects.filter(run=run).count()


def test_watch_until_a_single_status_and_the_default_end() -> None:
    run = run_workflow(chain("watch-end", add_one), {"n": 1})
    assert [e.type for e in api.watch(run.pk, until="success")][-1] == "run.completed"
    assert [e.type for e in api.watch(run.pk)][-1] == "run.completed"


def test_watch_without_until_follows_a_suspended_run_to_its_end() -> None:
    run = run_workflow(chain("watch-follow", approve), {"n": 1})
    after = run.last_event_id
    api.resume_run(run.pk, {"approved": True})  # the workers have not run it yet
    seen = []
    for event in api.watch(run.pk, after=after, poll=0.05, timeout=10):
        seen.append(event.type)
        if event.type == "step.resumed":
            drain()  # the workers run the rest meanwhile
    assert seen[0] == "step.resumed" and seen[-1] == "run.completed"
