"""The admin lists runs and changes them only through the run API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.workflows.flows import add_one, approve, chain, explode
from workflows.engine.testing import drain, run_workflow
from workflows.models import EventType, RunStatus

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
    assert b"no failed step" in response.content and b"1 run(s) retried" in response.content
    drain()
    failed.refresh_from_db()
    assert failed.status == RunStatus.FAILED  # it fails again, as it should
    assert failed.events.filter(type=EventType.RUN_RETRIED).count() == 1


def test_events_cannot_be_deleted_from_the_admin(admin_client: Client) -> None:
    run = run_workflow(chain("adm-del", add_one), {"n": 1})
    event = run.events.first()
    response = admin_client.get(f"/admin/workflows/runevent/{event.pk}/delete/")
    assert response.status_code == 403
