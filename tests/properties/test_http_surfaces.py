"""Every JSON endpoint and form, generated: a 4xx or a form error, never a 500, nothing changed.

The JSON API gets bodies that are odd JSON (shaped like the real request or
not), raw bytes, and odd query strings. The forms (start, decide, save a
draft, sign in) get odd fields. A refusal must change nothing: no run, no event,
no revision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from review.models import ApiToken, DraftRevision
from review.roles import grant_role
from tests.properties.conftest import counted, scaled
from tests.properties.strategies import any_text, anything, query_values, shaped_like
from tests.review.drafting import drafting_workflow
from tests.workflows.flows import add_one, approve, chain, explode
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunEvent, Suspension, WorkflowRun

pytestmark = pytest.mark.django_db


def state() -> tuple[int, int, int]:
    return WorkflowRun.objects.count(), RunEvent.objects.count(), DraftRevision.objects.count()


@pytest.fixture
def admin(admin_user: User) -> User:
    grant_role(admin_user, "Admins")
    return admin_user


@pytest.fixture
def token_client(admin: User) -> Client:
    _, secret = ApiToken.issue(user=admin, name="properties")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)


@pytest.fixture
def browser(admin: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    return client


def encoded(body: Any) -> bytes:
    """What a client may send: JSON (NaN and lone surrogates included) or other bytes."""
    if isinstance(body, bytes):
        return body
    try:
        return json.dumps(body).encode()
    except (ValueError, RecursionError):
        return b"{"


WORKFLOW_IDS: list[str] = ["content-brief"]  # the tests add theirs
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "": {
        "workflow": st.sampled_from(WORKFLOW_IDS) | any_text,
        "input": st.fixed_dictionaries({"n": st.integers()}) | anything,
        "idempotency_key": any_text,
    },
    "resume": {
        "data": st.fixed_dictionaries({"approved": st.booleans(), "note": any_text}) | anything,
        "path": st.sampled_from(["approve", "check"]) | any_text,
        "label": any_text,
        "suspension_id": any_text,
        "revision": st.integers() | any_text,
    },
    "cancel": {"reason": any_text},
    "retry": {"path": st.sampled_from(["explode"]) | any_text},
    "fork": {
        "path": st.sampled_from(["add_one", "approve", "write"]) | any_text,
        "input": st.fixed_dictionaries({"n": st.integers()}) | anything,
        "resume_data": anything,
    },
    "drafts": {"text": any_text, "base_revision": st.integers(-1, 3) | any_text, "path": any_text},
}


VALID: dict[str, list[dict[str, Any]]] = {
    "": [{"input": {"n": 1}}],
    "resume": [{"path": "approve", "data": {"approved": True}}],
    "cancel": [{}, {"reason": "a duplicate"}],
    "retry": [{}],
    "fork": [{"path": "add_one"}, {"path": "approve", "resume_data": {"approved": False}}],
    "drafts": [{"text": "# New\n", "base_revision": 0}],
}


def body_for(endpoint: str) -> st.SearchStrategy[Any]:
    fields = FIELDS[endpoint]
    valid = st.sampled_from(VALID[endpoint])
    if not endpoint:
        valid = st.builds(
            lambda w: {"workflow": w, "input": {"n": 1}}, st.sampled_from(WORKFLOW_IDS)
        )
    shaped = st.fixed_dictionaries({}, optional=fields)
    return valid | shaped | shaped_like(fields) | anything | st.binary(max_size=200)


def checked(surface: str, response: Any, before: tuple[int, int, int], changes: bool) -> None:
    assert response.status_code < 500, response.content[:500]
    refused = response.status_code >= 400
    counted(surface, refused)
    if refused:
        body = response.json()
        assert body["code"] and body["message"]
        assert state() == before, f"{surface} changed something while refusing"
    elif not changes:
        assert state() == before


def test_json_endpoints(token_client: Client) -> None:
    waiting = run_workflow(chain("p-api", add_one, approve), {"n": 1})
    drafted = run_workflow(drafting_workflow(), {"topic": "compost"})
    failed = run_workflow(chain("p-api-fail", explode), {"n": 1})
    runs = [waiting, drafted, failed]
    WORKFLOW_IDS[:] = [waiting.workflow_id, "content-brief"]
    endpoints = ["", "resume", "cancel", "retry", "fork", "drafts"]

    @settings(max_examples=scaled(400))
    @given(
        run=st.sampled_from(runs),
        endpoint=st.sampled_from(endpoints),
        data=st.data(),
        content_type=st.sampled_from(["application/json", "text/plain", "application/json"]),
    )
    def check(run: WorkflowRun, endpoint: str, data: st.DataObject, content_type: str) -> None:
        body = data.draw(body_for(endpoint), label="body")
        url = "/api/runs/" if not endpoint else f"/api/runs/{run.pk}/{endpoint}"
        before = state()
        response = token_client.post(url, encoded(body), content_type=content_type)
        checked(f"http: POST /api/runs/…/{endpoint or ''}", response, before, changes=True)
        drain()

    check()


def test_json_reads(token_client: Client) -> None:
    run = run_workflow(chain("p-read", add_one, approve), {"n": 1})
    last = RunEvent.objects.filter(run=run).order_by("-id").first()

    @settings(max_examples=scaled(300))
    @given(
        path=st.sampled_from(
            ["events", "snapshot", f"events/{last.pk}", "drafts", "events/0", "events/99"]
        ),
        query=st.dictionaries(
            st.sampled_from(["after", "limit", "as_of", "pointer", "path", "suspension_id", "x"]),
            query_values,
            max_size=3,
        ),
        run_id=st.sampled_from([str(run.pk), "00000000-0000-0000-0000-000000000000"]),
    )
    def check(path: str, query: dict[str, str], run_id: str) -> None:
        before = state()
        response = token_client.get(f"/api/runs/{run_id}/{path}", query)
        checked("http: GET /api/runs/…", response, before, changes=False)

    check()


def form_check(surface: str, browser: Client, url: str, fields: dict[str, Any]) -> None:
    before = state()
    response = browser.post(url, {k: v for k, v in fields.items() if v is not None})
    assert response.status_code < 500, response.content[:500]
    refused = response.status_code >= 400 or b"errorlist" in response.content
    counted(surface, refused)
    if refused:
        assert state() == before, f"{surface} changed something while refusing"
    drain()


form_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60) | st.sampled_from(
    ["", "\x00", "<script>alert(1)</script>", "x" * 5000, "-1", "9" * 30, "on", "approve"]
)


def test_forms(browser: Client) -> None:
    drafted = run_workflow(drafting_workflow(), {"topic": "compost"})
    question = Suspension.objects.get(run=drafted, status="open")
    simple = run_workflow(chain("p-form", approve), {"n": 1})
    simple_question = Suspension.objects.get(run=simple, status="open")
    forms: list[tuple[str, str, Callable[[], list[str]]]] = [
        ("form: start", f"/start/{drafted.workflow_id}/", lambda: ["topic"]),
        (
            "form: decide",
            f"/runs/{drafted.pk}/questions/{question.pk}/decide",
            lambda: ["decision", "feedback", "revision", "take_over"],
        ),
        (
            "form: decide",
            f"/runs/{simple.pk}/questions/{simple_question.pk}/decide",
            lambda: ["approved", "note", "revision"],
        ),
        (
            "form: save draft",
            f"/runs/{drafted.pk}/questions/{question.pk}/draft",
            lambda: ["text", "base_revision"],
        ),
        (
            "form: draft preview",
            f"/runs/{drafted.pk}/questions/{question.pk}/draft/preview",
            lambda: ["text"],
        ),
    ]

    @settings(max_examples=scaled(300))
    @given(form=st.sampled_from(forms), data=st.data())
    def check(form: tuple[str, str, Callable[[], list[str]]], data: st.DataObject) -> None:
        surface, url, names = form
        fields = {name: data.draw(st.none() | form_text, label=name) for name in names()}
        form_check(surface, browser, url, fields)

    check()


def test_sign_in_form() -> None:
    User.objects.create_user("rita", password="rita")

    @settings(max_examples=scaled(100))
    @given(username=form_text, password=form_text)
    def check(username: str, password: str) -> None:
        client = Client(raise_request_exception=False)
        client.get("/login/")
        response = client.post("/login/", {"username": username, "password": password})
        assert response.status_code < 500
        counted("form: sign in", response.status_code != 302)

    check()
