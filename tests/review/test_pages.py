"""The dashboard and run page: one set of partials, escaped data, a fixed number of queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pydantic import BaseModel

from tests.workflows.flows import Number, add_one, double, unique
from workflows.engine import StepContext, Workflow, step
from workflows.engine.testing import run_workflow

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Html(BaseModel):
    text: str


@step(input=Html, output=Html, suspend=Html, resume=Html)
def shows_untrusted_text(ctx: StepContext[Html]) -> Html:
    if ctx.resume_data is None:
        ctx.suspend(Html(text=ctx.input.text))
    return ctx.input


def test_pages_need_a_signed_in_user(review_flow) -> None:
    run = run_workflow(review_flow, {"n": 1})
    for url in ("/", f"/runs/{run.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_a_reviewer_who_is_not_staff_can_sign_in_and_sign_out(reviewer: User) -> None:
    client = Client()
    assert "Sign in" in client.get("/login/").content.decode()
    response = client.post("/login/", {"username": "rita", "password": "rita", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_run_page_draws_the_pipeline_with_ids_the_stream_swaps(reviewer: User, review_flow) -> None:
    run = run_workflow(review_flow, {"n": 1})
    html = signed_in(reviewer).get(f"/runs/{run.pk}/").content.decode()
    assert f'ws-connect="/ws/runs/{run.pk}/"' in html
    for element in ("header", "pipeline", "events"):
        assert f'id="run-{run.pk}-{element}"' in html
    for row in run.executions.exclude(path_key=""):
        assert f'id="step-{row.pk}"' in html
    assert f'id="planned-{run.pk}-double"' in html  # not started yet
    assert "Waiting for a person" in html
    assert "django_htmx/htmx-2.min.js" in html and "django_htmx/ext/hx-ws-2.min.js" in html


def test_parallel_branches_are_drawn_side_by_side(reviewer: User, fan_flow) -> None:
    run = run_workflow(fan_flow(), {"n": 1})
    html = signed_in(reviewer).get(f"/runs/{run.pk}/").content.decode()
    assert 'class="children layout-side-by-side"' in html
    assert html.count('class="group"') == 3


def test_loop_iterations_are_grouped(reviewer: User) -> None:
    from tests.workflows.flows import add_one

    flow = (
        Workflow(unique("live-loop"), input=Number, output=Number)
        .dowhile(add_one, lambda check: check.output.n < 3, max_iterations=5)
        .commit()
    )
    run = run_workflow(flow, {"n": 0})
    html = signed_in(reviewer).get(f"/runs/{run.pk}/").content.decode()
    assert "round 1" in html and "round 3" in html


def test_untrusted_text_is_escaped(reviewer: User) -> None:
    flow = Workflow(unique("live-escape"), input=Html).then(shows_untrusted_text).commit()
    run = run_workflow(flow, {"text": "<script>alert(1)</script>"})
    html = signed_in(reviewer).get(f"/runs/{run.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_run_the_user_may_not_see_is_404(outsider: User, review_flow) -> None:
    run = run_workflow(review_flow, {"n": 1})
    assert signed_in(outsider).get(f"/runs/{run.pk}/").status_code == 404


def test_dashboard_lists_visible_runs_with_status_and_progress(reviewer: User, review_flow) -> None:
    run = run_workflow(review_flow, {"n": 1})
    html = signed_in(reviewer).get("/").content.decode()
    assert 'ws-connect="/ws/dashboard/"' in html
    assert f'id="run-{run.pk}-row"' in html and "Waiting for review" in html
    assert 'title="1 of 3 steps"' in html


def test_query_counts_do_not_grow_with_the_run(reviewer: User, review_flow) -> None:
    client = signed_in(reviewer)

    def fan(width: int) -> Workflow:
        branches = [
            step(lambda ctx: ctx.input, id=f"w{i}", input=Number, output=Number)
            for i in range(width)
        ]
        return Workflow(unique("live-fan"), input=Number).parallel(branches).commit()

    small = run_workflow(fan(2), {"n": 1})
    client.get("/")  # session and user caches warm

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    page_small, dashboard_small = queries(f"/runs/{small.pk}/"), queries("/")
    for n in range(5):
        run_workflow(review_flow, {"n": n})
    big = run_workflow(fan(12), {"n": 1})
    assert queries(f"/runs/{big.pk}/") == page_small
    assert queries("/") == dashboard_small


def test_with_debug_on_a_refusal_is_still_swapped_in_place(
    reviewer: User, review_flow, settings
) -> None:
    """django-htmx's debug script would replace the whole page with any 4xx answer, so a
    form error in the demo (DEBUG on) showed a bare, unstyled form."""
    settings.DEBUG = True
    run = run_workflow(review_flow, {"n": 1})
    html = signed_in(reviewer).get(f"/runs/{run.pk}/").content.decode()
    assert "django_htmx/htmx-2.min.js" in html
    assert "django-htmx.js" not in html


def test_every_page_has_an_icon_and_the_browser_s_own_request_finds_it(reviewer: User) -> None:
    html = signed_in(reviewer).get("/").content.decode()
    assert '<link rel="icon" href="/static/review/favicon.svg"' in html
    asked = Client().get("/favicon.ico")
    assert (asked.status_code, asked["Location"]) == (301, "/static/review/favicon.svg")


def test_vendored_htmx_and_the_ws_extension_are_static_files() -> None:
    files = ("django_htmx/htmx-2.min.js", "django_htmx/ext/hx-ws-2.min.js", "review/app.css")
    for name in (*files, "review/favicon.svg"):
        assert finders.find(name), name


def test_progress_counts_each_step_once_however_many_rounds(reviewer: User) -> None:
    from review.selectors import run_progress

    flow = (
        Workflow(unique("live-rounds"), input=Number, output=Number)
        .then(add_one)
        .dowhile(add_one.with_id("again"), lambda check: check.output.n < 6, max_iterations=9)
        .then(double)
        .commit()
    )
    run = run_workflow(flow, {"n": 0})
    progress = run_progress(run)
    assert (progress.done, progress.planned) == (3, 3)
    assert run.steps_completed > 3  # the loop ran several rounds


def test_the_demo_has_one_account_per_role_and_shows_passwords_once() -> None:
    from io import StringIO

    from django.core.management import call_command

    first, again = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=again)
    for name, role in (
        ("admin", "Admins"),
        ("reviewer", "Reviewers"),
        ("editor", "Editors"),
        ("viewer", "Viewers"),
    ):
        assert f"{name:<9} ({role}) created; password: {name}" in first.getvalue()
        assert User.objects.get(username=name).groups.filter(name=role).exists()
    assert "password" not in again.getvalue()
