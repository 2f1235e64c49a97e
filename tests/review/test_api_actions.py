"""The runs API acts: start, resume, cancel, retry, fork, save a draft edit.

Every action is checked the same ways: it works for someone allowed to do it;
it is 403 for someone who sees the run but lacks the permission; 404 for a run
the caller may not see; refused with a message and no change at all for bad
input; with an API token it needs no CSRF token, with a session it does; and a
revoked token is 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pydantic import BaseModel

from review.models import ApiToken, DraftRevision
from review.roles import grant_role
from tests.review.conftest import make_user
from tests.workflows.flows import Number, add_one, approve, chain, double, explode, unique
from workflows import presentation
from workflows.engine import StepContext, Workflow, api, step
from workflows.engine.testing import drain, run_workflow
from workflows.models import EventType, RunEvent, RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db

JSON = "application/json"
NOBODY = "00000000-0000-0000-0000-000000000000"


# ---------------------------------------------------------------- a workflow with a draft


class Piece(BaseModel):
    text: str


class Verdict(BaseModel):
    decision: str
    edited_text: str | None = None


@step(input=Number, output=Piece)
def write_piece(ctx: StepContext[Number]) -> Piece:
    return Piece(text=f"Piece {ctx.input.n}\nA second line.\n")


@step(input=Piece, output=Piece, suspend=Piece, resume=Verdict)
def piece_review(ctx: StepContext[Piece]) -> Piece:
    if ctx.resume_data is None:
        ctx.suspend(ctx.input)
    return Piece(text=ctx.resume_data.edited_text or ctx.input.text)


def draft_flow() -> Workflow:
    workflow = (
        Workflow(unique("api-draft"), input=Number, output=Piece)
        .then(write_piece)
        .then(piece_review)
        .commit()
    )
    hook = presentation.EditableDraft(
        text=lambda payload: payload["text"],
        resume_field="edited_text",
        action_field="decision",
        carried_by=("approve",),
        approve="approve",
    )
    presentation.register(workflow.id, presentation.Presentation(drafts={"piece_review": hook}))
    return workflow


# ---------------------------------------------------------------- people and clients


def person(name: str, role: str | None) -> User:
    user = make_user(name)
    if role:
        grant_role(user, role)
    return user


def session(user: User | None, *, csrf: bool = False) -> Client:
    """A signed-in browser; ``csrf`` sends the token the way a page's script does."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    if csrf:
        secret = "a" * 32
        client.cookies["csrftoken"] = secret
        client.defaults["HTTP_X_CSRFTOKEN"] = secret
    return client


def with_token(user: User) -> Client:
    _, secret = ApiToken.issue(user=user, name="tests")
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, url: str, body: Any = None, **extra: Any) -> Any:
    return client.post(url, json.dumps(body if body is not None else {}), JSON, **extra)


# ---------------------------------------------------------------- one scenario per action


@dataclass(frozen=True)
class Scenario:
    """A run ready for an action, the request that does it, and who may (not) do it."""

    url: str
    body: dict[str, Any]
    run: WorkflowRun | None
    allowed: str  # a role that may
    denied: str  # a role that sees the run but may not
    status: int


def waiting_run() -> WorkflowRun:
    return run_workflow(chain("api-wait", add_one, approve, double), {"n": 1})


def draft_run() -> WorkflowRun:
    return run_workflow(draft_flow(), {"n": 1})


def failed_run() -> WorkflowRun:
    run = run_workflow(chain("api-fail", add_one, explode), {"n": 1})
    assert run.status == RunStatus.FAILED
    return run


def start_scenario() -> Scenario:
    workflow = chain("api-start", add_one, approve)
    body = {"workflow": workflow.id, "input": {"n": 1}}
    return Scenario("/api/runs/", body, None, "Reviewers", "Viewers", 201)


def resume_scenario() -> Scenario:
    run = waiting_run()
    body = {"path": "approve", "data": {"approved": True}}
    return Scenario(f"/api/runs/{run.pk}/resume", body, run, "Reviewers", "Editors", 200)


def cancel_scenario() -> Scenario:
    run = waiting_run()
    return Scenario(
        f"/api/runs/{run.pk}/cancel", {"reason": "a duplicate"}, run, "Admins", "Reviewers", 200
    )


