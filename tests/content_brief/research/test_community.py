from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from tests.content_brief.conftest import LocalServer, Recorded, reply_json
from workflows.content_brief.demo import corpus
from workflows.content_brief.errors import ProviderError
from workflows.content_brief.records import Thread
from workflows.content_brief.research.community import (
    CommunityProvider,
    RedditJsonProvider,
    community_insights,
    is_question,
)


def serve_demo_reddit(server: LocalServer) -> None:
    def respond(handler: BaseHTTPRequestHandler, request: Recorded) -> None:
        q = request.query["q"][0]
        limit = int(request.query["limit"][0])
        reply_json(handler, corpus.reddit_search_json(q, limit))

    server.add_handler("/reddit/search.json", respond)


def test_reddit_provider_reads_the_demo_listing(local_server: LocalServer) -> None:
    serve_demo_reddit(local_server)
    base = local_server.url("/reddit")
    provider: CommunityProvider = RedditJsonProvider(base, timeout=5, user_agent="brief-tests/1")
    threads = provider.search("compost smell", limit=4)
    assert 1 <= len(threads) <= 4
    first = threads[0]
    assert "ammonia" in first.title
    assert first.url == f"{base}/r/composting/comments/1c2m9q/my_compost_pile_smells_like_ammonia/"
    assert first.subreddit == "composting"
    assert first.score > 0 and first.num_comments > 0 and first.created_utc > 0
    sent = local_server.requests[0]
    assert sent.headers["user-agent"] == "brief-tests/1"
    assert sent.query["q"] == ["compost smell"]
    assert sent.query["limit"] == ["4"]
    assert sent.query["sort"] == ["relevance"]


def test_non_posts_and_broken_children_are_skipped(local_server: LocalServer) -> None:
    post = {"title": "Why?", "permalink": "/r/x/comments/1/why/", "subreddit": "x"}
    local_server.add_json(
        "/search.json",
        {
            "kind": "Listing",
            "data": {
                "children": [
                    {"kind": "t1", "data": {"body": "a comment"}},
                    {"kind": "t3", "data": {"title": ""}},
                    {"kind": "t3", "data": post},
                ]
            },
        },
    )
    threads = RedditJsonProvider(local_server.base_url).search("why")
    assert [t.title for t in threads] == ["Why?"]
    assert threads[0].score == 0 and threads[0].selftext == ""


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (502, True), (403, False)])
def test_errors(local_server: LocalServer, status: int, retryable: bool) -> None:
    local_server.add("/search.json", "{}", status=status, content_type="application/json")
    with pytest.raises(ProviderError) as caught:
        RedditJsonProvider(local_server.base_url).search("q")
    assert caught.value.retryable is retryable


def test_wrong_shape(local_server: LocalServer) -> None:
    local_server.add_json("/search.json", {"kind": "Listing"})
    with pytest.raises(ProviderError, match="listing format"):
        RedditJsonProvider(local_server.base_url).search("q")


def test_insights_from_the_demo_threads(demo_threads: list[Thread]) -> None:
    insights = community_insights(demo_threads)
    assert "How do I know when my compost is actually finished?" in insights.questions
    assert "Is it by weight or by volume?" in insights.questions  # from a post body
    assert "Greens vs browns ratio is so confusing" in insights.pain_points
    assert "I struggle to find space for anything bigger than a bucket." in insights.pain_points
    assert all(not p.endswith("?") or "wrong" in p for p in insights.pain_points)
    assert len(insights.top_threads) == 5
    engagement = [t.score + 2 * t.num_comments for t in insights.top_threads]
    assert engagement == sorted(engagement, reverse=True)
    # questions from the most discussed threads come first (the top thread asks none)
    assert insights.questions[0] == insights.top_threads[1].title


def test_insights_deduplicate_and_cap() -> None:
    threads = [
        Thread(title=f"How do I stop rats, part {i}?", url=f"u{i}", subreddit="s", score=i)
        for i in range(30)
    ] + [
        Thread(title="how do i stop rats, part 29", url="dup", subreddit="s"),
        Thread(title="The problem is rats", url="p", subreddit="s", selftext="I hate rats."),
    ]
    insights = community_insights(threads)
    assert len(insights.questions) == 15
    assert insights.questions[0] == "How do I stop rats, part 29?"
    assert insights.pain_points == ["The problem is rats", "I hate rats."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Is a tumbler worth it", True),
        ("My pile smells?", True),
        ("Do not add meat", False),
        ("Finally made black gold!", False),
    ],
)
def test_is_question(text: str, expected: bool) -> None:
    assert is_question(text) is expected
