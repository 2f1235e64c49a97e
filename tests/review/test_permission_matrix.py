"""Every page, API endpoint and websocket route against every role: each cell asserted.

Roles: anonymous, a plain signed-in user (who did not start the run), and one
user per role group. A cell is the status the request gets: a page sends
anonymous visitors to sign in (302), an API answers 403 (not signed in),
401 (bad token) or 403 (no permission), and a run the user may not see is 404,
exactly like one that does not exist. Each POST gets a fresh run, so no cell
depends on another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from review.roles import grant_role
from tests.review.conftest import make_user, refused_with, ws_headers
from tests.review.drafting import drafting_workflow
from workflows.engine.testing import run_workflow
from workflows.models import Suspension, SuspensionStatus, WorkflowRun

ROLES = ("anonymous", "plain", "viewer", "reviewer", "editor", "admin")
GROUPS = {"viewer": "Viewers", "reviewer": "Reviewers", "editor": "Editors", "admin": "Admins"}

Cell = dict[str, int]


def cells(anonymous: int, plain: int, viewer: int, reviewer: int, editor: int, admin: int) -> Cell:
    return dict(zip(ROLES, (anonymous, plain, viewer, reviewer, editor, admin), strict=True))


def user_for(role: str) -> User | None:
    if role == "anonymous":
        return None
    user = make_user(role, staff=role == "admin")
    if role in GROUPS:
        grant_role(user, GROUPS[role])
    return user


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def a_waiting_run() -> tuple[WorkflowRun, Suspension]:
    owner = User.objects.get_or_create(username="owner")[0]
    run = run_workflow(drafting_workflow(), {"topic": "compost"})
    WorkflowRun.objects.filter(pk=run.pk).update(created_by=owner)
    return run, Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)


def q(run: WorkflowRun, question: Suspension, tail: str) -> str:
    return f"/runs/{run.pk}/questions/{question.pk}/{tail}"


Request = Callable[[Client, WorkflowRun, Suspension], Any]


def get(path: Callable[[WorkflowRun, Suspension], str]) -> Request:
    return lambda client, run, question: client.get(path(run, question))


def posting(send: Callable[[Client, str, Any], Any]) -> Callable[..., Request]:
    """A maker of POST cells: the path and body (fixed, or made from the run) sent by ``send``."""

    def make(path: Callable[[WorkflowRun, Suspension], str], data: Any = None) -> Request:
        def request(client: Client, run: WorkflowRun, question: Suspension) -> Any:
            body = data(run, question) if callable(data) else (data or {})
            return send(client, path(run, question), body)

        return request

    return make


post = posting(lambda client, url, body: client.post(url, body, HTTP_HX_REQUEST="true"))
api = posting(
    lambda client, url, body: client.post(url, json.dumps(body), content_type="application/json")
)


def on_run(tail: str) -> Callable[[WorkflowRun, Suspension], str]:
    """An API path below the run: ``/api/runs/<id>/<tail>``."""
    return lambda run, question: f"/api/runs/{run.pk}/{tail}"


def original(run: WorkflowRun, question: Suspension) -> dict[str, Any]:
    return {"text": question.payload["text"], "base_revision": "0"}


HTTP: dict[str, tuple[Request, Cell]] = {
    "dashboard": (get(lambda r, q_: "/"), cells(302, 200, 200, 200, 200, 200)),
    "queue": (get(lambda r, q_: "/queue/"), cells(302, 200, 200, 200, 200, 200)),
    "insights": (get(lambda r, q_: "/insights/"), cells(302, 403, 200, 200, 200, 200)),
    "start page": (get(lambda r, q_: "/start/content-brief/"), cells(302, 403, 403, 200, 403, 200)),
    "run page": (get(lambda r, q_: f"/runs/{r.pk}/"), cells(302, 404, 200, 200, 200, 200)),
    "download": (get(lambda r, q_: f"/runs/{r.pk}/download"), cells(302, 404, 409, 409, 409, 409)),
    "open editor": (get(lambda r, s: q(r, s, "draft/edit")), cells(302, 403, 403, 403, 200, 200)),
    "revision diff": (
        get(lambda r, s: q(r, s, "draft/revisions/0/diff")),
        cells(302, 404, 200, 200, 200, 200),
    ),
    "admin": (get(lambda r, q_: "/admin/"), cells(302, 302, 302, 302, 302, 200)),
    "decide": (
        post(lambda r, s: q(r, s, "decide"), {"decision": "maybe", "revision": "0"}),
        cells(302, 403, 403, 400, 403, 400),
    ),
    "save draft": (
        post(lambda r, s: q(r, s, "draft"), original),
        cells(302, 403, 403, 403, 200, 200),
    ),
    "preview": (
        post(lambda r, s: q(r, s, "draft/preview"), {"text": "# hi"}),
        cells(302, 403, 403, 403, 200, 200),
    ),
    "claim": (post(lambda r, s: q(r, s, "claim")), cells(302, 404, 403, 200, 200, 200)),
    "release": (post(lambda r, s: q(r, s, "release")), cells(302, 404, 403, 200, 200, 200)),
    "reassign": (
        post(lambda r, s: q(r, s, "reassign"), {"group": "Reviewers"}),
        cells(302, 404, 403, 403, 403, 200),
    ),
    "api list": (get(lambda r, q_: "/api/runs/"), cells(403, 200, 200, 200, 200, 200)),
    "api start": (
        api(
            lambda r, q_: "/api/runs/",
            lambda r, q_: {"workflow": r.workflow_id, "input": {"topic": "x"}},
        ),
        cells(403, 403, 403, 201, 403, 201),
    ),
    "api events": (get(on_run("events")), cells(403, 404, 200, 200, 200, 200)),
    "api snapshot": (get(on_run("snapshot")), cells(403, 404, 200, 200, 200, 200)),
    "api resume": (
        api(on_run("resume"), {"data": {"decision": "maybe"}, "revision": 0}),
        cells(403, 404, 403, 400, 403, 400),
    ),
    "api cancel": (api(on_run("cancel")), cells(403, 404, 403, 403, 403, 200)),
    "api retry": (api(on_run("retry")), cells(403, 404, 403, 403, 403, 409)),
    "api fork": (api(on_run("fork"), {"path": "write"}), cells(403, 404, 403, 201, 403, 201)),
    "api drafts": (get(on_run("drafts")), cells(403, 404, 200, 200, 200, 200)),
    "api save draft": (
        api(
            on_run("drafts"),
            lambda r, s: {"text": s.payload["text"], "base_revision": 0},
        ),
        cells(403, 404, 403, 403, 200, 200),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(HTTP))
def test_http_permission_matrix(endpoint: str, role: str) -> None:
    request, expected = HTTP[endpoint]
    run, question = a_waiting_run()
    response = request(client_for(user_for(role)), run, question)
    assert response.status_code == expected[role], (endpoint, role, response.content[:300])
    if response.status_code == 302:
        assert "/login/" in response["Location"]


WEBSOCKETS: dict[str, tuple[str, Cell]] = {
    "runs json": ("/ws/runs/", cells(4401, 0, 0, 0, 0, 0)),
    "dashboard": ("/ws/dashboard/", cells(4401, 0, 0, 0, 0, 0)),
    "queue": ("/ws/queue/", cells(4401, 0, 0, 0, 0, 0)),
    "run page": ("/ws/runs/{run}/", cells(4401, 4404, 0, 0, 0, 0)),
    "run events": ("/ws/runs/{run}/events/", cells(4401, 4404, 0, 0, 0, 0)),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(WEBSOCKETS))
async def test_websocket_permission_matrix(route: str, role: str) -> None:
    """0 means the socket is accepted; otherwise the close code it is refused with."""
    path, expected = WEBSOCKETS[route]
    run, _ = await database_sync_to_async(a_waiting_run)()
    user = await database_sync_to_async(user_for)(role)
    headers = await database_sync_to_async(ws_headers)(user)
    accepted, code = await refused_with(path.format(run=run.pk), headers)
    assert (0 if accepted else code) == expected[role], (route, role)
