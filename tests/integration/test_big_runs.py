"""A run with megabytes of step output, or a long note, can be watched live through daphne.

daphne refuses to send a websocket message over 1 MiB (the socket closes with
1011), so the streams send large values by reference and big pages in parts
(review/live/messages.py). The client here also refuses anything over 1 MiB.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from websockets.sync.client import ClientConnection, connect

import tests.integration.cluster_workflows  # noqa: F401 - registers cluster-big here too
from review.testing import DaphneServer
from workflows.engine import api
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunEvent, RunStatus, StepExecution

pytestmark = pytest.mark.cluster

MIB = 1024 * 1024


@pytest.fixture
def reviewer(transactional_db: None) -> User:
    user = User.objects.create_user("rita", password="rita")
    user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_stream(daphne: DaphneServer, path: str, client: Client) -> ClientConnection:
    return connect(
        daphne.ws_url + path,
        origin=daphne.url,
        additional_headers={"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
        open_timeout=10,
        max_size=MIB,  # what daphne itself would refuse to send
    )


def receive_text(ws: ClientConnection, timeout: float = 20) -> str:
    text = ws.recv(timeout=timeout)
    assert isinstance(text, str) and len(text.encode()) <= MIB
    return text


def fetched(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_megabytes_of_output_and_a_long_note_are_watched_as_json(
    daphne: DaphneServer, reviewer: User
) -> None:
    run = run_workflow("cluster-big", {"megabytes": 3})
    assert run.status == RunStatus.SUSPENDED
    output = StepExecution.objects.get(run=run, path_key="big_output").output
    client = signed_in(reviewer)
    with open_stream(daphne, f"/ws/runs/{run.pk}/events/?after=0", client) as ws:
        state = json.loads(receive_text(ws))
        assert state["type"] == "state" and state["snapshot"]["status"] == "suspended"
        deferred = {item["pointer"]: item for item in state["deferred"]}
        assert state["snapshot"]["context"]["big_output"]["output"] is None
        assert fetched(client, deferred["/context/big_output/output"]["url"]) == output
        assert deferred["/context/big_output/output"]["bytes"] > 3_000_000

        last = run.last_event_id
        seen = []
        while not seen or seen[-1]["event"]["id"] < last:
            seen.append(json.loads(receive_text(ws)))
        completed = next(m for m in seen if m["event"]["type"] == "step.completed")
        (reference,) = completed["deferred"]
        assert reference["pointer"] == "/data/output"
        assert fetched(client, reference["url"]) == output
        ids = [m["event"]["id"] for m in seen]
        logged = RunEvent.objects.filter(run=run).order_by("id").values_list("id", flat=True)
        assert ids == list(logged)

        note = "a long note, " * 32_000  # 416 KB: accepted, and larger than one live message
        api.resume_run(run.pk, {"note": note}, path="read_it")
        drain()
        messages = []
        while not messages or messages[-1]["event"]["type"] != "run.completed":
            messages.append(json.loads(receive_text(ws)))
        resumed = next(m for m in messages if m["event"]["type"] == "step.resumed")
        assert fetched(client, resumed["deferred"][0]["url"]) == {"note": note}


def test_the_run_page_stream_sends_a_big_pipeline_as_a_part_that_fetches_itself(
    daphne: DaphneServer, reviewer: User
) -> None:
    run = run_workflow("cluster-big", {"megabytes": 3})
    client = signed_in(reviewer)
    with open_stream(daphne, f"/ws/runs/{run.pk}/", client) as ws:
        state = ""
        while f'id="run-{run.pk}-events"' not in state:
            state += receive_text(ws)
        assert f'id="run-{run.pk}-header"' in state
        assert f'hx-select="#run-{run.pk}-pipeline"' in state
        page = client.get(f"/runs/{run.pk}/")
        assert page.status_code == 200 and f'id="run-{run.pk}-pipeline"' in page.text

        api.resume_run(run.pk, {"note": "fine"}, path="read_it")
        drain()
        update = ""
        while "Run completed" not in update:
            update += receive_text(ws)
