"""The content-brief pipeline, whole, over real HTTP, driven through every human decision.

The app's own demo corpus is served by pytest-django's live server, so the fetch,
search and discussion steps go through the same HTTP code as in production.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.content_brief.conftest import LocalServer
from tests.content_brief.writers.test_llm import BRIEF, StreamingCompletion, split
from workflows.content_brief.demo.pages import page_cases
from workflows.content_brief.workflow import WORKFLOW_ID, content_brief
from workflows.engine import Backoff, api, snapshot
from workflows.engine.errors import InvalidInput, InvalidResumeData
from workflows.engine.testing import drain
from workflows.models import EventType, RunStatus, Suspension, WorkflowRun

ARTICLE = "/demo/articles/composting-at-home-beginners-guide/"


@pytest.fixture
def demo_site(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point every provider at the live server's /demo/, with no LLM configured."""
    settings.CONTENT_BRIEF_DEMO_BASE_URL = live_server.url
    settings.LLM_BASE_URL = settings.LLM_API_KEY = ""
    yield live_server.url


@pytest.fixture
def people(transactional_db: None) -> dict[str, User]:
    return {name: User.objects.create_user(name, password="pw") for name in ("rita", "eddie")}


def advance(run: WorkflowRun) -> WorkflowRun:
    drain(timeout=30)
    run.refresh_from_db()
    return run


def waiting(run: WorkflowRun) -> dict[str, Any]:
    doc = snapshot(run.pk)
    assert doc["status"] == RunStatus.SUSPENDED, doc["error"]
    assert len(doc["suspensions"]) == 1
    return doc["suspensions"][0]


def decide(run: WorkflowRun, path: str, data: dict[str, Any], who: User) -> WorkflowRun:
    question = waiting(run)
    assert question["path"] == [path]
    api.resume_run(run.pk, data, path=path, actor=who, suspension_id=question["suspension_id"])
    return advance(run)


def test_research_runs_in_parallel_and_waits_for_an_angle(demo_site: str, people) -> None:
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    question = waiting(run)
    assert question["path"] == ["angle_review"]
    proposal = question["payload"]
    assert proposal["page_title"].startswith("How to Start Composting at Home")
    assert len(proposal["angles"]) == 3
    assert proposal["suggested_keywords"] and proposal["summary"]
    context = snapshot(run.pk)["context"]
    assert context["outline"]["output"]["outline"]["word_count"] > 300
    assert context["keywords"]["output"]["keywords"]
    assert context["search"]["output"]["results"]
    assert context["community"]["output"]["insights"]["questions"]
    assert context["research"]["kind"] == "parallel"


