"""The dashboard's filters, search, sorting and pages, kept in the query string and live."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from review import dashboard
from review.roles import grant_role
from tests.review.conftest import connected, make_user, ws_headers
from tests.review.drafting import drafting_workflow
from tests.workflows.flows import add_one, approve, chain
from workflows.engine import api
from workflows.engine.testing import run_workflow
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(user: User, query: str) -> list[str]:
    from django.http import QueryDict

    page = dashboard.dashboard_page(user, dashboard.DashboardQuery.parse(QueryDict(query)))
    return [str(run.pk) for run in page.runs]


def test_filters_by_status_workflow_starter_and_search(reviewer: User) -> None:
    waiting = run_workflow(drafting_workflow(), {"topic": "worm bins"})
    done = run_workflow(chain("f-done", add_one), {"n": 1})
    other = make_user("otto")
    WorkflowRun.objects.filter(pk=done.pk).update(created_by=other)
    assert listed(reviewer, "status=waiting") == [str(waiting.pk)]
    assert listed(reviewer, "status=success") == [str(done.pk)]
    assert listed(reviewer, f"workflow={done.workflow_id}") == [str(done.pk)]
    assert listed(reviewer, "by=otto") == [str(done.pk)]
    assert listed(reviewer, "q=WORM") == []  # the drafting flow's subject is not in state
    assert set(listed(reviewer, "")) == {str(waiting.pk), str(done.pk)}


def test_search_finds_runs_by_the_subject_they_record(reviewer: User) -> None:
    run = run_workflow(chain("f-subject", add_one), {"n": 1})
    WorkflowRun.objects.filter(pk=run.pk).update(state={"subject": "Fix a smelly compost pile"})
    assert listed(reviewer, "q=smelly") == [str(run.pk)]


def test_waiting_on_me_lists_runs_with_a_question_i_may_act_on(reviewer: User) -> None:
    drafted = run_workflow(drafting_workflow(), {"topic": "a"})
    approving = run_workflow(chain("f-mine", approve), {"n": 1})
    editor = make_user("eddie")
    grant_role(editor, "Editors")
    assert set(listed(reviewer, "mine=1")) == {str(drafted.pk), str(approving.pk)}
    assert listed(editor, "mine=1") == [str(drafted.pk)]


def test_sorting_and_pages(reviewer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    flow = chain("f-pages", add_one)
    runs = [str(run_workflow(flow, {"n": n}).pk) for n in range(5)]
    assert listed(reviewer, "") == runs[::-1][:2]
    assert listed(reviewer, "page=3") == runs[:1]
    assert listed(reviewer, "page=99") == runs[:1]  # past the end: the last page
    assert listed(reviewer, "sort=oldest") == runs[:2]


def test_odd_query_strings_fall_back_to_the_defaults(reviewer: User) -> None:
    response = signed_in(reviewer).get("/?status=nope&sort=evil&page=-3&q=%00x&mine=maybe")
    assert response.status_code == 200
    query = dashboard.DashboardQuery.parse(
        {"status": "nope", "sort": "evil", "page": "-3", "q": "\x00x", "mine": "maybe"}
    )
    assert query == dashboard.DashboardQuery(search="x")


def test_the_page_keeps_the_view_in_its_links_and_live_connection(reviewer: User) -> None:
    html = signed_in(reviewer).get("/?status=waiting&q=compost").content.decode()
    assert 'ws-connect="/ws/dashboard/?status=waiting&amp;q=compost"' in html
    assert '<option value="waiting" selected>Waiting for review</option>' in html
    assert 'value="compost"' in html


@pytest.mark.django_db(transaction=True)
async def test_live_rows_keep_the_filter() -> None:
    user = await database_sync_to_async(make_user)("rita")
    await database_sync_to_async(grant_role)(user, "Reviewers")
    flow = await database_sync_to_async(chain)("f-live", approve)
    headers = await database_sync_to_async(ws_headers)(user)
    async with connected("/ws/dashboard/?status=waiting", headers) as ws:
        await ws.receive_from(timeout=3)
        run = await database_sync_to_async(run_workflow)(flow, {"n": 1})
        arrived = await ws.receive_from(timeout=3)
        while f'id="run-{run.pk}-row"' not in arrived:
            arrived = await ws.receive_from(timeout=3)
        await database_sync_to_async(api.cancel_run)(run.pk)
        gone = await ws.receive_from(timeout=3)
        while 'hx-swap-oob="delete"' not in gone:
            gone = await ws.receive_from(timeout=3)
        assert f'<div id="run-{run.pk}-row" hx-swap-oob="delete"></div>' in gone


def test_the_workflow_filter_lists_each_workflow_once(reviewer: User) -> None:
    flow = chain("f-once", add_one)
    for n in range(3):
        run_workflow(flow, {"n": n})
    assert dashboard.workflow_choices() == [flow.id]