def retry_scenario() -> Scenario:
    run = failed_run()
    return Scenario(
        f"/api/runs/{run.pk}/retry", {"path": "explode"}, run, "Admins", "Reviewers", 200
    )


def fork_scenario() -> Scenario:
    run = waiting_run()
    body = {"path": "approve", "resume_data": {"approved": False}}
    return Scenario(f"/api/runs/{run.pk}/fork", body, run, "Reviewers", "Editors", 201)


def draft_scenario() -> Scenario:
    run = draft_run()
    body = {"text": "Piece 1\nA better second line.\n", "base_revision": 0}
    return Scenario(f"/api/runs/{run.pk}/drafts", body, run, "Editors", "Reviewers", 201)


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "start": start_scenario,
    "resume": resume_scenario,
    "cancel": cancel_scenario,
    "retry": retry_scenario,
    "fork": fork_scenario,
    "draft": draft_scenario,
}
ON_A_RUN = [name for name in SCENARIOS if name != "start"]


def state() -> tuple[int, int, int, list[str]]:
    """Everything an action could change: runs, events, revisions, statuses."""
    statuses = list(WorkflowRun.objects.order_by("created_at").values_list("status", flat=True))
    return (
        WorkflowRun.objects.count(),
        RunEvent.objects.count(),
        DraftRevision.objects.count(),
        statuses,
    )


def refused(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) <= {"code", "message", "fields", "details"}
    assert body["message"] and isinstance(body["code"], str)
    if code is not None:
        assert body["code"] == code, body
    return body


# ---------------------------------------------------------------- every action, the same rules


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_someone_allowed_can_act_with_a_token_and_no_csrf_token(name: str) -> None:
    scenario = SCENARIOS[name]()
    user = person("ada", scenario.allowed)
    response = post(with_token(user), scenario.url, scenario.body)
    assert response.status_code == scenario.status, response.content
    assert RunEvent.objects.filter(actor=user).exists()  # acted as the token's user


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_someone_who_sees_the_run_but_lacks_the_permission_gets_403(name: str) -> None:
    scenario = SCENARIOS[name]()
    before = state()
    response = post(with_token(person("val", scenario.denied)), scenario.url, scenario.body)
    body = refused(response, 403, "forbidden")
    assert "permission" in body["message"]
    assert state() == before


@pytest.mark.parametrize("name", ON_A_RUN)
def test_a_run_the_caller_may_not_see_is_404_even_with_every_permission(name: str) -> None:
    scenario = SCENARIOS[name]()
    user = person("ole", None)
    user.user_permissions.add(*_all_review_permissions_but_view_all())
    before = state()
    refused(post(with_token(user), scenario.url, scenario.body), 404, "not_found")
    missing = scenario.url.replace(str(scenario.run.pk), NOBODY)
    refused(post(with_token(person("amy", "Admins")), missing, scenario.body), 404, "not_found")
    assert state() == before