def test_whole_pipeline_through_every_decision(demo_site: str, people) -> None:
    rita, eddie = people["rita"], people["eddie"]
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}, actor=rita))
    run = decide(run, "angle_review", {"option": 1, "note": "gaps matter most"}, rita)
    first = waiting(run)
    assert first["path"] == ["brief_review"] and first["iteration"] == 1
    assert first["payload"]["generator"].startswith("Offline template generator")
    assert "not written by an LLM" in first["payload"]["draft"]["markdown"]
    tokens = run.events.filter(type=EventType.STEP_OUTPUT, path_key="draft")
    assert tokens.exists() and all(e.data["type"] == "token" for e in tokens)

    unchanged = first["payload"]["draft"]["markdown"]  # the review page sends the text back
    run = decide(
        run,
        "brief_review",
        {
            "decision": "request_changes",
            "feedback": "Add a section on compost tea",
            "edited_markdown": unchanged,
        },
        rita,
    )
    round_one = run.executions.get(path_key="brief_review", iteration=1)
    assert round_one.output["edited_by_people"] is False  # the same text is no edit
    second = waiting(run)["payload"]
    assert second["round"] == 2
    assert any("compost tea" in s["heading"].lower() for s in second["draft"]["outline"])
    assert second["revision_note"]

    run = decide(
        run,
        "brief_review",
        {"decision": "request_changes", "feedback": "Make it shorter"},
        rita,
    )
    third = waiting(run)["payload"]
    assert third["round"] == 3
    assert third["draft"]["word_count_target"] < second["draft"]["word_count_target"]

    edited = third["draft"]["markdown"] + "\n\nEditor's note: link our compost tea guide.\n"
    run = decide(
        run,
        "brief_review",
        {"decision": "approve", "edited_markdown": edited},
        eddie,
    )
    assert run.status == RunStatus.SUCCESS, run.error
    brief = run.result
    assert brief["status"] == "approved" and brief["rounds"] == 3
    assert brief["edited_by_people"] is True
    assert brief["markdown"] == edited
    assert brief["angle"].startswith("What other guides miss: ")

    rounds = run.executions.filter(path_key="brief_review").order_by("iteration")
    assert [r.iteration for r in rounds] == [1, 2, 3]
    assert [r.resume_data["decision"] for r in rounds] == [
        "request_changes",
        "request_changes",
        "approve",
    ]
    assert rounds[0].input["draft"]["generator"] == first["payload"]["generator"]
    answered = Suspension.objects.filter(run=run).order_by("created_at")
    assert [(s.path_key, s.resumed_by.username) for s in answered] == [
        ("angle_review", "rita"),
        ("brief_review", "rita"),
        ("brief_review", "rita"),
        ("brief_review", "eddie"),
    ]
    resumed = run.events.filter(type=EventType.STEP_RESUMED).order_by("id")
    assert [e.actor.username for e in resumed] == ["rita", "rita", "rita", "eddie"]
    assert resumed[1].data["resume_data"]["feedback"] == "Add a section on compost tea"
    assert run.state == {
        "subject": brief["page_title"],
        "angle": brief["angle"],
        "target_keyword": brief["target_keyword"],
    }
    assert brief["page_title"].startswith("How to Start Composting at Home")


def test_rejecting_the_brief_ends_the_run_as_rejected(demo_site: str, people) -> None:
    rita = people["rita"]
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    run = decide(
        run,
        "angle_review",
        {"custom_angle": "Composting in a flat", "target_keyword": "apartment composting"},
        rita,
    )
    run = decide(run, "brief_review", {"decision": "reject", "reason": "Not our audience"}, rita)
    assert run.status == RunStatus.SUCCESS and run.bailed
    assert run.result == {
        "status": "rejected",
        "url": demo_site + ARTICLE,
        "round": 1,
        "reason": "Not our audience",
    }
    assert not run.executions.filter(path_key="finalise").exists()
    assert run.state["angle"] == "Composting in a flat"


def test_unclear_decisions_are_refused_with_the_field(demo_site: str, people) -> None:
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    with pytest.raises(InvalidResumeData, match="choose a suggested angle"):
        api.resume_run(run.pk, {}, path="angle_review")
    with pytest.raises(InvalidResumeData, match="at most 300 characters"):
        api.resume_run(run.pk, {"custom_angle": "x" * 301}, path="angle_review")
    run = decide(run, "angle_review", {"option": 0}, people["rita"])
    with pytest.raises(InvalidResumeData, match="say what should change"):
        api.resume_run(run.pk, {"decision": "request_changes"}, path="brief_review")
    with pytest.raises(InvalidResumeData, match="say why the brief is rejected"):
        api.resume_run(run.pk, {"decision": "reject"}, path="brief_review")
    with pytest.raises(InvalidResumeData, match="a rejected brief keeps no edits"):
        api.resume_run(
            run.pk,
            {"decision": "reject", "reason": "no", "edited_markdown": "# Mine"},
            path="brief_review",
        )
    with pytest.raises(InvalidResumeData, match="at most 4000 characters"):
        api.resume_run(
            run.pk, {"decision": "request_changes", "feedback": "x" * 4001}, path="brief_review"
        )
    assert waiting(run)["iteration"] == 1


