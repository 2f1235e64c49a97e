"""Brief writers: the ``BriefWriter`` protocol, an OpenAI-compatible implementation, and the
choice between it and the offline writer.

Any server that speaks the chat-completions protocol works (OpenAI, Azure,
vLLM, Ollama, LM Studio...), so the model is a deployment decision, not a code
change. The model is asked for a JSON object rather than Markdown: structured
fields can be validated, shown in a review form and re-rendered by
``render_markdown`` in the same layout whoever wrote them. Tokens are streamed
through ``on_token`` so a reviewer watching the run sees progress immediately.

The brief is written in the page's language: the research starts by naming it.

A revision is the exception to rendering: editors may have changed the brief's
text, and a rendering of fields would lose that. So the model is shown the current
Markdown and asked to return the whole revised text as well (``markdown``), which
becomes the draft's Markdown when it is there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflows.content_brief.errors import ProviderError, retryable_status
from workflows.content_brief.records import BriefDraft, BriefRequest, OutlineSection
from workflows.content_brief.research.language import language_name
from workflows.content_brief.writers.brief_text import BriefText
from workflows.content_brief.writers.markdown import render_markdown
from workflows.content_brief.writers.offline_writer import OFFLINE_MARKERS, OfflineBriefWriter
from workflows.content_brief.writers.wording import wording

__all__ = [
    "BriefWriter",
    "OfflineBriefWriter",
    "OpenAICompatibleWriter",
    "choose_brief_writer",
    "parse_brief_json",
    "render_markdown",
]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"

TokenCallback = Callable[[str], None]


class BriefWriter(Protocol):
    def write_brief(
        self, request: BriefRequest, *, on_token: TokenCallback | None = None
    ) -> BriefDraft: ...

    def revise_brief(
        self,
        request: BriefRequest,
        previous: BriefDraft,
        feedback: str,
        *,
        on_token: TokenCallback | None = None,
    ) -> BriefDraft: ...


# --- prompt ---------------------------------------------------------------------------------

SYSTEM_PROMPT = """\
You are an experienced SEO content strategist writing a content brief for a human writer.
Use only the research you are given; never invent statistics, quotes or URLs.
Reply with one JSON object and nothing else, with exactly these keys:
  "target_keyword": string,
  "search_intent": string (informational, commercial, transactional or navigational, with a
    one-sentence reason),
  "audience": string (who the reader is and what they already know),
  "outline": array of {"heading": string (an H2), "subheadings": array of strings (H3s)},
  "questions_to_answer": array of strings,
  "keywords_to_include": array of strings,
  "competitor_gaps": array of strings (topics competitors cover that the page does not),
  "community_insights": array of strings (what real readers struggle with or ask),
  "word_count_target": integer,
  "sources": array of URLs taken from the research,
  "revision_note": string or null (what changed, when revising),
  "markdown": string or null (when revising: the complete revised brief as Markdown).
"""

REVISION_REQUEST = """\
The brief as it stands now, in Markdown. People may have edited it since you wrote it; \
their edits are deliberate, so keep every line they changed or added unless the feedback \
below asks otherwise:

<current_brief>
{markdown}
</current_brief>

Reviewer feedback:
{feedback}

