"""The admin lists runs and changes them only through the run API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.workflows.flows import add_one, approve, chain, explode
from workflows.engine.testing import drain, run_workflow
from workflows.models import EventType, RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_run_list_and_detail_render(admin_client: Client) -> None:
    run = run_workflow(chain("adm", add_one, approve), {"n": 1})
    assert admin_client.get("/admin/workflows/workflowrun/").status_code == 200
    page = admin_client.get(f"/admin/workflows/workflowrun/{run.pk}/change/")
    assert page.status_code == 200 and b"approve" in page.content
    assert admin_client.get("/admin/workflows/runevent/").status_code == 200


def test_cancel_action_goes_through_the_run_api(admin_client: Client) -> None:
    run = run_workflow(chain("adm-cancel", approve), {"n": 1})
    response = admin_client.post(
        "/admin/workflows/workflowrun/",
        {"action": "cancel_runs", "_selected_action": [str(run.pk)]},
        follow=True,
    )
    assert b"1 run(s) canceled" in response.content
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert run.events.get(type=EventType.RUN_CANCELED).actor.username == "root"


def test_retry_action_reports_runs_it_cannot_retry(admin_client: Client) -> None:
    failed = run_workflow(chain("adm-retry", explode), {"n": 1})
    fine = run_workflow(chain("adm-fine", add_one), {"n": 1})
    response = admin_client.post(
        "/admin/workflows/workflowrun/",
        {"action": "retry_failed_steps", "_selected_action": [str(failed.pk), str(fine.pk)]},
        follow=True,
    )
    assert b"no failed step" in response.content and b"is running again" in response.content
    drain()
    failed.refresh_from_db()
    assert failed.status == RunStatus.FAILED  # it fails again, as it should
    assert failed.events.filter(type=EventType.RUN_RETRIED).count() == 1


def test_events_cannot_be_deleted_from_the_admin(admin_client: Client) -> None:
    run = run_workflow(chain("adm-del", add_one), {"n": 1})
    event = run.events.first()
    response = admin_client.get(f"/admin/workflows/runevent/{event.pk}/delete/")
    assert response.status_code == 403


def test_a_retry_that_fails_again_says_so(admin_client: Client, monkeypatch) -> None:
    import workflows.admin

    monkeypatch.setattr(workflows.admin.time, "sleep", lambda seconds: drain())
    failed = run_workflow(chain("adm-again", explode), {"n": 1})
    response = admin_client.post(
        "/admin/workflows/workflowrun/",
        {"action": "retry_failed_steps", "_selected_action": [str(failed.pk)]},
        follow=True,
    )
    assert b"explode ran again and failed again" in response.content


def test_the_run_page_draws_the_graph_and_offers_no_delete(admin_client: Client) -> None:
    run = run_workflow(chain("adm-graph", add_one, approve), {"n": 1})
    html = admin_client.get(f"/admin/workflows/workflowrun/{run.pk}/change/").content.decode()
    assert "<ul class='step-graph'><li><strong>add_one</strong> <code>step</code></li>" in html
    assert "/delete/" not in html
    assert "answer one with JSON" in html
    deleted = admin_client.post(f"/admin/workflows/workflowrun/{run.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert type(run).objects.get(pk=run.pk).status == RunStatus.SUSPENDED


def test_a_waiting_step_is_answered_with_json_checked_against_its_schema(
    admin_client: Client,
) -> None:
    run = run_workflow(chain("adm-resume", approve), {"n": 1})
    url = f"/admin/workflows/workflowrun/{run.pk}/resume/"
    question = str(run.suspensions.get().pk)
    form = admin_client.get(url).content.decode()
    assert "Answer (JSON)" in form and "approve (asked" in form
    refused = admin_client.post(url, {"question": question, "answer": '{"approved": "perhaps"}'})
    assert (
        refused.status_code == 200
        and b"approved: Input should be a valid boolean" in refused.content
    )
    run.refresh_from_db()
    assert run.status == RunStatus.SUSPENDED
    answered = admin_client.post(url, {"question": question, "answer": '{"approved": true}'})
    assert answered.status_code == 302
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS


def test_the_event_log_shows_its_data_as_indented_json(admin_client: Client) -> None:
    run = run_workflow(chain("adm-json", add_one), {"n": 1})
    event = run.events.get(type=EventType.RUN_STARTED)
    html = admin_client.get(f"/admin/workflows/runevent/{event.pk}/change/").content.decode()
    assert "<pre class='json'>{\n  &quot;input&quot;" in html


def test_the_run_list_links_each_run_to_its_page(admin_client: Client) -> None:
    run = run_workflow(chain("adm-link", add_one), {"n": 1})
    html = admin_client.get("/admin/workflows/workflowrun/").content.decode()
    assert f'<a href="/runs/{run.pk}/">open</a>' in html
    assert admin_client.get("/admin/review/reviewclaim/").status_code == 200
    assert admin_client.get("/admin/review/reviewtask/?q=approve").status_code == 200
    assert admin_client.get("/admin/workflows/suspension/?q=approve").status_code == 200


def test_a_large_unfiltered_list_counts_without_count_on_postgresql(monkeypatch) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows import admin_support

    run_workflow(chain("adm-count", add_one), {"n": 1})
    runs = WorkflowRun.objects.order_by("pk")
    monkeypatch.setattr(admin_support, "ESTIMATE_ABOVE", 0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE workflows_workflowrun")
    with CaptureQueriesContext(connection) as queries:
        count = admin_support.EstimatedCountPaginator(runs, 10).count
    counted = any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
    if connection.vendor == "postgresql":
        assert not counted and count >= 1  # the planner's estimate, from pg_class
    else:
        assert counted and count == 1  # SQLite counts exactly
    assert admin_support.EstimatedCountPaginator(runs.filter(status="x"), 10).count == 0