@pytest.mark.parametrize(
    ("angle", "expected"),
    [
        ("A compost bin for a small flat", "compost bin"),  # shares two words; "compost" one
        ("Knitting for cats", None),  # shares none: the first suggested angle's keyword
    ],
)
def test_a_custom_angle_without_a_keyword_gets_one_from_the_research(
    demo_site: str, people, angle: str, expected: str | None
) -> None:
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    proposal = waiting(run)["payload"]
    run = decide(run, "angle_review", {"custom_angle": angle}, people["rita"])
    keyword = expected or proposal["angles"][0]["target_keyword"]
    assert keyword
    assert run.state["target_keyword"] == keyword
    chosen = run.executions.get(path_key="angle_review").output
    assert (chosen["angle"], chosen["target_keyword"]) == (angle, keyword)
    assert waiting(run)["payload"]["draft"]["target_keyword"] == keyword


EDITOR_LINE = "Editor's line: keep this"


def test_an_editor_s_line_survives_revisions_and_approval(demo_site: str, people) -> None:
    rita, eddie = people["rita"], people["eddie"]
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    run = decide(run, "angle_review", {"option": 0}, rita)
    written = waiting(run)["payload"]["draft"]["markdown"]
    # The draft already has a "Worm bin" section, which the writer would not add twice; the
    # editor rewrote it away, so the text - not the writer's own fields - must decide.
    worm_bin = re.search(r"^### Worm bin\n(?:- .*\n)*\n", written, re.M)
    assert worm_bin is not None
    edited = written.replace(worm_bin.group(0), "").replace(
        "## Outline\n", f"## Outline\n\n{EDITOR_LINE}\n"
    )
    changes = {"decision": "request_changes", "feedback": "add a section on worm bins"}
    run = decide(run, "brief_review", {**changes, "edited_markdown": edited}, eddie)
    assert run.executions.get(path_key="brief_review", iteration=1).output["edited_by_people"]

    second = waiting(run)["payload"]
    assert second["round"] == 2
    assert EDITOR_LINE in second["draft"]["markdown"]
    assert "### Worm bins" in second["draft"]["markdown"]
    assert "Offline draft" in second["draft"]["markdown"].splitlines()[0]

    shorter = {"decision": "request_changes", "feedback": "shorter"}
    run = decide(
        run, "brief_review", {**shorter, "edited_markdown": second["draft"]["markdown"]}, rita
    )
    third = waiting(run)["payload"]
    assert third["round"] == 3
    assert EDITOR_LINE in third["draft"]["markdown"]
    assert "### Worm bins" in third["draft"]["markdown"]
    assert third["draft"]["word_count_target"] < second["draft"]["word_count_target"]
    tokens = run.events.filter(
        type=EventType.STEP_OUTPUT, path_key="brief_review", data__data__round=3
    ).order_by("id")
    assert "".join(e.data["data"]["text"] for e in tokens) == third["draft"]["markdown"]

    final_text = third["draft"]["markdown"]
    run = decide(run, "brief_review", {"decision": "approve", "edited_markdown": final_text}, rita)
    assert run.status == RunStatus.SUCCESS, run.error
    assert EDITOR_LINE in run.result["markdown"]
    assert run.result["markdown"] == final_text
    assert run.result["edited_by_people"] is True
    assert run.result["rounds"] == 3


def test_a_page_without_a_title_is_named_by_its_final_address(
    demo_site: str, people, local_server: LocalServer, settings: Any
) -> None:
    settings.CONTENT_BRIEF_FETCH_ALLOW_HOSTS = [local_server.netloc]
    body = "<html><body><p>" + "Bokashi ferments scraps. " * 40
    local_server.add("/untitled", body + "</p></body></html>")
    local_server.add("/old", "", status=302, headers={"Location": "/untitled"})
    run = advance(api.start_run(WORKFLOW_ID, {"url": local_server.url("/old")}))
    assert waiting(run)["path"] == ["angle_review"]
    assert run.state == {"subject": local_server.url("/untitled")}


