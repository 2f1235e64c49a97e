"""The content-brief pipeline's settings, declared like the engine's (workflows/engine/conf.py).

With nothing set, every provider is the app's own demo corpus and the brief is
written offline. ``LLM_API_KEY`` has no default and is only ever read from the
environment (docs/deploy.md, "Security").
"""

from __future__ import annotations

from typing import Any

from workflows.engine.conf import Setting

DEMO_BASE_URL: Setting[str] = Setting(
    "CONTENT_BRIEF_DEMO_BASE_URL",
    "url",
    "http://127.0.0.1:8000",
    "where the app serves its demo corpus (/demo/)",
)
SEARCH_URL: Setting[str] = Setting(
    "CONTENT_BRIEF_SEARCH_URL", "url", "", "a SearxNG-compatible search service"
)
COMMUNITY_URL: Setting[str] = Setting(
    "CONTENT_BRIEF_COMMUNITY_URL", "url", "", "a Reddit-compatible discussion service"
)
FETCH_ALLOW_HOSTS: Setting[list[str]] = Setting(
    "CONTENT_BRIEF_FETCH_ALLOW_HOSTS", "list", [], "internal hosts the page fetcher may reach"
)
FETCH_TIMEOUT: Setting[float] = Setting(
    "CONTENT_BRIEF_FETCH_TIMEOUT",
    "float",
    10.0,
    "seconds the fetcher and providers wait for an answer",
    minimum=0.1,
)
FETCH_MAX_BYTES: Setting[int] = Setting(
    "CONTENT_BRIEF_FETCH_MAX_BYTES",
    "int",
    2_000_000,
    "the most of one page the fetcher reads",
    minimum=1,
)
LLM_BASE_URL: Setting[str] = Setting(
    "LLM_BASE_URL", "url", "", "an OpenAI-compatible server (OpenAI itself with only a key)"
)
LLM_API_KEY: Setting[str] = Setting("LLM_API_KEY", "secret", "", "the model server's API key")
LLM_MODEL: Setting[str] = Setting("LLM_MODEL", "str", "gpt-4o-mini", "the model that writes")
LLM_TIMEOUT: Setting[float] = Setting(
    "LLM_TIMEOUT", "float", 120.0, "seconds one model call may take", minimum=1
)

SETTINGS: tuple[Setting[Any], ...] = (
    DEMO_BASE_URL,
    SEARCH_URL,
    COMMUNITY_URL,
    FETCH_ALLOW_HOSTS,
    FETCH_TIMEOUT,
    FETCH_MAX_BYTES,
    LLM_BASE_URL,
    LLM_API_KEY,
    LLM_MODEL,
    LLM_TIMEOUT,
)
