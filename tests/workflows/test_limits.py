"""Data no database stores alike, or over its size limit, is refused before anything is written.

Each refusal names the field; the same input behaves the same on SQLite and
PostgreSQL (these tests run on both).
"""

from __future__ import annotations

import math

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pydantic import BaseModel

from review.models import ApiToken
from tests.workflows.flows import Number, Text, add_one, approve, chain, unique
from workflows.engine import StepContext, Workflow, api, limits, step
from workflows.engine.errors import (
    InvalidData,
    InvalidInput,
    InvalidResumeData,
    PayloadTooLarge,
)
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunEvent, RunStatus, Suspension, WorkflowRun

pytestmark = pytest.mark.django_db

UNSTORABLE = ["\ud800", "a\x00b", "x\udfffy"]


class Note(BaseModel):
    approved: bool
    note: str = ""


class Free(BaseModel):
    value: object = None


@step(input=Number, output=Number, suspend=Number, resume=Note)
def noted(ctx: StepContext[Number]) -> Number:
    if ctx.resume_data is None:
        ctx.suspend(ctx.input)
    return ctx.input


def text_flow() -> Workflow:
    @step(input=Text, output=Text)
    def echo(ctx: StepContext[Text]) -> Text:
        return ctx.input

    return Workflow(unique("text"), input=Text, output=Text).then(echo).commit()


def free_flow() -> Workflow:
    @step(input=Free, output=Free)
    def keep(ctx: StepContext[Free]) -> Free:
        return ctx.input

    return Workflow(unique("free"), input=Free, output=Free).then(keep).commit()


@pytest.mark.parametrize("bad", UNSTORABLE)
def test_start_input_that_no_database_stores_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        api.start_run(text_flow(), {"text": bad})
    assert caught.value.errors[0]["field"] == "text"
    assert caught.value.http_status == 400
    assert not WorkflowRun.objects.exists() and not RunEvent.objects.exists()


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ({"ok": 1, "bad\x00key": 2}, "value.bad\\x00key", "key"),
        ([1, [2, "\ud800"]], "value.1.1", "surrogate"),
        (10**400, "value", "310 digits"),
    ],
)
def test_keys_nested_values_and_numbers_are_checked_too(value: object, field: str, words: str):
    with pytest.raises(InvalidInput) as caught:
        api.start_run(free_flow(), {"value": value})
    (error,) = caught.value.errors
    assert error["field"] == field and words in error["message"]
    assert not WorkflowRun.objects.exists()


def test_non_finite_numbers_are_found_where_pydantic_does_not_turn_them_into_null() -> None:
    assert limits.problems({"a": [1.0, math.nan]}) == [
        {"field": "a.1", "message": "is not a finite number (NaN or infinity)"}
    ]
    assert limits.problems(math.inf)[0]["field"] == "(root)"


def test_deep_nesting_is_refused_without_a_recursion_error() -> None:
    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InvalidInput) as caught:
        api.start_run(free_flow(), {"value": deep})
    assert "levels deep" in caught.value.errors[0]["message"]


@pytest.mark.parametrize("bad", UNSTORABLE)
def test_resume_data_that_no_database_stores_changes_nothing(bad: str) -> None:
    run = run_workflow(chain("resume-bad", noted), {"n": 1})
    before = list(run.events.values_list("id", flat=True))
    with pytest.raises(InvalidResumeData) as caught:
        api.resume_run(run.pk, {"approved": True, "note": bad})
    assert caught.value.errors[0]["field"] == "note"
    run.refresh_from_db()
    assert run.status == RunStatus.SUSPENDED
    assert list(run.events.values_list("id", flat=True)) == before
    assert Suspension.objects.get(run=run).status == "open"


def test_fork_resume_data_and_input_are_checked_before_anything_is_created() -> None:
    run = run_workflow(chain("fork-bad", add_one, noted), {"n": 1})
    with pytest.raises(InvalidResumeData):
        api.fork_run(run.pk, "noted", resume_data={"approved": True, "note": "\ud800"})
    assert WorkflowRun.objects.count() == 1
    texts = run_workflow(text_flow(), {"text": "fine"})
    with pytest.raises(InvalidInput) as caught:
        api.fork_run(texts.pk, "echo", input={"text": "a\x00b"})
    assert caught.value.errors[0]["field"] == "text"
    assert WorkflowRun.objects.count() == 2


def test_a_record_event_with_unstorable_data_is_refused() -> None:
    run = run_workflow(chain("note", noted), {"n": 1})
    with pytest.raises(InvalidData):
        api.record_event(run.pk, "review.note", data={"text": "a\x00b"})
    assert not run.events.filter(type="review.note").exists()


