"""Every kind of node has one construct class, and the table and its reads agree with them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.workflows.flows import Number, add_one, unique
from workflows.engine import Workflow, api
from workflows.engine.constructs import CONSTRUCTS
from workflows.engine.kinds import CONSTRUCT_KINDS, LEAF_KINDS, NodeKind
from workflows.models import ExecutionStatus, StepExecution


def test_every_node_kind_is_handled_by_exactly_one_construct_class() -> None:
    assert sorted(CONSTRUCTS) == sorted(NodeKind.values)


def test_every_kind_either_does_work_or_holds_children() -> None:
    assert set(LEAF_KINDS) | set(CONSTRUCT_KINDS) == set(NodeKind.values)
    assert not set(LEAF_KINDS) & set(CONSTRUCT_KINDS)


def test_an_execution_row_takes_only_node_kinds() -> None:
    assert StepExecution._meta.get_field("kind").choices == NodeKind.choices


@pytest.mark.django_db
def test_a_sleep_is_a_due_timer_once_its_time_has_come_and_not_before() -> None:
    workflow = Workflow(unique("nap"), input=Number).sleep(60, id="nap").then(add_one).commit()
    run = api.start_run(workflow, {"n": 1})
    nap = run.executions.get(path_key="nap")
    assert nap.status == ExecutionStatus.WAITING
    assert not StepExecution.objects.due_timers(timezone.now()).exists()
    later = timezone.now() + timedelta(seconds=61)
    assert list(StepExecution.objects.due_timers(later)) == [nap]
    assert list(run.executions.open()) == [*run.executions.filter(kind=NodeKind.WORKFLOW), nap]
