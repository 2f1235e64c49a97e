"""commit() accepts good definitions and rejects bad ones with a message naming the problem."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from tests.workflows.flows import Number, Text, add_one, approve, double, unique
from workflows.engine import Workflow, registry, step
from workflows.engine.errors import DefinitionChanged, DefinitionError, WorkflowNotFound


@step(input=Text, output=Text)
def shout(ctx):
    return Text(text=ctx.input.text.upper())


class Pair(BaseModel):
    add_one: Number
    double: Number


def test_commit_registers_the_workflow_by_id() -> None:
    workflow = Workflow(unique("reg"), input=Number, output=Number).then(add_one).commit()
    assert registry.get(workflow.id) is workflow
    assert len(workflow.version) == 12


def test_unknown_workflow_id_names_the_registered_ones() -> None:
    with pytest.raises(WorkflowNotFound, match="no workflow with id 'nope'"):
        registry.get("nope")


def test_empty_workflow_is_rejected() -> None:
    with pytest.raises(DefinitionError, match="has no steps"):
        Workflow(unique("empty")).commit()


def test_duplicate_step_ids_are_rejected_with_a_fix() -> None:
    with pytest.raises(DefinitionError, match=r"duplicate id 'add_one'.*with_id"):
        Workflow(unique("dup"), input=Number).then(add_one).then(add_one).commit()


def test_with_id_allows_a_step_twice() -> None:
    workflow = Workflow(unique("twice"), input=Number).then(add_one).then(add_one.with_id("again"))
    assert workflow.commit().committed


def test_empty_parallel_is_rejected() -> None:
    with pytest.raises(DefinitionError, match="parallel\\(\\) needs at least one step"):
        Workflow(unique("par"), input=Number).parallel([]).commit()


def test_output_that_cannot_feed_the_next_input_is_rejected() -> None:
    with pytest.raises(DefinitionError, match=r"'shout' needs \['text'\].*'add_one' output"):
        Workflow(unique("mismatch"), input=Number).then(add_one).then(shout).commit()


def test_workflow_input_must_feed_the_first_step() -> None:
    with pytest.raises(DefinitionError, match="the workflow input"):
        Workflow(unique("first"), input=Text).then(add_one).commit()


def test_parallel_output_keys_must_cover_the_next_input() -> None:
    @step(input=Pair, output=Number)
    def combine(ctx):
        return Number(n=ctx.input.add_one.n + ctx.input.double.n)

    ok = Workflow(unique("fan"), input=Number).parallel([add_one, double]).then(combine)
    assert ok.commit().committed
    with pytest.raises(DefinitionError, match=r"needs \['double'\]"):
        Workflow(unique("fan-bad"), input=Number).parallel(
            [add_one, approve.with_id("other")]
        ).then(combine.with_id("combine-2")).commit()


def test_foreach_after_a_model_output_is_rejected() -> None:
    with pytest.raises(DefinitionError, match="foreach needs a list"):
        Workflow(unique("fe"), input=Number).then(add_one).foreach(double).commit()


def test_loop_cap_and_concurrency_must_be_positive() -> None:
    with pytest.raises(DefinitionError, match="max_iterations must be at least 1"):
        Workflow(unique("cap"), input=Number).dowhile(
            add_one, lambda c: True, max_iterations=0
        ).commit()
    with pytest.raises(DefinitionError, match="concurrency must be at least 1"):
        Workflow(unique("conc"), input=list[Number]).foreach(add_one, concurrency=0).commit()


def test_nested_workflow_must_be_committed_first() -> None:
    inner = Workflow(unique("inner"), input=Number, output=Number).then(add_one)
    with pytest.raises(DefinitionError, match="must be committed first"):
        Workflow(unique("outer"), input=Number).then(inner).commit()


def test_ids_with_dots_are_rejected() -> None:
    with pytest.raises(DefinitionError, match=r"'\.' separates path parts"):
        Workflow(unique("dots"), input=Number).then(add_one.with_id("a.b")).commit()


def test_all_problems_are_listed_at_once() -> None:
    with pytest.raises(DefinitionError) as caught:
        Workflow(unique("many"), input=Number).then(add_one).then(add_one).parallel([]).commit()
    assert len(caught.value.details["problems"]) == 2


def test_a_committed_workflow_cannot_be_extended() -> None:
    workflow = Workflow(unique("frozen"), input=Number).then(add_one).commit()
    with pytest.raises(DefinitionError, match="is committed"):
        workflow.then(double)


def test_version_changes_when_the_definition_changes() -> None:
    name = unique("ver")
    first = Workflow(name, input=Number).then(add_one).commit()
    second = Workflow(name, input=Number).then(add_one).then(double).commit()
    same = Workflow(name, input=Number).then(add_one).then(double).commit()
    assert first.version != second.version
    assert second.version == same.version
    assert registry.get(name) is same


def test_resolve_names_steps_through_nested_workflows() -> None:
    inner = Workflow(unique("in"), input=Number, output=Number).then(approve).commit()
    outer = Workflow(unique("out"), input=Number).then(inner, id="review").commit()
    assert outer.resolve(["review", "approve"]).step is approve
    with pytest.raises(DefinitionChanged, match="'missing' no longer exists"):
        outer.resolve(["review", "missing"])


def test_graph_serialises_every_construct() -> None:
    inner = (
        Workflow(unique("g-in"), input=Number, output=Number).then(add_one.with_id("x")).commit()
    )
    workflow = (
        Workflow(unique("graph"), input=Number)
        .then(add_one)
        .parallel([double, inner])
        .map(lambda c: {"n": 1}, output=Number)
        .dowhile(approve, lambda c: False, max_iterations=3)
        .sleep(0.1)
        .commit()
    )
    kinds = [node["kind"] for node in workflow.graph()["nodes"]]
    assert kinds == ["step", "parallel", "map", "dowhile", "sleep"]
    parallel = workflow.graph()["nodes"][1]
    assert [b["id"] for b in parallel["branches"]] == ["double", inner.id]
    assert workflow.graph()["nodes"][3]["body"]["can_suspend"] is True


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda w: w.sleep(float("nan")), "a sleep takes seconds"),
        (lambda w: w.sleep("soon"), "a sleep takes seconds"),
        (lambda w: w.sleep(10**12), "a sleep takes seconds"),
        (lambda w: w.sleep_until("tomorrow"), "sleep_until takes a datetime"),
        (lambda w: w.then(add_one.with_id("r")).then(_odd(retries=None)), "retries must be"),
        (lambda w: w.then(_odd(timeout=float("inf"))), "timeout must be seconds"),
        (lambda w: w.then(_odd(timeout=10**9)), "timeout must be seconds"),
        (lambda w: w.dowhile(add_one, lambda c: False, max_iterations="3"), "max_iterations"),
        (lambda w: w.foreach(add_one, concurrency=None), "concurrency"),
    ],
)
def test_odd_numbers_and_types_are_refused_at_commit(build, words: str) -> None:
    """Found by the definition property tests: these raised TypeError, OverflowError or
    stored NaN in the run's graph (PostgreSQL refuses it) instead of naming the problem."""
    workflow = Workflow(unique("odd"), input=Number).then(add_one)
    build(workflow)
    with pytest.raises(DefinitionError, match=words):
        workflow.commit()


def test_a_version_that_does_not_fit_its_column_is_refused() -> None:
    for version in ("v" * 65, "", "a\x00b"):
        with pytest.raises(DefinitionError, match="version must be text"):
            Workflow(unique("ver"), input=Number, version=version).then(add_one).commit()


def _odd(**options: object):
    return step(lambda ctx: ctx.input, id="odd", input=Number, output=Number, **options)
