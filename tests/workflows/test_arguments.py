"""The run API checks its arguments at the boundary: refusals name the argument, not raw errors.

The same limits hold on SQLite and PostgreSQL (these tests run on both).
"""

from __future__ import annotations

import math

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.workflows.flows import add_one, approve, chain
from workflows.engine import api
from workflows.engine.errors import InvalidArgument, RunNotFound
from workflows.engine.testing import run_workflow
from workflows.models import RunEvent, RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("k" * 201, "at most 200"),
        ("", "must not be empty"),
        (123, "must be text"),
        ("a\x00b", "NUL"),
        ("\ud800", "surrogate"),
    ],
)
def test_an_idempotency_key_that_does_not_fit_its_column_is_refused(key: object, words: str):
    workflow = chain("key", add_one)
    with pytest.raises(InvalidArgument) as caught:
        api.start_run(workflow, {"n": 1}, idempotency_key=key)  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert caught.value.errors[0]["field"] == "idempotency_key"
    assert words in caught.value.errors[0]["message"]
    assert not WorkflowRun.objects.exists()


def test_a_key_of_exactly_the_column_length_is_kept_and_deduplicates() -> None:
    workflow = chain("key-ok", add_one)
    first = api.start_run(workflow, {"n": 1}, idempotency_key="k" * 200)
    again = api.start_run(workflow, {"n": 1}, idempotency_key="k" * 200)
    assert first.pk == again.pk and WorkflowRun.objects.get().idempotency_key == "k" * 200


# --- every argument of the run API ------------------------------------------------------------


def resume(run: WorkflowRun, **kwargs: object) -> object:
    return api.resume_run(run.pk, {"approved": True}, **kwargs)


def waiting_run():
    return run_workflow(chain("args", add_one, approve), {"n": 1})


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda run: resume(run, path=123), "path"),
        (lambda run: resume(run, path=["a", 1]), "path"),
        (lambda run: resume(run, path=""), "path"),
        (lambda run: resume(run, label=5), "label"),
        (
            lambda run: resume(run, foreach_index="1"),
            "foreach_index",
        ),
        (
            lambda run: resume(run, foreach_index=True),
            "foreach_index",
        ),
        (lambda run: resume(run, foreach_index=-1), "foreach_index"),
        (
            lambda run: resume(run, suspension_id="x"),
            "suspension_id",
        ),
        (lambda run: resume(run, fingerprint=7), "fingerprint"),
        (lambda run: api.cancel_run(run.pk, reason=None), "reason"),
        (lambda run: api.cancel_run(run.pk, reason="a\x00b"), "reason"),
        (lambda run: api.cancel_run(run.pk, reason="r" * 4001), "reason"),
        (lambda run: api.retry_step(run.pk, path={"a": 1}), "path"),
        (lambda run: api.fork_run(run.pk, 3.5), "path"),
        (lambda run: api.events(run.pk, after="0"), "after"),
        (lambda run: api.events(run.pk, limit=0), "limit"),
        (lambda run: api.watch(run.pk, poll=-1), "poll"),
        (lambda run: api.watch(run.pk, timeout="soon"), "timeout"),
        (lambda run: api.wait(run.pk, until=["sleeping"]), "until"),
        (lambda run: api.wait(run.pk, timeout=math.inf), "timeout"),
        (lambda run: api.snapshot(run.pk, as_of="3"), "as_of"),
        (lambda run: api.list_runs(status="done"), "status"),
        (lambda run: api.record_event(run.pk, "app.note", data=[1]), "data"),
        (lambda run: api.open_suspension(run.pk, path=5), "path"),
        (lambda run: api.start_run(42, {"n": 1}), "workflow"),
        (lambda run: api.start_run(run.workflow_id, {"n": 1}, state=[1]), "state"),
    ],
)
def test_a_wrong_argument_is_refused_naming_it_and_changes_nothing(call, argument: str) -> None:
    run = waiting_run()
    before = RunEvent.objects.count()
    with pytest.raises(InvalidArgument) as caught:
        call(run)
    assert caught.value.http_status == 400
    assert caught.value.errors[0]["field"] == argument
    assert RunEvent.objects.count() == before
    run.refresh_from_db()
    assert run.status == RunStatus.SUSPENDED


def test_junk_run_ids_are_not_found() -> None:
    for junk in ("junk", 12, None, ["x"], "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(RunNotFound):
            api.resume_run(junk, {"approved": True})
        with pytest.raises(RunNotFound):
            api.watch(junk)


@pytest.mark.parametrize(
    ("url", "action"),
    [
        ("/admin/workflows/workflowrun/", "cancel_runs"),
        ("/admin/workflows/workflowrun/", "retry_failed_steps"),
        ("/admin/workflows/stepexecution/", "delete_selected"),
        ("/admin/workflows/suspension/", "delete_selected"),
    ],
)
def test_junk_ids_in_an_admin_action_are_skipped_with_a_message(url: str, action: str) -> None:
    run = waiting_run()
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    junk = ["junk", "9" * 40, "-1.5", str(run.pk) + "x"]
    response = client.post(url, {"action": action, "_selected_action": junk}, follow=True)
    assert response.status_code == 200
    assert b"were skipped" in response.content
    run.refresh_from_db()
    assert run.status == RunStatus.SUSPENDED
