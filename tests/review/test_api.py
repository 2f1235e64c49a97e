"""The runs API over HTTP: events after an id, snapshots, and who may read them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from review import api
from workflows.engine.testing import run_workflow
from workflows.models import RunEvent

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def run(review_flow):
    return run_workflow(review_flow, {"n": 1})


def test_events_after_an_id_are_exactly_the_later_ones(reviewer: User, run) -> None:
    ids = list(RunEvent.objects.filter(run=run).values_list("id", flat=True))
    response = client_for(reviewer).get(f"/api/runs/{run.pk}/events", {"after": ids[2]})
    assert response.status_code == 200
    body = response.json()
    assert [event["id"] for event in body["events"]] == ids[3:]
    assert body["last_event_id"] == ids[-1] and body["status"] == "suspended"
    assert body["more"] is False
    assert body["events"][0].keys() >= {"id", "type", "path", "actor", "at", "data"}


def test_events_page_with_limit_and_continue_from_last_event_id(reviewer: User, run) -> None:
    client = client_for(reviewer)
    seen, after = [], 0
    while True:
        body = client.get(f"/api/runs/{run.pk}/events", {"after": after, "limit": 2}).json()
        seen += [event["id"] for event in body["events"]]
        after = body["last_event_id"]
        if not body["more"]:
            break
    assert seen == list(RunEvent.objects.filter(run=run).values_list("id", flat=True))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "x"}, "after"),
        ({"after": "-1"}, "after"),
        ({"after": "+1"}, "after"),
        ({"after": "9" * 30}, "after"),
        ({"limit": "many"}, "limit"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_a_malformed_parameter_is_400_naming_it(reviewer: User, run, query, field) -> None:
    response = client_for(reviewer).get(f"/api/runs/{run.pk}/events", query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request" and body["message"]
    assert list(body["fields"]) == [field]


def test_a_limit_over_the_maximum_is_capped(reviewer: User, run) -> None:
    body = client_for(reviewer).get(f"/api/runs/{run.pk}/events", {"limit": "5000"}).json()
    assert len(body["events"]) == RunEvent.objects.filter(run=run).count()


def test_unknown_and_invisible_runs_are_404_and_anonymous_is_403(
    reviewer: User, outsider: User, run
) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert client_for(reviewer).get(f"/api/runs/{missing}/events").status_code == 404
    assert client_for(outsider).get(f"/api/runs/{run.pk}/events").status_code == 404
    assert client_for(outsider).get(f"/api/runs/{run.pk}/snapshot").status_code == 404
    anonymous = client_for(None).get(f"/api/runs/{run.pk}/events")
    assert anonymous.status_code == 403 and anonymous.json()["code"] == "not_authenticated"
    missing_body = client_for(reviewer).get(f"/api/runs/{missing}/events").json()
    assert missing_body == {
        "code": "not_found",
        "message": "no such run",
        "details": {"run_id": missing},
    }


def test_a_wrong_method_is_405_in_the_error_shape(reviewer: User, run) -> None:
    response = client_for(reviewer).post(f"/api/runs/{run.pk}/events")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert response.json()["code"] == "method_not_allowed"
    assert client_for(reviewer).delete("/api/runs/").json()["details"] == {
        "allowed": ["GET", "POST"]
    }


def test_snapshot_now_and_as_of_an_event(reviewer: User, run) -> None:
    client = client_for(reviewer)
    now = client.get(f"/api/runs/{run.pk}/snapshot").json()
    assert now["status"] == "suspended" and now["as_of_event_id"] == run.last_event_id
    first = RunEvent.objects.filter(run=run).order_by("id").first()
    past = client.get(f"/api/runs/{run.pk}/snapshot", {"as_of": first.pk}).json()
    assert past["status"] == "running" and past["as_of_event_id"] == first.pk
    refused = client.get(f"/api/runs/{run.pk}/snapshot", {"as_of": "x"})
    assert refused.status_code == 400 and refused.json()["fields"] == {
        "as_of": "must be a whole number, 0 or more"
    }


def test_run_list_follows_the_visibility_rule(reviewer: User, outsider: User, review_flow) -> None:
    mine = run_workflow(review_flow, {"n": 1}, actor=outsider)
    run_workflow(review_flow, {"n": 2})
    assert len(client_for(reviewer).get("/api/runs/").json()["runs"]) == 2
    runs = client_for(outsider).get("/api/runs/").json()["runs"]
    assert [r["id"] for r in runs] == [str(mine.pk)]


def test_the_catch_all_route_answers_404_in_the_error_shape() -> None:
    """For review/urls.py's last ``api/`` route, so the API never answers with HTML."""
    request = RequestFactory().get("/api/runs/not-a-uuid/events")
    response = api.unknown_route(request)
    assert response.status_code == 404
    assert json.loads(response.content) == {
        "code": "not_found",
        "message": "no API route '/api/runs/not-a-uuid/events'; see docs/api.md",
    }


def test_unknown_api_addresses_answer_json_404(reviewer: User) -> None:
    from django.test import Client

    client = Client()
    client.force_login(reviewer)
    for url in ("/api/nope", "/api/runs/not-a-uuid/events"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_value_of_the_snapshot_or_of_an_event_is_read_by_its_pointer(reviewer: User, run) -> None:
    client = client_for(reviewer)
    value = client.get(f"/api/runs/{run.pk}/snapshot", {"pointer": "/context/add_one/output"})
    assert value.status_code == 200 and value.json() == {"n": 2}
    event = RunEvent.objects.filter(run=run, type="step.completed").first()
    whole = client.get(f"/api/runs/{run.pk}/events/{event.pk}")
    assert whole.status_code == 200 and whole.json()["id"] == event.pk
    part = client.get(f"/api/runs/{run.pk}/events/{event.pk}", {"pointer": "/data/kind"})
    assert part.json() == "step"
    bad = client.get(f"/api/runs/{run.pk}/snapshot", {"pointer": "context"})
    assert bad.status_code == 400 and bad.json()["fields"] == {
        "pointer": "must be a JSON pointer: /a/b/0"
    }
    assert client.get(f"/api/runs/{run.pk}/snapshot", {"pointer": "/nope"}).status_code == 404
    assert client.get(f"/api/runs/{run.pk}/events/{2**70}").status_code == 404
    other = run_workflow(run.workflow_id, {"n": 5})
    mine = RunEvent.objects.filter(run=other).first()
    assert client.get(f"/api/runs/{run.pk}/events/{mine.pk}").status_code == 404


def test_a_page_of_events_stops_at_its_byte_budget(reviewer: User, run, settings) -> None:
    settings.HANDOFF_API_PAGE_BYTES = 600
    client = client_for(reviewer)
    seen, after, pages = [], 0, 0
    while True:
        body = client.get(f"/api/runs/{run.pk}/events", {"after": after}).json()
        assert body["events"], "a page always holds at least one event"
        seen += [event["id"] for event in body["events"]]
        after, pages = body["last_event_id"], pages + 1
        if not body["more"]:
            break
    assert seen == list(RunEvent.objects.filter(run=run).values_list("id", flat=True))
    assert pages > 1