def _all_review_permissions_but_view_all() -> list[Any]:
    from django.contrib.auth.models import Permission

    return list(
        Permission.objects.filter(content_type__app_label="review").exclude(
            codename="view_all_runs"
        )
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_session_write_without_the_csrf_token_is_refused(name: str) -> None:
    scenario = SCENARIOS[name]()
    before = state()
    body = refused(post(session(person("ada", scenario.allowed)), scenario.url, scenario.body), 403)
    assert body["code"] == "csrf_failed" and "CSRF" in body["message"]
    assert state() == before


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_session_write_with_the_csrf_token_acts(name: str) -> None:
    scenario = SCENARIOS[name]()
    client = session(person("ada", scenario.allowed), csrf=True)
    assert post(client, scenario.url, scenario.body).status_code == scenario.status


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_revoked_token_is_401_and_changes_nothing(name: str) -> None:
    scenario = SCENARIOS[name]()
    user = person("ada", scenario.allowed)
    client = with_token(user)
    ApiToken.objects.filter(user=user).update(revoked_at=timezone.now())
    before = state()
    response = post(client, scenario.url, scenario.body)
    refused(response, 401, "invalid_token")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert state() == before


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_token_with_a_signed_in_session_still_needs_no_csrf_token(name: str) -> None:
    scenario = SCENARIOS[name]()
    user = person("ada", scenario.allowed)
    client = with_token(user)
    client.force_login(user)
    assert post(client, scenario.url, scenario.body).status_code == scenario.status


def test_an_unknown_token_and_an_inactive_users_token_are_401() -> None:
    scenario = start_scenario()
    stranger = Client(HTTP_AUTHORIZATION="Bearer hnd_not-a-token")
    refused(post(stranger, scenario.url, scenario.body), 401, "invalid_token")
    empty = Client(HTTP_AUTHORIZATION="Bearer ")
    refused(empty.get("/api/runs/"), 401, "invalid_token")
    user = person("ada", "Reviewers")
    client = with_token(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    before = state()
    refused(post(client, scenario.url, scenario.body), 401, "invalid_token")
    assert state() == before


def test_anonymous_writes_are_403_with_a_message() -> None:
    scenario = start_scenario()
    body = refused(post(Client(), scenario.url, scenario.body), 403, "not_authenticated")
    assert "Bearer" in body["message"]


# ---------------------------------------------------------------- bad requests, for every action

BODY_LIMIT = 10_000


def raw_post(client: Client, url: str, data: str | bytes, content_type: str = JSON) -> Any:
    return client.post(url, data, content_type)


MALFORMED: list[tuple[str, bytes | str, str, int, str]] = [
    ("not JSON", b"{oops", JSON, 400, "bad_request"),
    ("a JSON list", b"[1, 2]", JSON, 400, "bad_request"),
    ("a form", b"workflow=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("plain text", b'{"a": 1}', "text/plain", 415, "unsupported_media_type"),
    ("not UTF-8", b'{"a": "\xff"}', JSON, 400, "bad_request"),
    ("NaN", b'{"a": NaN}', JSON, 400, "bad_request"),
    ("an infinite number", b'{"a": 1e999}', JSON, 400, "bad_request"),
    ("a NUL character", b'{"a": "x\\u0000y"}', JSON, 400, "bad_request"),
    ("a lone surrogate", b'{"a": "\\ud800"}', JSON, 400, "bad_request"),
    ("deep nesting", b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", JSON, 400, "bad_request"),
    ("very deep nesting", b'{"a": ' + b"[" * 4000 + b"]" * 4000 + b"}", JSON, 400, "bad_request"),
    ("over the limit", json.dumps({"a": "x" * BODY_LIMIT}), JSON, 413, "too_large"),
]


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize(
    ("what", "data", "content_type", "status", "code"),
    MALFORMED,
    ids=[case[0] for case in MALFORMED],
)
def test_a_malformed_body_is_refused_with_a_message_and_changes_nothing(
    name: str, what: str, data: bytes | str, content_type: str, status: int, code: str, settings
) -> None:
    settings.HANDOFF_API_MAX_BODY_BYTES = BODY_LIMIT
    scenario = SCENARIOS[name]()
    client = with_token(person("ada", "Admins"))
    before = state()
    refused(raw_post(client, scenario.url, data, content_type), status, code)
    assert state() == before


def test_a_declared_length_over_the_limit_is_refused_before_reading(settings) -> None:
    settings.HANDOFF_API_MAX_BODY_BYTES = BODY_LIMIT
    client = with_token(person("ada", "Admins"))
    response = client.post("/api/runs/", "{}", JSON, CONTENT_LENGTH=str(BODY_LIMIT + 1))
    body = refused(response, 413, "too_large")
    assert body["details"] == {"limit": BODY_LIMIT}


WRONG_FIELDS: dict[str, list[Any]] = {  # (body, status, code, fields named)
    "start": [
        ({}, 400, "invalid_request", ["workflow"]),
        ({"workflow": ""}, 400, "invalid_request", ["workflow"]),
        ({"workflow": 5}, 400, "invalid_request", ["workflow"]),
        ({"workflow": "x", "idempotency_key": 7}, 400, "invalid_request", ["idempotency_key"]),
        (
            {"workflow": "x", "idempotency_key": "k" * 201},
            400,
            "invalid_request",
            ["idempotency_key"],
        ),
        ({"workflow": "x", "inptu": {}}, 400, "invalid_request", ["inptu"]),
        ({"workflow": "no-such-flow"}, 404, "workflow_not_found", []),
    ],
    "resume": [
        ({"data": [True]}, 400, "invalid_request", ["data"]),
        ({"data": {"approved": "maybe"}}, 400, "invalid_resume_data", ["approved"]),
        ({"data": {}}, 400, "invalid_resume_data", ["approved"]),
        ({"path": 3, "data": {"approved": True}}, 400, "invalid_request", ["path"]),
        (
            {"suspension_id": "abc", "data": {"approved": True}},
            400,
            "invalid_request",
            ["suspension_id"],
        ),
        ({"revision": "1", "data": {"approved": True}}, 400, "invalid_request", ["revision"]),
        ({"revision": True, "data": {"approved": True}}, 400, "invalid_request", ["revision"]),
        ({"path": "double", "data": {"approved": True}}, 409, "step_not_suspended", []),
        ({"suspension_id": NOBODY, "data": {"approved": True}}, 409, "step_not_suspended", []),
    ],
    "cancel": [
        ({"reason": 5}, 400, "invalid_request", ["reason"]),
        ({"reason": "x" * 4001}, 400, "invalid_request", ["reason"]),
        ({"why": "no"}, 400, "invalid_request", ["why"]),
    ],
    "retry": [
        ({"path": ["explode"]}, 400, "invalid_request", ["path"]),
        ({"path": "add_one"}, 409, "step_not_retryable", []),
    ],
    "fork": [
        ({}, 400, "invalid_request", ["path"]),
        ({"path": 1}, 400, "invalid_request", ["path"]),
        (
            {"path": "approve", "resume_data": {"approved": 3}},
            400,
            "invalid_resume_data",
            ["approved"],
        ),
        ({"path": "approve", "input": {"n": "one"}}, 400, "invalid_input", ["n"]),
        ({"path": "no_such_step"}, 400, "unknown_step", []),
        ({"path": "double"}, 409, "fork_refused", []),
    ],
    "draft": [
        ({"base_revision": 0}, 400, "invalid_request", ["text"]),
        ({"text": 5, "base_revision": 0}, 400, "invalid_request", ["text"]),
        ({"text": "x"}, 400, "invalid_request", ["base_revision"]),
        ({"text": "x", "base_revision": "0"}, 400, "invalid_request", ["base_revision"]),
        (
            {"text": "x", "base_revision": 0, "suspension_id": 1},
            400,
            "invalid_request",
            ["suspension_id"],
        ),
        ({"text": "x", "base_revision": 3}, 409, "draft_changed", []),
        ({"text": "x", "base_revision": 0, "path": "write_piece"}, 409, "step_not_suspended", []),
    ],
}
WRONG = [
    pytest.param(name, *case.values, marks=case.marks) if hasattr(case, "marks") else (name, *case)
    for name, cases in WRONG_FIELDS.items()
    for case in cases
]


@pytest.mark.parametrize(("name", "body", "status", "code", "fields"), WRONG)
def test_wrong_fields_are_refused_naming_them_and_change_nothing(
    name: str, body: dict[str, Any], status: int, code: str, fields: list[str]
) -> None:
    scenario = SCENARIOS[name]()
    client = with_token(person("ada", "Admins"))
    before = state()
    answer = refused(post(client, scenario.url, body), status, code)
    assert sorted(answer.get("fields", {})) == sorted(fields)
    assert state() == before


def test_the_text_of_an_edit_over_the_limit_is_413(settings) -> None:
    settings.HANDOFF_DRAFT_MAX_CHARS = 100
    scenario = draft_scenario()
    client = with_token(person("ada", "Editors"))
    before = state()
    refused(post(client, scenario.url, {"text": "x" * 101, "base_revision": 0}), 413, "too_large")
    assert state() == before


# ---------------------------------------------------------------- each action's own behaviour


def test_start_returns_the_run_and_the_workers_run_it() -> None:
    scenario = start_scenario()
    user = person("ada", "Reviewers")
    response = post(with_token(user), scenario.url, scenario.body)
    run = response.json()["run"]
    assert run["status"] == "running" and run["created_by"] == "ada"
    assert run["workflow_id"] == scenario.body["workflow"]
    drain()
    assert WorkflowRun.objects.get(pk=run["id"]).status == RunStatus.SUSPENDED


def test_start_with_an_idempotency_key_returns_the_first_run_with_200() -> None:
    scenario = start_scenario()
    client = with_token(person("ada", "Reviewers"))
    body = {**scenario.body, "idempotency_key": "order-17"}
    first, again = post(client, scenario.url, body), post(client, scenario.url, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["run"]["id"] == again.json()["run"]["id"]
    assert WorkflowRun.objects.count() == 1


def test_an_idempotency_key_never_reveals_a_run_the_caller_may_not_see() -> None:
    scenario = start_scenario()
    body = {**scenario.body, "idempotency_key": "shared"}
    post(with_token(person("ada", "Reviewers")), scenario.url, body)
    loner = person("lou", None)
    loner.user_permissions.add(*_all_review_permissions_but_view_all())
    answer = refused(post(with_token(loner), scenario.url, body), 409, "idempotency_key_taken")
    assert "run" not in answer and str(WorkflowRun.objects.get().pk) not in json.dumps(answer)


def test_start_with_input_that_does_not_fit_lists_the_fields() -> None:
    scenario = start_scenario()
    body = {"workflow": scenario.body["workflow"], "input": {"n": "one"}}
    answer = refused(post(with_token(person("ada", "Reviewers")), scenario.url, body), 400)
    assert answer["code"] == "invalid_input" and list(answer["fields"]) == ["n"]
    assert WorkflowRun.objects.count() == 0


def test_resume_answers_the_step_and_the_run_goes_on() -> None:
    scenario = resume_scenario()
    user = person("ada", "Reviewers")
    response = post(with_token(user), scenario.url, scenario.body)
    body = response.json()
    assert body["path"] == "approve" and body["resume_data"] == {"approved": True, "note": ""}
    assert body["run"]["status"] == "running"
    decided = scenario.run.events.get(type="review.decided")
    assert decided.actor == user and decided.data["suspension_id"] == body["suspension_id"]
    drain()
    scenario.run.refresh_from_db()
    assert scenario.run.status == RunStatus.SUCCESS and scenario.run.result == {"n": 4}


def test_resume_by_suspension_id_and_a_stale_one_is_409() -> None:
    run = waiting_run()
    client = with_token(person("ada", "Reviewers"))
    suspension_id = api.snapshot(run.pk)["suspensions"][0]["suspension_id"]
    body = {"suspension_id": suspension_id, "data": {"approved": False}}
    assert post(client, f"/api/runs/{run.pk}/resume", body).status_code == 200
    before = state()
    again = post(client, f"/api/runs/{run.pk}/resume", body)
    refused(again, 409, "stale_suspension")
    assert state() == before


def test_resume_of_a_draft_needs_the_revision_and_a_stale_one_gets_the_new_text() -> None:
    run = draft_run()
    url = f"/api/runs/{run.pk}/resume"
    reviewer, editor = with_token(person("rae", "Reviewers")), with_token(person("ed", "Editors"))
    approve_it = {"path": "piece_review", "data": {"decision": "approve"}}
    before = state()
    answer = refused(post(reviewer, url, approve_it), 400, "revision_required")
    assert answer["details"] == {"current_revision": 0}
    assert state() == before
    edit = {"text": "Edited\n", "base_revision": 0}
    assert post(editor, f"/api/runs/{run.pk}/drafts", edit).status_code == 201
    before = state()
    stale = refused(post(reviewer, url, {**approve_it, "revision": 0}), 409, "draft_changed")
    assert stale["details"] == {"current_revision": 1, "text": "Edited\n"}
    assert state() == before
    fresh = post(reviewer, url, {**approve_it, "revision": 1})
    assert fresh.json()["resume_data"] == {"decision": "approve", "edited_text": "Edited\n"}
    drain()
    run.refresh_from_db()
    assert run.result == {"text": "Edited\n"}


def test_cancel_stops_the_run_with_the_reason() -> None:
    scenario = cancel_scenario()
    response = post(with_token(person("amy", "Admins")), scenario.url, scenario.body)
    assert response.json()["run"]["status"] == "canceled"
    canceled = scenario.run.events.get(type=EventType.RUN_CANCELED)
    assert canceled.data == {"reason": "a duplicate"} and canceled.actor.username == "amy"
    before = state()
    refused(post(with_token(person("bo", "Admins")), scenario.url, {}), 409, "run_not_active")
    assert state() == before


def test_an_empty_body_needs_no_content_type_but_a_form_is_not_json() -> None:
    run = waiting_run()
    client = with_token(person("amy", "Admins"))
    response = client.post(f"/api/runs/{run.pk}/cancel")  # multipart with no fields: not empty
    refused(response, 415, "unsupported_media_type")
    response = client.generic("POST", f"/api/runs/{run.pk}/cancel", b"", content_type="")
    assert response.status_code == 200 and response.json()["run"]["status"] == "canceled"


def test_retry_runs_the_failed_step_again() -> None:
    scenario = retry_scenario()
    response = post(with_token(person("amy", "Admins")), scenario.url, {})
    body = response.json()
    assert body["retried"] == "explode" and body["run"]["status"] == "running"
    assert scenario.run.events.filter(type=EventType.STEP_RETRYING).exists()
    drain()
    scenario.run.refresh_from_db()
    assert scenario.run.status == RunStatus.FAILED  # it fails again, as it should


def test_fork_starts_a_new_run_and_leaves_the_original_alone() -> None:
    scenario = fork_scenario()
    events_before = scenario.run.events.count()
    response = post(with_token(person("ada", "Reviewers")), scenario.url, scenario.body)
    body = response.json()
    assert body["forked_from"] == str(scenario.run.pk) and body["run"]["id"] != body["forked_from"]
    assert body["run"]["created_by"] == "ada"
    drain()
    forked = WorkflowRun.objects.get(pk=body["run"]["id"])
    assert forked.status == RunStatus.SUCCESS and forked.result == {"n": 0}
    assert scenario.run.events.count() == events_before


def test_drafts_read_and_save_with_revisions() -> None:
    scenario = draft_scenario()
    editor = with_token(person("ed", "Editors"))
    shown = editor.get(scenario.url).json()
    assert shown["revision"] == 0 and shown["path"] == "piece_review"
    assert shown["text"] == "Piece 1\nA second line.\n"
    assert [r["author"] for r in shown["revisions"]] == [None]
    saved = post(editor, scenario.url, scenario.body)
    assert saved.status_code == 201
    body = saved.json()
    assert body["saved"] is True and body["revision"] == 1 and body["text"] == scenario.body["text"]
    assert body["revisions"][1] | {"at": None} == {
        "revision": 1,
        "author": "ed",
        "at": None,
        "lines_added": 1,
        "lines_removed": 1,
    }
    unchanged = post(editor, scenario.url, {**scenario.body, "base_revision": 1})
    assert unchanged.status_code == 200 and unchanged.json()["saved"] is False
    assert DraftRevision.objects.count() == 1


def test_two_editors_saving_from_the_same_revision_the_second_gets_409_with_the_text() -> None:
    scenario = draft_scenario()
    first, second = with_token(person("ed", "Editors")), with_token(person("eve", "Editors"))
    assert post(first, scenario.url, scenario.body).status_code == 201
    before = state()
    clash = refused(
        post(second, scenario.url, {"text": "Mine\n", "base_revision": 0}), 409, "draft_changed"
    )
    assert clash["details"] == {"current_revision": 1, "text": scenario.body["text"]}
    assert "ed" in clash["message"]
    assert state() == before


def test_reading_drafts_is_refused_clearly() -> None:
    viewer = with_token(person("vi", "Viewers"))
    waiting = waiting_run()
    refused(viewer.get(f"/api/runs/{waiting.pk}/drafts"), 404, "not_found")
    draft = draft_run()
    refused(viewer.get(f"/api/runs/{draft.pk}/drafts", {"suspension_id": "x"}), 400)
    assert viewer.get(f"/api/runs/{draft.pk}/drafts").status_code == 200
    refused(with_token(person("out", None)).get(f"/api/runs/{draft.pk}/drafts"), 404)
    api.cancel_run(draft.pk)
    refused(viewer.get(f"/api/runs/{draft.pk}/drafts"), 409, "run_not_active")


def test_reads_work_with_a_token_and_record_when_it_was_last_used() -> None:
    run = waiting_run()
    user = person("vi", "Viewers")
    client = with_token(user)
    assert ApiToken.objects.get(user=user).last_used_at is None
    assert client.get(f"/api/runs/{run.pk}/snapshot").json()["status"] == "suspended"
    assert client.get(f"/api/runs/{run.pk}/events").status_code == 200
    assert [r["id"] for r in client.get("/api/runs/").json()["runs"]] == [str(run.pk)]
    assert ApiToken.objects.get(user=user).last_used_at is not None
