"""Which research providers and brief writer the pipeline uses, from settings.

By default every provider points at the app's own demo corpus (``/demo/``), so
the pipeline runs whole with no internet through the same HTTP code it uses
for a real SearxNG instance and Reddit. Point the settings at real services
to use them; set ``LLM_BASE_URL``/``LLM_API_KEY`` for a language model. Every value
is read through workflows/content_brief/conf.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from workflows.content_brief import conf
from workflows.content_brief.research.community import CommunityProvider, RedditJsonProvider
from workflows.content_brief.research.search import SearchProvider, SearxSearchProvider
from workflows.content_brief.writers.llm import BriefWriter, choose_brief_writer


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: frozenset[str]
    timeout: float
    max_bytes: int


def demo_base_url() -> str:
    return conf.DEMO_BASE_URL.get().rstrip("/")


def uses_demo_corpus() -> bool:
    """Whether a research provider still reads the app's own demo corpus."""
    return not (conf.SEARCH_URL.get() and conf.COMMUNITY_URL.get())


def fetch_policy() -> FetchPolicy:
    """Internal addresses are refused unless listed; the demo's own host only while in use.

    Once real search and discussion services are configured, the demo host is
    an internal address like any other, so it leaves the allow-list.
    """
    listed = set(conf.FETCH_ALLOW_HOSTS.get())
    if uses_demo_corpus():
        listed.add(urlsplit(demo_base_url()).netloc)
    return FetchPolicy(
        allow_hosts=frozenset(listed),
        timeout=conf.FETCH_TIMEOUT.get(),
        max_bytes=conf.FETCH_MAX_BYTES.get(),
    )


def search_provider() -> SearchProvider:
    base = conf.SEARCH_URL.get() or f"{demo_base_url()}/demo"
    return SearxSearchProvider(base, timeout=fetch_policy().timeout)


def community_provider() -> CommunityProvider:
    base = conf.COMMUNITY_URL.get() or f"{demo_base_url()}/demo/reddit"
    return RedditJsonProvider(base, timeout=fetch_policy().timeout)


def brief_writer() -> BriefWriter:
    """An LLM writer when ``LLM_BASE_URL`` or ``LLM_API_KEY`` is set, else the offline one."""
    return choose_brief_writer(
        base_url=conf.LLM_BASE_URL.get(),
        api_key=conf.LLM_API_KEY.get(),
        model=conf.LLM_MODEL.get(),
        timeout=conf.LLM_TIMEOUT.get(),
    )