def test_an_angle_that_does_not_exist_is_asked_again(demo_site: str, people) -> None:
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    run = decide(run, "angle_review", {"option": 7}, people["rita"])
    again = waiting(run)
    assert again["path"] == ["angle_review"]
    assert "There is no option 7" in again["payload"]["problem"]


def test_a_private_address_is_refused_without_retrying(demo_site: str, people) -> None:
    run = advance(api.start_run(WORKFLOW_ID, {"url": "http://10.0.0.1/admin"}))
    assert run.status == RunStatus.FAILED
    row = run.executions.get(path_key="outline")
    assert row.attempts == 1
    assert row.error["type"] == "BlockedAddress"
    assert "10.0.0.1" in run.error["message"]


def test_a_bad_url_is_refused_before_the_run_starts(db: None) -> None:
    with pytest.raises(InvalidInput, match="must be a web address"):
        api.start_run(WORKFLOW_ID, {"url": "ftp://example.com/file"})


def test_an_llm_writes_the_draft_and_its_tokens_stream(
    demo_site: str, people, local_server: LocalServer, settings: Any
) -> None:
    settings.LLM_BASE_URL = local_server.url("/v1")
    settings.LLM_MODEL = "fake-model"
    reply = json.dumps(BRIEF)
    local_server.add_handler("/v1/chat/completions", StreamingCompletion(split(reply, 12)))
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    run = decide(run, "angle_review", {"option": 0}, people["rita"])
    draft = waiting(run)["payload"]["draft"]
    assert draft["generator"].startswith("fake-model (LLM")
    assert draft["target_keyword"] == BRIEF["target_keyword"]
    streamed = "".join(
        e.data["data"]["text"]
        for e in run.events.filter(type=EventType.STEP_OUTPUT, path_key="draft").order_by("id")
    )
    assert streamed == reply
    prompt = local_server.requests[-1].json()
    assert "composting" in prompt["messages"][1]["content"].lower()


def test_llm_failures_are_retried_then_fail_and_an_admin_retry_keeps_the_angle(
    demo_site: str,
    people,
    local_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.LLM_BASE_URL = local_server.url("/v1")
    node = content_brief.node("draft")
    fast = dataclasses.replace(node.step, backoff=Backoff(initial=0.01, factor=1, maximum=0.01))
    monkeypatch.setattr(node, "step", fast)
    local_server.add_json("/v1/chat/completions", {"error": {"message": "overloaded"}}, status=503)
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + ARTICLE}))
    run = decide(run, "angle_review", {"option": 2}, people["rita"])
    assert run.status == RunStatus.FAILED
    failed = run.executions.get(path_key="draft")
    assert failed.attempts == 4
    assert "answered with an error (503)" in run.error["message"]

    local_server.add_handler(
        "/v1/chat/completions", StreamingCompletion(split(json.dumps(BRIEF), 3))
    )
    api.retry_step(run.pk, "draft", actor=people["eddie"])
    run = advance(run)
    assert waiting(run)["path"] == ["brief_review"]
    angle = run.executions.get(path_key="angle_review")
    assert angle.attempts == 2 and angle.resume_data == {
        "option": 2,
        "custom_angle": "",
        "target_keyword": "",
        "note": "",
    }
    assert run.events.filter(type=EventType.STEP_RESUMED, path_key="angle_review").count() == 1


@pytest.mark.parametrize("case", page_cases(), ids=lambda case: case.slug)
def test_the_pipeline_completes_on_every_realistic_page(demo_site: str, people, case) -> None:
    run = advance(api.start_run(WORKFLOW_ID, {"url": demo_site + case.path}))
    proposal = waiting(run)["payload"]
    assert proposal["language"] == case.language
    assert proposal["page_title"] == case.headings[0][1]
    run = decide(run, "angle_review", {"option": 0}, people["rita"])
    draft = waiting(run)["payload"]["draft"]
    assert draft["language"] == case.language
    run = decide(run, "brief_review", {"decision": "approve"}, people["rita"])
    assert run.status == RunStatus.SUCCESS, run.error
    assert run.result["page_title"] == case.headings[0][1]
