"""What real people ask and complain about on a topic, from public discussion threads.

Forum questions are the best source for "questions to answer" in a brief, and
complaints show which part of a topic readers find hard. Reddit's public JSON
search needs no key; any server with the same listing shape (the demo corpus
included) works. Questions and pain points are found with plain rules - a
question mark or a leading question word, a list of frustration cues - so a
reviewer can see why each one was picked.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import httpx

from workflows.content_brief.errors import ProviderError
from workflows.content_brief.records import CommunityInsights, Thread
from workflows.content_brief.research.http_json import get_json

__all__ = ["CommunityProvider", "RedditJsonProvider", "community_insights"]

DEFAULT_USER_AGENT = "handoff-content-brief/0.1 (research for editorial briefs)"

QUESTION_START = re.compile(
    r"^(how|what|why|when|where|which|who|whose|is|are|was|were|can|could|should|would|will"
    r"|do|does|did|has|have|any|anyone|anybody)\b(?!\s+not\b)",
    re.IGNORECASE,
)
PAIN_CUES = re.compile(
    r"\b(struggl\w*|confus\w*|hate[sd]?|hating|problems?|can'?t|cannot|can not|frustrat\w*"
    r"|annoy\w*|driving me|impossible|stuck|nightmare|tedious|killing my|fail(?:s|ed|ing)?"
    r"|doesn'?t work|don'?t understand|no idea|gave up|give up|mistakes?|keeps? getting"
    r"|overwhelm\w*|difficult|hard to)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
MAX_ITEMS = 15
TOP_THREADS = 5


class CommunityProvider(Protocol):
    def search(self, query: str, *, limit: int = 10) -> list[Thread]:
        """Up to ``limit`` discussion threads about ``query``; raises ProviderError."""
        ...


class RedditJsonProvider:
    """Reddit's public ``/search.json``; Reddit rejects requests without a descriptive
    User-Agent, hence the required ``user_agent``."""

    def __init__(
        self,
        base_url: str = "https://www.reddit.com",
        timeout: float = 10.0,
        user_agent: str = DEFAULT_USER_AGENT,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.user_agent = user_agent
        self.client = client

    def search(self, query: str, *, limit: int = 10) -> list[Thread]:
        payload = get_json(
            f"{self.base_url}/search.json",
            params={"q": query, "limit": max(1, limit), "sort": "relevance", "raw_json": 1},
            service="The discussion search",
            timeout=self.timeout,
            client=self.client,
            headers={"User-Agent": self.user_agent},
            hints={
                403: "Reddit blocked the request; it may need a different user agent or be "
                "unavailable from this server.",
                429: "Reddit is rate-limiting us; wait a few minutes and try again.",
            },
        )
        return _parse_listing(payload, self.base_url)[: max(0, limit)]


def _parse_listing(payload: Any, base_url: str) -> list[Thread]:
    data = payload.get("data") if isinstance(payload, dict) else None
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise ProviderError(
            f"The discussion search at {base_url} answered, but not in Reddit's listing "
            "format (no data.children). Check that the address is right."
        )
    threads: list[Thread] = []
    for child in children:
        if not isinstance(child, dict) or child.get("kind") != "t3":
            continue
        post = child.get("data")
        if not isinstance(post, dict) or not post.get("title"):
            continue
        permalink = str(post.get("permalink") or "")
        threads.append(
            Thread(
                title=" ".join(str(post["title"]).split()),
                url=f"{base_url}{permalink}" if permalink.startswith("/") else permalink,
                subreddit=str(post.get("subreddit") or ""),
                score=int(post.get("score") or 0),
                num_comments=int(post.get("num_comments") or 0),
                selftext=str(post.get("selftext") or ""),
                created_utc=float(post.get("created_utc") or 0.0),
            )
        )
    return threads


# --- insights -------------------------------------------------------------------------------


def _engagement(thread: Thread) -> int:
    # A comment is a stronger signal than an upvote that people care about the problem.
    return thread.score + 2 * thread.num_comments


def _sentences(text: str) -> list[str]:
    text = text.replace("\u2019", "'")
    return [" ".join(s.split()) for s in _SENTENCE.findall(text) if len(s.split()) >= 3]


def is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(QUESTION_START.match(sentence.strip()))


def _add(found: list[str], seen: set[str], text: str) -> None:
    key = re.sub(r"\W+", " ", text.lower()).strip()
    if key and key not in seen and len(found) < MAX_ITEMS:
        seen.add(key)
        found.append(text)


def community_insights(threads: list[Thread]) -> CommunityInsights:
    """Questions and pain points, most-discussed threads first."""
    ranked = sorted(threads, key=_engagement, reverse=True)
    questions: list[str] = []
    pains: list[str] = []
    seen_q: set[str] = set()
    seen_p: set[str] = set()
    for thread in ranked:
        # A sentence can be both ("Why does my bin keep failing?"); it then goes in both lists.
        title = thread.title.replace("\u2019", "'")
        if is_question(title):
            _add(questions, seen_q, title)
        if PAIN_CUES.search(title):
            _add(pains, seen_p, title)
        for sentence in _sentences(thread.selftext):
            if sentence.endswith("?"):
                _add(questions, seen_q, sentence)
            if PAIN_CUES.search(sentence):
                _add(pains, seen_p, sentence)
    return CommunityInsights(
        questions=questions, pain_points=pains, top_threads=ranked[:TOP_THREADS]
    )