Return the complete revised brief as the same JSON object. Put the whole revised brief, as \
Markdown, in "markdown": start from the current brief above and change only what the \
feedback asks for. Set revision_note to one or two sentences saying what you changed.\
"""


LANGUAGE_REQUEST = """\
The page is written in {name} (language code "{code}"). Write every part of the brief - \
headings, questions, audience, search intent, notes and any Markdown - in {name}, and keep \
the keywords as the research spells them.\
"""


def _research(request: BriefRequest) -> str:
    """The research as JSON, preceded by the language the brief must be written in."""
    code = request.page.language
    language = LANGUAGE_REQUEST.format(name=language_name(code), code=code)
    return f"{language}\n\nResearch for the brief, as JSON:\n{request.model_dump_json()}"


def _draft_payload(draft: BriefDraft) -> str:
    return draft.model_dump_json(exclude={"markdown", "generator"})


def _revision_request(previous: BriefDraft, feedback: str) -> str:
    """The current text (people's edits included) and the feedback, as the model's task."""
    markdown = previous.markdown.strip() or render_markdown(previous).strip()
    return REVISION_REQUEST.format(markdown=markdown, feedback=feedback)


# --- parsing --------------------------------------------------------------------------------

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class _Payload(BaseModel):
    """What we accept from a model: lenient about shapes models commonly get slightly wrong."""

    model_config = ConfigDict(extra="ignore")

    target_keyword: str | None = None
    search_intent: str = ""
    audience: str = ""
    outline: list[OutlineSection] = Field(default_factory=list)
    questions_to_answer: list[str] = Field(default_factory=list)
    keywords_to_include: list[str] = Field(default_factory=list)
    competitor_gaps: list[str] = Field(default_factory=list)
    community_insights: list[str] = Field(default_factory=list)
    word_count_target: int = 0
    sources: list[str] = Field(default_factory=list)
    revision_note: str | None = None
    markdown: str | None = None

    @field_validator("outline", mode="before")
    @classmethod
    def _sections(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        sections: list[Any] = []
        for item in value:
            if isinstance(item, str):
                sections.append({"heading": item})
            elif isinstance(item, dict):
                heading = item.get("heading") or item.get("h2") or item.get("title") or ""
                subs = item.get("subheadings") or item.get("h3") or item.get("children") or []
                sections.append({"heading": heading, "subheadings": subs})
            else:
                sections.append(item)
        return sections

    @field_validator("word_count_target", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        if isinstance(value, str):
            digits = re.search(r"\d[\d,]*", value)
            return int(digits.group(0).replace(",", "")) if digits else 0
        return value


def _json_object(text: str) -> dict[str, Any] | None:
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def parse_brief_json(
    text: str,
    request: BriefRequest,
    *,
    generator: str,
    previous: BriefDraft | None = None,
) -> BriefDraft:
    """Turn a model's reply into a BriefDraft, filling gaps from the request (or the draft
    being revised) so a partial answer still yields a usable brief.

    When revising, the model's own ``markdown`` is the draft's text if it sent one, as
    that is where people's edits survive; otherwise the fields are rendered.
    """
    data = _json_object(text)
    if data is None:
        raise ProviderError(
            "The language model's answer was not a readable brief (it did not contain a JSON "
            "object). Try again; if it keeps happening, choose a model that supports JSON output."
        )
    try:
        payload = _Payload.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise ProviderError(
            f"The language model's brief had fields in the wrong shape ({fields}). Try again."
        ) from exc
    fallback_sources = [request.url, *(r.url for r in request.search_results)]
    draft = BriefDraft(
        target_keyword=payload.target_keyword or request.target_keyword,
        search_intent=payload.search_intent or (previous.search_intent if previous else ""),
        audience=payload.audience or (previous.audience if previous else ""),
        outline=payload.outline or (previous.outline if previous else []),
        questions_to_answer=payload.questions_to_answer,
        keywords_to_include=payload.keywords_to_include,
        competitor_gaps=payload.competitor_gaps or request.competitor_gaps,
        community_insights=payload.community_insights,
        word_count_target=max(0, payload.word_count_target)
        or (previous.word_count_target if previous else 1500),
        sources=payload.sources or fallback_sources,
        generator=generator,
        revision_note=payload.revision_note if previous else None,
        language=previous.language if previous else request.page.language,
    )
    markdown = payload.markdown if previous is not None else None
    if markdown is None or not markdown.strip():
        return draft.model_copy(update={"markdown": render_markdown(draft)})
    return draft.model_copy(update={"markdown": _headed(markdown, generator, draft.language)})


def _headed(markdown: str, generator: str, language: str) -> str:
    """The model's Markdown with a header naming it as the writer, as rendered briefs have.

    An offline notice carried over from an earlier round would now be false, so it goes.
    """
    text = BriefText(markdown.replace("\r\n", "\n"), wording(language))
    for marker in OFFLINE_MARKERS:
        text.remove_lines_starting(marker)
    text.set_generator(generator)
    return text.markdown()


# --- OpenAI-compatible writer ---------------------------------------------------------------


class OpenAICompatibleWriter:
    """Chat completions with streaming and JSON mode, on any compatible server.

    ``max_retries`` defaults to 0: the workflow engine already retries steps whose
    ``ProviderError`` is ``retryable``, and two retry loops would multiply waits.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        model: str = DEFAULT_MODEL,
        timeout: float = 120.0,
        *,
        max_retries: int = 0,
        temperature: float = 0.4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.temperature = temperature
        # Local servers (Ollama, vLLM) ignore the key, but the client insists on one.
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=max_retries,
        )

    @property
    def generator(self) -> str:
        host = urlsplit(self.base_url).netloc or self.base_url
        return f"{self.model} (LLM via OpenAI-compatible API at {host})"

    def write_brief(
        self, request: BriefRequest, *, on_token: TokenCallback | None = None
    ) -> BriefDraft:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{_research(request)}\n\nWrite the brief."},
        ]
        text = self._complete(messages, on_token)
        return parse_brief_json(text, request, generator=self.generator)

    def revise_brief(
        self,
        request: BriefRequest,
        previous: BriefDraft,
        feedback: str,
        *,
        on_token: TokenCallback | None = None,
    ) -> BriefDraft:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{_research(request)}\n\nWrite the brief."},
            {"role": "assistant", "content": _draft_payload(previous)},
            {"role": "user", "content": _revision_request(previous, feedback)},
        ]
        text = self._complete(messages, on_token)
        return parse_brief_json(text, request, generator=self.generator, previous=previous)

    def _complete(
        self, messages: list[ChatCompletionMessageParam], on_token: TokenCallback | None
    ) -> str:
        parts: list[str] = []
        try:
            stream = self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                stream=True,
                response_format={"type": "json_object"},
                temperature=self.temperature,
            )
            with stream:
                for chunk in stream:
                    if not chunk.choices:
                        continue  # usage-only chunks carry no text
                    delta = chunk.choices[0].delta.content
                    if delta:
                        parts.append(delta)
                        if on_token is not None:
                            on_token(delta)
        except openai.APIError as exc:
            raise self._explain(exc) from exc
        return "".join(parts)

    def _explain(self, exc: openai.APIError) -> ProviderError:
        where = f"the language model service at {self.base_url}"
        if isinstance(exc, openai.APITimeoutError):
            return ProviderError(
                f"{_cap(where)} did not answer within {self.timeout:g} seconds. Try again.",
                retryable=True,
            )
        if isinstance(exc, openai.APIConnectionError):
            return ProviderError(
                f"Could not connect to {where}. Check LLM_BASE_URL and that the service is "
                "running, then try again.",
                retryable=True,
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return ProviderError(
                f"{_cap(where)} rejected the API key. Check LLM_API_KEY.", retryable=False
            )
        if isinstance(exc, openai.NotFoundError):
            return ProviderError(
                f"{_cap(where)} does not know the model '{self.model}' (or the address is "
                "wrong). Check LLM_MODEL and LLM_BASE_URL.",
                retryable=False,
            )
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            retry = retryable_status(status)
            advice = "This is usually temporary; try again." if retry else f"Details: {exc.message}"
            return ProviderError(
                f"{_cap(where)} answered with an error ({status}). {advice}", retryable=retry
            )
        return ProviderError(
            f"{_cap(where)} failed while writing the brief ({exc.message}). Try again.",
            retryable=True,
        )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- choice ---------------------------------------------------------------------------------


def choose_brief_writer(
    *, base_url: str = "", api_key: str = "", model: str = "", timeout: float = 120.0
) -> BriefWriter:
    """An LLM writer when a server address or an API key is given, else the offline writer.

    The values come from settings (workflows/content_brief/conf.py); a key alone
    means OpenAI itself, an address alone a local server that needs no key.
    """
    base_url, api_key = base_url.strip(), api_key.strip()
    if not base_url and not api_key:
        return OfflineBriefWriter()
    return OpenAICompatibleWriter(
        base_url=base_url or DEFAULT_BASE_URL,
        api_key=api_key,
        model=model.strip() or DEFAULT_MODEL,
        timeout=timeout,
    )
