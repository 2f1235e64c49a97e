"""The page fetcher's allow-list follows which research providers are in use."""

from __future__ import annotations

from workflows.content_brief import providers


def test_the_demo_host_is_allowed_while_the_demo_corpus_is_in_use(settings) -> None:
    settings.CONTENT_BRIEF_DEMO_BASE_URL = "http://127.0.0.1:8000"
    settings.CONTENT_BRIEF_SEARCH_URL = ""
    settings.CONTENT_BRIEF_COMMUNITY_URL = ""
    assert "127.0.0.1:8000" in providers.fetch_policy().allow_hosts


def test_the_demo_host_leaves_the_allow_list_once_real_providers_are_set(settings) -> None:
    settings.CONTENT_BRIEF_DEMO_BASE_URL = "http://127.0.0.1:8000"
    settings.CONTENT_BRIEF_SEARCH_URL = "https://search.example"
    settings.CONTENT_BRIEF_COMMUNITY_URL = "https://forum.example"
    settings.CONTENT_BRIEF_FETCH_ALLOW_HOSTS = ["intranet.example"]
    assert providers.fetch_policy().allow_hosts == frozenset({"intranet.example"})
