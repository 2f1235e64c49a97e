"""Workflows exercising every construct with suspensions, for whole-run consistency checks."""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.workflows.flows import Number, add_one, approve, double, unique
from workflows.engine import Workflow


@cache
def scenario_workflows() -> dict[str, tuple[Workflow, Any, list[dict[str, Any]]]]:
    nested = Workflow(unique("sn"), input=Number, output=Number).then(double).then(approve).commit()
    return {
        "sequence": (
            Workflow(unique("s1"), input=Number).then(add_one).then(approve).then(double).commit(),
            {"n": 1},
            [{"resume_data": {"approved": True}}],
        ),
        "parallel": (
            Workflow(unique("s2"), input=Number)
            .parallel([add_one, approve, approve.with_id("other")])
            .commit(),
            {"n": 1},
            [
                {"resume_data": {"approved": True}, "path": "other"},
                {"resume_data": {"approved": False}, "path": "approve"},
            ],
        ),
        "loop": (
            Workflow(unique("s3"), input=Number)
            .dowhile(approve, lambda c: c.output.n == 0, max_iterations=5)
            .commit(),
            {"n": 0},
            [{"resume_data": {"approved": True}}, {"resume_data": {"approved": True}}],
        ),
        "foreach": (
            Workflow(unique("s4"), input=list[Number]).foreach(approve, concurrency=2).commit(),
            [{"n": 1}, {"n": 2}, {"n": 3}],
            [
                {"resume_data": {"approved": True}, "foreach_index": 1},
                {"resume_data": {"approved": True}, "foreach_index": 0},
                {"resume_data": {"approved": False}, "foreach_index": 2},
            ],
        ),
        "nested": (
            Workflow(unique("s5"), input=Number).then(add_one).then(nested, id="inner").commit(),
            {"n": 1},
            [{"resume_data": {"approved": True}, "path": "inner.approve"}],
        ),
    }