def test_an_emit_with_unstorable_data_raises_in_the_step_and_writes_nothing() -> None:
    seen: list[str] = []

    @step(input=Number, output=Number)
    def chatty(ctx: StepContext[Number]) -> Number:
        try:
            ctx.emit({"text": "\ud800"}, type="token")
        except InvalidData as exc:
            seen.append(exc.errors[0]["field"])
        ctx.emit({"text": "fine"}, type="token")
        return ctx.input

    run = run_workflow(chain("emit-bad", chatty), {"n": 1})
    assert run.status == RunStatus.SUCCESS and seen == ["text"]
    outputs = run.events.filter(type="step.output")
    assert [event.data["data"] for event in outputs] == [{"text": "fine"}]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda ctx: ctx.suspend({"n": 1}, label="\x00"), "label"),
        (lambda ctx: ctx.bail({"why": "\ud800"}), "why"),
        (lambda ctx: {"n": 1} if ctx.set_state(note="a\x00b") is None else None, "note"),
    ],
)
def test_a_step_result_that_cannot_be_stored_fails_the_step_and_the_page_still_shows(
    build, field: str, admin_user: User
) -> None:
    @step(input=Number, output=Number, suspend=Number, resume=Note)
    def odd(ctx: StepContext[Number]) -> object:
        return build(ctx)

    run = run_workflow(chain("odd", odd), {"n": 1})
    assert run.status == RunStatus.FAILED
    assert field in run.error["message"] and "stored" in run.error["message"]
    client = Client()
    client.force_login(admin_user)
    assert client.get(f"/runs/{run.pk}/").status_code == 200
    assert client.get(f"/api/runs/{run.pk}/snapshot").status_code == 200


def test_an_exception_quoting_bad_characters_is_still_recorded(admin_user: User) -> None:
    @step(input=Number, output=Number)
    def quoting(ctx: StepContext[Number]) -> Number:
        raise ValueError("cannot parse 'a\x00b\ud800'")

    run = run_workflow(chain("quoting", quoting), {"n": 1})
    assert run.status == RunStatus.FAILED
    assert run.error["message"] == "cannot parse 'a\\x00b\\ud800'"
    client = Client()
    client.force_login(admin_user)
    assert client.get(f"/runs/{run.pk}/").status_code == 200


# --- sizes ----------------------------------------------------------------------------------


def test_the_limits_have_documented_defaults() -> None:
    assert {name: default for name, (default, _) in limits.LIMITS.items()} == {
        "HANDOFF_MAX_INPUT_BYTES": 1_000_000,
        "HANDOFF_MAX_RESUME_BYTES": 1_000_000,
        "HANDOFF_MAX_EMIT_BYTES": 100_000,
        "HANDOFF_MAX_EVENT_BYTES": 2_000_000,
    }


def test_a_ten_megabyte_resume_note_is_refused_with_413() -> None:
    run = run_workflow(chain("big-note", noted), {"n": 1})
    before = run.events.count()
    with pytest.raises(PayloadTooLarge) as caught:
        api.resume_run(run.pk, {"approved": True, "note": "x" * 10_000_000})
    assert caught.value.http_status == 413
    assert "HANDOFF_MAX_RESUME_BYTES" in caught.value.message
    assert run.events.count() == before


def test_start_input_over_its_limit_is_refused(settings) -> None:
    settings.HANDOFF_MAX_INPUT_BYTES = 100
    with pytest.raises(PayloadTooLarge) as caught:
        api.start_run(text_flow(), {"text": "é" * 60})  # 120 bytes of UTF-8
    assert caught.value.details["size"] == len('{"text":""}') + 120
    api.start_run(text_flow(), {"text": "é" * 40})
    assert WorkflowRun.objects.count() == 1


def test_an_emit_over_its_limit_raises_in_the_step(settings) -> None:
    settings.HANDOFF_MAX_EMIT_BYTES = 1000

    @step(input=Number, output=Number)
    def loud(ctx: StepContext[Number]) -> Number:
        ctx.emit({"text": "x" * 2000}, type="token")
        return ctx.input

    run = run_workflow(chain("loud", loud), {"n": 1})
    assert run.status == RunStatus.FAILED
    assert "HANDOFF_MAX_EMIT_BYTES" in run.error["message"]
    assert not run.events.filter(type="step.output").exists()


def test_resume_over_the_limit_through_the_api_is_413(settings, admin_user: User) -> None:
    settings.HANDOFF_MAX_RESUME_BYTES = 1000
    run = run_workflow(chain("api-note", approve), {"n": 1})
    _, secret = ApiToken.issue(user=admin_user, name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(
        f"/api/runs/{run.pk}/resume",
        {"data": {"approved": True, "note": "x" * 2000}},
        content_type="application/json",
    )
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "too_large"
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUSPENDED


def test_a_key_pydantic_cannot_dump_is_refused_naming_it_not_raised() -> None:
    """Found by the property tests: a lone surrogate in a key made Pydantic raise
    UnicodeEncodeError while dumping the resume data."""
    workflow = Workflow(unique("key"), input=Free, output=Free)
    workflow.then(step(lambda ctx: ctx.input, id="keep", input=Free, output=Free)).commit()
    with pytest.raises(InvalidInput) as caught:
        api.start_run(workflow, {"value": {"\ud800": None}})
    assert caught.value.errors[0]["field"] == "value.\\ud800"
    run = run_workflow(chain("key-resume", noted), {"n": 1})
    with pytest.raises(InvalidResumeData):
        api.resume_run(run.pk, {"approved": True, "note": "", "x": {"\udfff": 1}})


def test_a_float_that_postgresql_returns_as_a_long_integer_stays_storable() -> None:
    """jsonb gives 1e308 back as its 309-digit integer; data holding it must still store."""
    assert limits.problems(int(1e308)) == []
    assert limits.problems(10**400)[0]["message"] == "is an integer of more than 310 digits"
