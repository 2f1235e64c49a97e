"""Which research providers and brief writer the pipeline uses, from settings.

By default every provider points at the app's own demo corpus (``/demo/``), so
the pipeline runs whole with no internet through the same HTTP code it uses
for a real SearxNG instance and Reddit. Point the settings at real services
to use them; set ``LLM_BASE_URL``/``LLM_API_KEY`` for a language model.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from workflows.content_brief.research.community import CommunityProvider, RedditJsonProvider
from workflows.content_brief.research.search import SearchProvider, SearxSearchProvider
from workflows.content_brief.writers.llm import BriefWriter, brief_writer_from_env


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: frozenset[str]
    timeout: float
    max_bytes: int


def demo_base_url() -> str:
    return str(getattr(settings, "CONTENT_BRIEF_DEMO_BASE_URL", "http://127.0.0.1:8000")).rstrip(
        "/"
    )


def uses_demo_corpus() -> bool:
    """Whether a research provider still reads the app's own demo corpus."""
    return not (
        getattr(settings, "CONTENT_BRIEF_SEARCH_URL", "")
        and getattr(settings, "CONTENT_BRIEF_COMMUNITY_URL", "")
    )


def fetch_policy() -> FetchPolicy:
    """Internal addresses are refused unless listed; the demo's own host only while in use.

    Once real search and discussion services are configured, the demo host is
    an internal address like any other, so it leaves the allow-list.
    """
    listed = set(getattr(settings, "CONTENT_BRIEF_FETCH_ALLOW_HOSTS", []))
    if uses_demo_corpus():
        listed.add(urlsplit(demo_base_url()).netloc)
    return FetchPolicy(
        allow_hosts=frozenset(listed),
        timeout=float(getattr(settings, "CONTENT_BRIEF_FETCH_TIMEOUT", 10)),
        max_bytes=int(getattr(settings, "CONTENT_BRIEF_FETCH_MAX_BYTES", 2_000_000)),
    )


def search_provider() -> SearchProvider:
    base = getattr(settings, "CONTENT_BRIEF_SEARCH_URL", "") or f"{demo_base_url()}/demo"
    return SearxSearchProvider(base, timeout=fetch_policy().timeout)


def community_provider() -> CommunityProvider:
    base = getattr(settings, "CONTENT_BRIEF_COMMUNITY_URL", "") or f"{demo_base_url()}/demo/reddit"
    return RedditJsonProvider(base, timeout=fetch_policy().timeout)


def brief_writer() -> BriefWriter:
    return brief_writer_from_env()
