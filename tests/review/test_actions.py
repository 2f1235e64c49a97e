"""The browser's acting views: start, decide, edit; refusals shown in place, nothing changed."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from review.models import DraftRevision
from review.roles import grant_role
from tests.review.conftest import make_user
from tests.review.drafting import drafting_workflow
from workflows.engine import api
from workflows.engine.testing import drain, run_workflow
from workflows.models import RunStatus, Suspension, SuspensionStatus, WorkflowRun

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def person(name: str, role: str | None) -> User:
    user = make_user(name)
    if role:
        grant_role(user, role)
    return user


@pytest.fixture
def waiting() -> tuple[WorkflowRun, Suspension]:
    run = run_workflow(drafting_workflow(), {"topic": "compost"})
    return run, Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)


def decide_url(run: WorkflowRun, question: Suspension) -> str:
    return f"/runs/{run.pk}/questions/{question.pk}/decide"


def draft_url(run: WorkflowRun, question: Suspension, tail: str = "") -> str:
    return f"/runs/{run.pk}/questions/{question.pk}/draft{tail}"


def test_the_start_form_is_generated_from_the_input_schema(reviewer: User) -> None:
    html = signed_in(reviewer).get("/start/content-brief/").content.decode()
    assert '<label for="id_url">URL</label>' in html
    assert 'for="id_topic">Topic <span class="muted">(optional)</span>' in html
    assert ">Start</button>" in html


def test_starting_a_brief_opens_its_run_page(reviewer: User) -> None:
    response = signed_in(reviewer).post(
        "/start/content-brief/", {"url": "https://example.com/a", "topic": ""}
    )
    run = WorkflowRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert run.created_by == reviewer and run.input == {"url": "https://example.com/a", "topic": ""}


def test_bad_start_input_is_shown_on_the_field_and_starts_nothing(reviewer: User) -> None:
    response = signed_in(reviewer).post("/start/content-brief/", {"url": "ftp://x", "topic": ""})
    assert response.status_code == 400
    assert "http:// or https://" in response.content.decode()
    assert not WorkflowRun.objects.exists()


def test_starting_needs_the_start_permission() -> None:
    viewer = person("vera", "Viewers")
    client = signed_in(viewer)
    assert client.get("/start/content-brief/").status_code == 403
    assert client.post("/start/content-brief/", {"url": "https://a.example"}).status_code == 403
    assert "New brief" not in client.get("/").content.decode()
    assert not WorkflowRun.objects.exists()


def test_the_dashboard_offers_new_brief_to_reviewers(reviewer: User) -> None:
    html = signed_in(reviewer).get("/").content.decode()
    assert 'href="/start/content-brief/">New brief</a>' in html


def test_an_unknown_workflow_has_no_start_page(reviewer: User) -> None:
    assert signed_in(reviewer).get("/start/no-such-flow/").status_code == 404


def test_a_decision_from_the_page_resumes_the_step(reviewer: User, waiting) -> None:
    run, question = waiting
    response = signed_in(reviewer).post(
        decide_url(run, question), {"decision": "approve", "revision": "0"}, **HTMX
    )
    assert response.status_code == 200
    assert "Decision recorded" in response.content.decode()
    drain()
    assert api.get_run(run.pk).status == RunStatus.SUCCESS


def test_a_refused_decision_shows_the_error_on_its_field(reviewer: User, waiting) -> None:
    run, question = waiting
    response = signed_in(reviewer).post(
        decide_url(run, question), {"decision": "maybe", "revision": "0"}, **HTMX
    )
    assert response.status_code == 400
    body = json.loads(response["HX-Trigger"])["handoff:error"]
    assert body["code"] == "invalid_resume_data"
    question.refresh_from_db()
    assert question.status == SuspensionStatus.OPEN


def test_a_decision_on_a_stale_draft_shows_the_new_draft(reviewer: User, waiting) -> None:
    run, question = waiting
    editor = person("eddie", "Editors")
    signed_in(editor).post(draft_url(run, question), {"text": "edited!\n", "base_revision": "0"})
    response = signed_in(reviewer).post(
        decide_url(run, question), {"decision": "approve", "revision": "0"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "the draft changed since you saw it" in html and "edited!" in html
    assert f'id="revision-{question.pk}" value="1"' in html
    question.refresh_from_db()
    assert question.status == SuspensionStatus.OPEN


def test_deciding_without_the_permission_is_refused(waiting) -> None:
    run, question = waiting
    viewer = person("vera", "Viewers")
    response = signed_in(viewer).post(
        decide_url(run, question), {"decision": "approve", "revision": "0"}, **HTMX
    )
    assert response.status_code == 403
    assert json.loads(response["HX-Trigger"])["handoff:error"]["code"] == "forbidden"


def test_an_editor_opens_the_draft_and_saves_a_revision(waiting) -> None:
    run, question = waiting
    client = signed_in(person("eddie", "Editors"))
    editor = client.get(draft_url(run, question, "/edit")).content.decode()
    assert f'<label for="draft-text-{question.pk}">Draft</label>' in editor
    assert ">Save</button>" in editor
    saved = client.post(
        draft_url(run, question), {"text": "# compost\n\nMine.\n", "base_revision": "0"}
    )
    assert saved.status_code == 200 and "Saved revision 1." in saved.content.decode()
    assert DraftRevision.objects.get().text == "# compost\n\nMine.\n"


def test_an_editor_saving_over_someone_else_gets_a_conflict_and_their_text(waiting) -> None:
    run, question = waiting
    first, second = signed_in(person("eddie", "Editors")), signed_in(person("erin", "Editors"))
    first.post(draft_url(run, question), {"text": "Eddie's words\n", "base_revision": "0"})
    response = second.post(
        draft_url(run, question), {"text": "Erin's words\n", "base_revision": "0"}
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Revision 1, saved by eddie" in html and "Eddie" in html
    assert "Erin&#x27;s words" in html  # the loser's text is kept in the editor
    assert list(DraftRevision.objects.values_list("text", flat=True)) == ["Eddie's words\n"]


def test_only_editors_may_open_or_save_the_editor(reviewer: User, waiting) -> None:
    run, question = waiting
    client = signed_in(reviewer)
    assert client.get(draft_url(run, question, "/edit")).status_code == 403
    assert (
        client.post(draft_url(run, question), {"text": "x", "base_revision": "0"}).status_code
        == 403
    )
    assert not DraftRevision.objects.exists()


def test_the_preview_renders_markdown_without_any_markup_of_its_own(waiting) -> None:
    run, question = waiting
    client = signed_in(person("eddie", "Editors"))
    html = client.post(
        draft_url(run, question, "/preview"),
        {"text": "# Hi\n\n<script>alert(1)</script> [x](javascript:alert(1)) **b**"},
    ).content.decode()
    assert "<h1>Hi</h1>" in html and "<strong>b</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html


def test_a_revision_can_be_compared_with_the_original(waiting) -> None:
    run, question = waiting
    client = signed_in(person("eddie", "Editors"))
    client.post(draft_url(run, question), {"text": "# compost\n\nNew.\n", "base_revision": "0"})
    html = client.get(draft_url(run, question, "/revisions/1/diff") + "?against=original")
    assert 'class="diff-add">+New.' in html.content.decode()
    assert client.get(draft_url(run, question, "/revisions/9/diff")).status_code == 404


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        ("Viewers", [], ["Approve", "Request changes", "Edit draft", "Reject"]),
        ("Reviewers", ["Approve", "Request changes", "Reject"], ["Edit draft"]),
        ("Editors", ["Edit draft"], ["Approve", "Request changes", "Reject"]),
        ("Admins", ["Approve", "Request changes", "Reject", "Edit draft"], []),
    ],
)
def test_each_role_sees_only_the_controls_it_may_use(
    waiting, role: str, present: list[str], absent: list[str]
) -> None:
    run, _ = waiting
    html = signed_in(person(f"u-{role}", role)).get(f"/runs/{run.pk}/").content.decode()
    for name in present:
        assert f">{name}</button>" in html, name
    for name in absent:
        assert f">{name}</button>" not in html, name


def test_an_editor_sees_approve_once_the_draft_was_edited(waiting) -> None:
    run, question = waiting
    client = signed_in(person("eddie", "Editors"))
    client.post(draft_url(run, question), {"text": "edited\n", "base_revision": "0"})
    html = client.get(f"/runs/{run.pk}/").content.decode()
    assert ">Approve</button>" in html and ">Request changes</button>" not in html


def test_a_question_asked_again_shows_its_reason_above_the_form(reviewer: User) -> None:
    from pydantic import BaseModel

    from tests.workflows.flows import unique
    from workflows.engine import StepContext, Workflow, step

    class Ask(BaseModel):
        problem: str = ""
        options: list[str]

    class Pick(BaseModel):
        option: int

    class Out(BaseModel):
        picked: str

    @step(input=Ask, output=Out, suspend=Ask, resume=Pick)
    def choose(ctx: StepContext[Ask]) -> Out:
        if ctx.resume_data is None:
            ctx.suspend(ctx.input)
        if ctx.resume_data.option >= len(ctx.input.options):
            ctx.suspend(ctx.input.model_copy(update={"problem": "There is no option 7."}))
        return Out(picked=ctx.input.options[ctx.resume_data.option])

    run = run_workflow(Workflow(unique("ask"), input=Ask).then(choose).commit(), {"options": ["a"]})
    question = Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)
    client = signed_in(reviewer)
    client.post(decide_url(run, question), {"option": "7"}, **HTMX)
    drain()
    html = client.get(f"/runs/{run.pk}/").content.decode()
    reason = html.index("There is no option 7.")
    assert reason < html.index('name="option"')
    assert 'class="problem" role="alert"' in html


def test_a_step_whose_answer_is_not_a_model_gets_a_one_field_form(reviewer: User) -> None:
    from tests.workflows.flows import Number, unique
    from workflows.engine import StepContext, Workflow, step

    @step(input=Number, output=Number, resume=int)
    def how_many(ctx: StepContext[Number]) -> Number:
        if ctx.resume_data is None:
            ctx.suspend({"asking": "how many?"})
        return Number(n=ctx.resume_data)

    run = run_workflow(Workflow(unique("scalar"), input=Number).then(how_many).commit(), {"n": 1})
    question = Suspension.objects.get(run=run, status=SuspensionStatus.OPEN)
    client = signed_in(reviewer)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert ">Answer</label>" in page
    refused = client.post(decide_url(run, question), {"answer": '"many"'}, **HTMX)
    assert refused.status_code == 400
    assert client.post(decide_url(run, question), {"answer": "7"}, **HTMX).status_code == 200
    drain()
    assert api.get_run(run.pk).result == {"n": 7}
