"""The OpenAI-compatible writer against a local server speaking the chat-completions
protocol, streaming included (Server-Sent Events, ``data: [DONE]`` at the end)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.content_brief.conftest import LocalServer, Recorded
from workflows.content_brief import providers
from workflows.content_brief.errors import ProviderError
from workflows.content_brief.records import BriefDraft, BriefRequest
from workflows.content_brief.writers.llm import (
    BriefWriter,
    OfflineBriefWriter,
    OpenAICompatibleWriter,
    parse_brief_json,
    render_markdown,
)
from workflows.content_brief.writers.offline_writer import OFFLINE_NOTICE

BRIEF = {
    "target_keyword": "composting at home",
    "search_intent": "Informational - beginners want a method they can follow.",
    "audience": "First-time composters with a small garden.",
    "outline": [
        {"heading": "Why compost at home", "subheadings": ["What compost does for soil"]},
        {"heading": "Bokashi for food waste", "subheadings": []},
    ],
    "questions_to_answer": ["How do I know when compost is finished?"],
    "keywords_to_include": ["compost bin", "greens and browns"],
    "competitor_gaps": ["bokashi"],
    "community_insights": ["Readers find the greens-to-browns ratio confusing."],
    "word_count_target": 1800,
    "sources": ["https://urbanleaf.example/apartment-composting"],
    "revision_note": None,
}


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    event = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(event)}\n\n".encode()


class StreamingCompletion:
    """Streams ``pieces`` as content deltas. With ``first_seen`` it waits after the first
    piece until the client reports it, proving tokens are delivered as they arrive."""

    def __init__(self, pieces: list[str], first_seen: threading.Event | None = None) -> None:
        self.pieces = pieces
        self.first_seen = first_seen
        self.waited: list[bool] = []

    def __call__(self, handler: BaseHTTPRequestHandler, _request: Recorded) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        handler.wfile.write(_chunk({"role": "assistant", "content": ""}))
        for i, piece in enumerate(self.pieces):
            handler.wfile.write(_chunk({"content": piece}))
            handler.wfile.flush()
            if i == 0 and self.first_seen is not None:
                self.waited.append(self.first_seen.wait(timeout=3))
        handler.wfile.write(_chunk({}, finish="stop"))
        handler.wfile.write(b"data: [DONE]\n\n")


def split(text: str, parts: int) -> list[str]:
    size = -(-len(text) // parts)
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.fixture
def writer(local_server: LocalServer) -> OpenAICompatibleWriter:
    return OpenAICompatibleWriter(
        base_url=local_server.url("/v1"), api_key="test-key", model="fake-model", timeout=5
    )


def test_streams_tokens_in_order_and_parses_the_draft(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    reply = "```json\n" + json.dumps(BRIEF, indent=2) + "\n```"
    pieces = split(reply, 9)
    first_seen = threading.Event()
    handler = StreamingCompletion(pieces, first_seen)
    local_server.add_handler("/v1/chat/completions", handler)
    tokens: list[str] = []

    def on_token(token: str) -> None:
        tokens.append(token)
        first_seen.set()

    draft = writer.write_brief(demo_request, on_token=on_token)

    assert tokens == pieces
    assert handler.waited == [True]
    assert draft.target_keyword == "composting at home"
    assert draft.outline[1].heading == "Bokashi for food waste"
    assert draft.word_count_target == 1800
    assert draft.sources == ["https://urbanleaf.example/apartment-composting"]
    assert "fake-model" in draft.generator and "LLM" in draft.generator
    assert draft.markdown == render_markdown(draft)
    assert draft.revision_note is None

    sent = local_server.requests[0]
    assert sent.method == "POST"
    assert sent.headers["authorization"] == "Bearer test-key"
    body = sent.json()
    assert body["model"] == "fake-model"
    assert body["stream"] is True
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "JSON" in body["messages"][0]["content"]
    assert "composting at home" in body["messages"][1]["content"]


def test_revision_sends_previous_draft_and_feedback(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    previous = parse_brief_json(json.dumps(BRIEF), demo_request, generator="earlier")
    revised = {**BRIEF, "word_count_target": "about 1,200 words", "revision_note": "Shortened."}
    local_server.add_handler(
        "/v1/chat/completions", StreamingCompletion(split(json.dumps(revised), 4))
    )
    draft = writer.revise_brief(demo_request, previous, "Make it shorter, please.")
    assert draft.word_count_target == 1200
    assert draft.revision_note == "Shortened."
    messages = local_server.requests[0].json()["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert json.loads(messages[2]["content"])["word_count_target"] == 1800
    assert "Make it shorter, please." in messages[3]["content"]
    assert previous.markdown.strip() in messages[3]["content"]
    assert draft.markdown == render_markdown(draft)  # no markdown in the reply: rendered


EDITED_LINE = "Editor's line: keep this"


def test_revision_works_on_the_edited_text_and_keeps_the_model_s_markdown(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    written = parse_brief_json(json.dumps(BRIEF), demo_request, generator="earlier-model")
    edited_text = written.markdown.replace("## Outline\n", f"## Outline\n\n{EDITED_LINE}\n")
    previous = written.model_copy(update={"markdown": edited_text})
    model_text = (
        edited_text.replace("> Generated by: earlier-model\n", "> Generated by: whoever\n")
        + "\n### Bokashi in a flat\n"
    )
    revised = {**BRIEF, "revision_note": "Added bokashi.", "markdown": model_text}
    local_server.add_handler(
        "/v1/chat/completions", StreamingCompletion(split(json.dumps(revised), 5))
    )

    draft = writer.revise_brief(demo_request, previous, "Add a section on bokashi in a flat")

    body = local_server.requests[0].json()
    assert '"markdown"' in body["messages"][0]["content"]
    request = body["messages"][3]["content"]
    assert edited_text.strip() in request
    assert "Add a section on bokashi in a flat" in request
    assert '"markdown"' in request and "keep every line they changed or added" in request
    assert draft.markdown.startswith("> Generated by: fake-model (LLM")
    assert draft.markdown.count("> Generated by:") == 1
    assert EDITED_LINE in draft.markdown and "### Bokashi in a flat" in draft.markdown
    assert draft.markdown == model_text.replace(
        "> Generated by: whoever", f"> Generated by: {writer.generator}"
    )
    assert draft.revision_note == "Added bokashi."


def test_an_empty_markdown_in_the_reply_falls_back_to_rendering(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    previous = parse_brief_json(json.dumps(BRIEF), demo_request, generator="earlier")
    local_server.add_handler(
        "/v1/chat/completions",
        StreamingCompletion([json.dumps({**BRIEF, "markdown": "  \n", "revision_note": "ok"})]),
    )
    draft = writer.revise_brief(demo_request, previous, "Shorter")
    assert draft.markdown == render_markdown(draft)


def test_a_first_draft_is_always_rendered_from_its_fields(demo_request: BriefRequest) -> None:
    reply = json.dumps({**BRIEF, "markdown": "# Something else entirely\n"})
    draft = parse_brief_json(reply, demo_request, generator="g")
    assert draft.markdown == render_markdown(draft)


def test_an_offline_notice_carried_into_a_model_s_revision_is_dropped(
    demo_request: BriefRequest,
) -> None:
    previous = parse_brief_json(json.dumps(BRIEF), demo_request, generator="earlier")
    text = f"{OFFLINE_NOTICE}\n\n> Generated by: offline\n\n# Brief\n\n{EDITED_LINE}\n"
    reply = json.dumps({**BRIEF, "markdown": text})
    draft = parse_brief_json(reply, demo_request, generator="m (LLM)", previous=previous)
    assert draft.markdown == f"> Generated by: m (LLM)\n\n# Brief\n\n{EDITED_LINE}\n"


def test_server_error_is_retryable(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    error = {"error": {"message": "overloaded", "type": "server_error"}}
    local_server.add("/v1/chat/completions", json.dumps(error), status=500,
                     content_type="application/json")  # fmt: skip
    with pytest.raises(ProviderError) as caught:
        writer.write_brief(demo_request)
    assert caught.value.retryable is True
    assert "500" in caught.value.message
    assert len(local_server.requests) == 1  # no hidden client-side retries


def test_bad_key_is_not_retryable(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    error = {"error": {"message": "invalid api key", "type": "invalid_request_error"}}
    local_server.add("/v1/chat/completions", json.dumps(error), status=401,
                     content_type="application/json")  # fmt: skip
    with pytest.raises(ProviderError, match="LLM_API_KEY") as caught:
        writer.write_brief(demo_request)
    assert caught.value.retryable is False


def test_unparseable_reply_is_a_clear_error(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    local_server.add_handler(
        "/v1/chat/completions", StreamingCompletion(["Sure! Here is ", "your brief: ..."])
    )
    with pytest.raises(ProviderError, match="not a readable brief") as caught:
        writer.write_brief(demo_request)
    assert caught.value.retryable is False


def test_unreachable_server_is_retryable(closed_port: int, demo_request: BriefRequest) -> None:
    writer = OpenAICompatibleWriter(f"http://127.0.0.1:{closed_port}/v1", "k", "m", timeout=2)
    with pytest.raises(ProviderError, match="Could not connect") as caught:
        writer.write_brief(demo_request)
    assert caught.value.retryable is True


def test_parse_tolerates_common_model_mistakes(demo_request: BriefRequest) -> None:
    reply = (
        "Here you go:\n"
        + json.dumps(
            {
                "search_intent": "Informational",
                "outline": ["Plain string heading", {"h2": "Alt keys", "h3": ["Sub"]}],
                "word_count_target": "1500-1800 words",
            }
        )
        + "\nHope this helps!"
    )
    draft = parse_brief_json(reply, demo_request, generator="g")
    assert [s.heading for s in draft.outline] == ["Plain string heading", "Alt keys"]
    assert draft.outline[1].subheadings == ["Sub"]
    assert draft.word_count_target == 1500
    assert draft.target_keyword == demo_request.target_keyword  # filled from the request
    assert draft.sources[0] == demo_request.url
    assert draft.competitor_gaps == demo_request.competitor_gaps


def test_parse_rejects_wrong_shapes(demo_request: BriefRequest) -> None:
    with pytest.raises(ProviderError, match="wrong shape"):
        parse_brief_json('{"outline": 5}', demo_request, generator="g")
    with pytest.raises(ProviderError, match="not a readable brief"):
        parse_brief_json("[1, 2, 3]", demo_request, generator="g")


def test_render_markdown_layout() -> None:
    draft = BriefDraft(**{**BRIEF, "generator": "unit test", "revision_note": "Tightened."})
    markdown = render_markdown(draft)
    assert markdown.startswith("> Generated by: unit test\n\n# Content brief: composting at home")
    assert "- **Revision note:** Tightened." in markdown
    assert "### Bokashi for food waste" in markdown
    assert "1. How do I know when compost is finished?" in markdown
    assert "about 1,800 words" in markdown
    assert "\n\n\n" not in markdown


def test_writer_choice_follows_the_llm_settings(settings: Any) -> None:
    settings.LLM_BASE_URL = settings.LLM_API_KEY = None
    assert isinstance(providers.brief_writer(), OfflineBriefWriter)
    settings.LLM_BASE_URL = " "
    assert isinstance(providers.brief_writer(), OfflineBriefWriter)

    settings.LLM_BASE_URL = "http://127.0.0.1:11434/v1"
    local: BriefWriter = providers.brief_writer()
    assert isinstance(local, OpenAICompatibleWriter)
    assert local.model == "gpt-4o-mini"
    assert local.base_url == "http://127.0.0.1:11434/v1"

    settings.LLM_BASE_URL = ""
    settings.LLM_API_KEY, settings.LLM_MODEL, settings.LLM_TIMEOUT = "sk-x", "m", 9
    hosted = providers.brief_writer()
    assert isinstance(hosted, OpenAICompatibleWriter)
    assert hosted.base_url == "https://api.openai.com/v1"
    assert (hosted.model, hosted.timeout) == ("m", 9.0)


def test_the_prompt_asks_for_the_page_s_language_and_the_draft_keeps_it(
    local_server: LocalServer, writer: OpenAICompatibleWriter, demo_request: BriefRequest
) -> None:
    page = demo_request.page.model_copy(update={"language": "es"})
    request = demo_request.model_copy(update={"page": page})
    local_server.add_handler("/v1/chat/completions", StreamingCompletion([json.dumps(BRIEF)]))
    draft = writer.write_brief(request)
    prompt = local_server.requests[0].json()["messages"][1]["content"]
    assert prompt.startswith('The page is written in Spanish (language code "es").')
    assert draft.language == "es"
    assert draft.markdown.startswith("> Generado por: fake-model")
    assert "## Estructura" in draft.markdown
