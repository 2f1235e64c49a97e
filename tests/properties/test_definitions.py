"""Workflow definitions, generated: ``commit()`` accepts them or names the problem.

Odd ids, wrong types and odd numbers for retries, timeouts, loop caps,
concurrency and sleeps. Building and committing raises nothing but a
``DefinitionError``; a committed definition describes itself as JSON and
starts runs (or refuses their input with a 4xx).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties.conftest import counted, scaled
from tests.properties.strategies import any_text, odd_numbers
from tests.workflows.flows import Number, add_one, approve, double, unique
from workflows.engine import Workflow, api, step
from workflows.engine.errors import WorkflowError

pytestmark = pytest.mark.django_db

ids = st.sampled_from(["a", "step-1", "x:y", "b|c", "[d]", "e_2", "F"]) | any_text
fine_numbers = st.integers(1, 5) | st.floats(0.5, 60)
numbers = (
    fine_numbers | fine_numbers | st.integers() | st.floats() | odd_numbers | any_text | st.none()
)
steps = st.sampled_from([add_one, double, approve])


@st.composite
def a_step(draw: st.DrawFn) -> Any:
    base = draw(steps)
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return base.with_id(draw(ids))
    if choice == 1:
        return step(
            lambda ctx: ctx.input,
            id=draw(ids),
            input=Number,
            output=Number,
            retries=draw(numbers),
            timeout=draw(numbers),
        )
    return base


def build(draw: st.DrawFn, workflow: Workflow) -> None:
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(
            st.sampled_from(["then", "parallel", "loop", "foreach", "map", "sleep", "nested"])
        )
        if kind == "then":
            workflow.then(draw(a_step()), id=draw(st.none() | ids))
        elif kind == "parallel":
            workflow.parallel(draw(st.lists(a_step(), max_size=3)), id=draw(st.none() | ids))
        elif kind == "loop":
            workflow.dowhile(draw(a_step()), lambda check: False, max_iterations=draw(numbers))
        elif kind == "foreach":
            workflow.foreach(draw(a_step()), concurrency=draw(numbers))
        elif kind == "map":
            workflow.map(draw(st.sampled_from([lambda check: check.input, None, 3])))
        elif kind == "sleep":
            workflow.sleep(draw(numbers))
        else:
            inner = Workflow(unique("inner"), input=Number, output=Number).then(add_one)
            if draw(st.booleans()):
                inner.commit()
            workflow.then(inner, id=draw(st.none() | ids))


@st.composite
def definitions(draw: st.DrawFn) -> Workflow:
    workflow = Workflow(
        draw(st.sampled_from([unique("gen")]) | ids),
        input=draw(st.sampled_from([Number, None, dict, list[Number]])),
        version=draw(st.none() | any_text),
    )
    with contextlib.suppress(WorkflowError):
        build(draw, workflow)
    return workflow


def test_workflow_definitions() -> None:
    @settings(max_examples=scaled(300))
    @given(workflow=definitions(), value=st.fixed_dictionaries({"n": st.integers()}) | any_text)
    def check(workflow: Workflow, value: Any) -> None:
        try:
            workflow.commit()
        except WorkflowError as exc:
            assert exc.http_status == 400 and exc.message
            counted("definitions: commit", True)
            return
        counted("definitions: commit", False)
        json.dumps(workflow.graph())
        try:
            run = api.start_run(workflow.id, value)
        except WorkflowError as exc:
            assert 400 <= exc.http_status < 500
            return
        run.refresh_from_db()
        if not run.is_terminal:  # an untyped input may fail its first step at once
            api.cancel_run(run.pk)

    check()
