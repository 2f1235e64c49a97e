"""Start input, resume data, emitted data and draft edits: a 4xx refusal or a run that shows.

For every example the call either succeeds, and then the run page and the
snapshot still answer 200, or raises a ``WorkflowError`` with a 4xx status and
changes nothing. Any other exception, or a 500, fails the property.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from review import decisions, drafts
from tests.properties.conftest import counted, scaled
from tests.properties.strategies import any_text, anything, shaped_like
from tests.review.drafting import drafting_workflow
from tests.workflows.flows import unique
from workflows.engine import StepContext, Workflow, api, step
from workflows.engine.errors import WorkflowError
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunEvent, RunStatus, Suspension, WorkflowRun

pytestmark = pytest.mark.django_db


class Text(BaseModel):
    text: str


class Free(BaseModel):
    value: Any = None
    note: str = ""


@step(input=Free, output=Free, suspend=Free, resume=Free)
def ask_forever(ctx: StepContext[Free]) -> Free:
    """Suspends again after every answer, so one run takes every generated answer."""
    ctx.suspend(Free(value=ctx.resume_data.value if ctx.resume_data else None))
    return ctx.input


@step(input=Free, output=Free)
def emit_it(ctx: StepContext[Free]) -> Free:
    ctx.emit(ctx.input.value, type="token")
    return ctx.input


def snapshot_and_page_answer(client: Client, run: WorkflowRun) -> None:
    assert client.get(f"/api/runs/{run.pk}/snapshot").status_code == 200
    page = client.get(f"/runs/{run.pk}/")
    assert page.status_code == 200
    page.content.decode("utf-8")


def refused(exc: WorkflowError) -> bool:
    assert 400 <= exc.http_status < 500, exc
    assert exc.message
    return True


@pytest.fixture
def admin(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_start_input(admin: Client) -> None:
    typed = Workflow(unique("p-start"), input=Text).then(
        step(lambda ctx: ctx.input, id="echo", input=Text, output=Text)
    )
    typed.commit()
    free = Workflow(unique("p-free"), input=Free).then(
        step(lambda ctx: ctx.input, id="keep", input=Free, output=Free)
    )
    free.commit()

    @settings(max_examples=scaled(150))
    @given(
        workflow=st.sampled_from([typed, free]),
        value=shaped_like({"text": any_text}) | shaped_like({"value": anything}) | anything,
        key=st.none() | any_text,
    )
    def check(workflow: Workflow, value: Any, key: Any) -> None:
        before = WorkflowRun.objects.count()
        try:
            run = api.start_run(workflow, value, idempotency_key=key)
        except WorkflowError as exc:
            counted("engine: start input", refused(exc))
            assert WorkflowRun.objects.count() == before
            return
        counted("engine: start input", False)
        drain()
        snapshot_and_page_answer(admin, run)

    check()


def test_resume_data(admin: Client) -> None:
    workflow = Workflow(unique("p-resume"), input=Free).then(ask_forever).commit()
    run = run_workflow(workflow, {})
    assert run.status == RunStatus.SUSPENDED

    @settings(max_examples=scaled(150))
    @given(data=shaped_like({"value": anything, "note": any_text}) | anything)
    def check(data: Any) -> None:
        events = RunEvent.objects.filter(run=run).count()
        try:
            api.resume_run(run.pk, data)
        except WorkflowError as exc:
            counted("engine: resume data", refused(exc))
            assert RunEvent.objects.filter(run=run).count() == events
            assert Suspension.objects.filter(run=run, status="open").count() == 1
            return
        counted("engine: resume data", False)
        drain()
        run.refresh_from_db()
        assert run.status == RunStatus.SUSPENDED, (run.error, data)
        snapshot_and_page_answer(admin, run)

    check()


def test_emitted_data(admin: Client) -> None:
    workflow = Workflow(unique("p-emit"), input=Free).then(emit_it).commit()

    @settings(max_examples=scaled(100))
    @given(value=anything)
    def check(value: Any) -> None:
        try:
            run = api.start_run(workflow, {"value": value})
        except WorkflowError as exc:
            counted("engine: emitted data", refused(exc))
            return
        drain()
        run.refresh_from_db()
        assert run.status in (RunStatus.SUCCESS, RunStatus.FAILED)
        counted("engine: emitted data", run.status == RunStatus.FAILED)
        if run.status == RunStatus.FAILED:
            assert "emitted" in run.error["message"], run.error
        snapshot_and_page_answer(admin, run)

    check()


def test_draft_edits(admin: Client, admin_user: User) -> None:
    run = run_workflow(drafting_workflow(), {"topic": "compost"})
    suspension = Suspension.objects.get(run=run, status="open")

    @settings(max_examples=scaled(120))
    @given(
        text=any_text | st.integers(190_000, 260_000).map(lambda n: "é" * n) | anything,
        base=st.just("latest") | st.none() | st.integers(-3, 5) | any_text | st.booleans(),
    )
    def check(text: Any, base: Any) -> None:
        events = RunEvent.objects.filter(run=run).count()
        latest = drafts.latest_number(suspension)
        try:
            decisions.save_draft(
                run_id=run.pk,
                actor=admin_user,
                text=text,
                base_revision=latest if base == "latest" else base,
            )
        except WorkflowError as exc:
            counted("review: draft edits", refused(exc))
            assert RunEvent.objects.filter(run=run).count() == events
            return
        counted("review: draft edits", False)
        snapshot_and_page_answer(admin, run)

    check()
