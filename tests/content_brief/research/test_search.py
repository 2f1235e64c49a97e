from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.content_brief.conftest import LocalServer, Recorded, reply_json
from workflows.content_brief.demo import corpus
from workflows.content_brief.errors import ProviderError
from workflows.content_brief.records import PageOutline, SearchResult
from workflows.content_brief.research.search import (
    SearchProvider,
    SearxSearchProvider,
    competitor_gaps,
)


def serve_demo_search(server: LocalServer) -> None:
    """The demo corpus behind a SearxNG-shaped endpoint, as the app will serve it."""

    def respond(handler: BaseHTTPRequestHandler, request: Recorded) -> None:
        if request.query.get("format") != ["json"]:
            handler.send_error(403)  # what SearxNG does when the format is not enabled
            return
        reply_json(handler, corpus.search_json(request.query["q"][0], 20))

    server.add_handler("/searx/search", respond)


def test_searx_provider_reads_the_demo_index(local_server: LocalServer) -> None:
    serve_demo_search(local_server)
    provider: SearchProvider = SearxSearchProvider(local_server.url("/searx/"), timeout=5)
    results = provider.search("bokashi apartment composting", limit=3)
    assert len(results) == 3
    assert all(isinstance(r, SearchResult) for r in results)
    assert "Bokashi" in results[0].title or "Apartment" in results[0].title
    assert results[0].url.startswith("https://")
    assert results[0].snippet and results[0].engine
    sent = local_server.requests[0]
    assert sent.path == "/searx/search"
    assert sent.query == {"q": ["bokashi apartment composting"], "format": ["json"]}


def test_searx_provider_uses_a_given_client(local_server: LocalServer) -> None:
    serve_demo_search(local_server)
    with httpx.Client(headers={"X-Test": "yes"}) as client:
        provider = SearxSearchProvider(local_server.base_url + "/searx", client=client)
        assert provider.search("compost tumbler", limit=2)
    assert local_server.requests[0].headers["x-test"] == "yes"


def test_results_are_deduplicated_and_tolerate_missing_fields(local_server: LocalServer) -> None:
    local_server.add_json(
        "/search",
        {
            "query": "q",
            "results": [
                {"url": "https://a.example/1", "title": "  A \n title ", "content": None},
                {"url": "https://a.example/1", "title": "duplicate"},
                {"title": "no url"},
                "garbage",
            ],
        },
    )
    results = SearxSearchProvider(local_server.base_url).search("q")
    assert results == [SearchResult(title="A title", url="https://a.example/1", snippet="")]


@pytest.mark.parametrize(
    ("status", "retryable", "words"),
    [(500, True, "Try again"), (429, True, "rate-limiting"), (403, False, "search.formats")],
)
def test_http_errors_become_provider_errors(
    local_server: LocalServer, status: int, retryable: bool, words: str
) -> None:
    local_server.add("/search", "error", status=status)
    with pytest.raises(ProviderError) as caught:
        SearxSearchProvider(local_server.base_url).search("q")
    assert caught.value.retryable is retryable
    assert str(status) in caught.value.message
    assert words in caught.value.message


def test_non_json_and_wrong_shape_are_not_retryable(local_server: LocalServer) -> None:
    local_server.add("/search", "<html>not json</html>")
    with pytest.raises(ProviderError, match="did not send JSON") as caught:
        SearxSearchProvider(local_server.base_url).search("q")
    assert caught.value.retryable is False
    local_server.add_json("/search", {"hits": []})
    with pytest.raises(ProviderError, match="SearxNG format"):
        SearxSearchProvider(local_server.base_url).search("q")


def test_connection_failure_is_retryable(closed_port: int) -> None:
    with pytest.raises(ProviderError, match="Could not connect") as caught:
        SearxSearchProvider(f"http://127.0.0.1:{closed_port}", timeout=2).search("q")
    assert caught.value.retryable is True


def test_competitor_gaps_on_the_demo_corpus(
    demo_outline: PageOutline, demo_results: list[SearchResult]
) -> None:
    gaps = competitor_gaps(demo_outline, demo_results)
    for expected in ("bokashi", "compost tumbler", "worm bin", "hot composting", "apartment"):
        assert expected in gaps
    covered = ("greens", "browns", "compost bin", "kitchen scraps", "compost pile", "meat")
    assert not set(gaps) & set(covered)
    assert len(gaps) <= 10
    # a topic is never listed twice inside a longer one
    assert not ({"countertop", "electric countertop composters"} <= set(gaps))


def test_gaps_need_several_sources_and_skip_our_own_result(demo_outline: PageOutline) -> None:
    own = SearchResult(title="Bokashi bokashi", url=demo_outline.url, snippet="bokashi")
    single = SearchResult(title="Bokashi buckets", url="https://x.example/", snippet="")
    assert competitor_gaps(demo_outline, [own, single]) == []
    other = SearchResult(title="Why bokashi works", url="https://y.example/", snippet="")
    assert competitor_gaps(demo_outline, [own, single, other]) == ["bokashi"]
