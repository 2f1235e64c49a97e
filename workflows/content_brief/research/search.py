"""Web search results for the target query, and the topics competitors cover that we don't.

Search goes through SearxNG's JSON API because it is self-hostable, needs no API
key and aggregates several engines; anything with the same JSON shape (the demo
corpus included) works. Gap finding is counting, not language modelling: a
topic matters when several competing pages mention it, and it is a gap when
neither our headings nor our body text do.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

import httpx

from workflows.content_brief.errors import ProviderError
from workflows.content_brief.records import KeywordAnalysis, PageOutline, SearchResult
from workflows.content_brief.research.http_json import get_json
from workflows.content_brief.text import (
    is_stopword,
    normalise_words,
    phrase_chunks,
    phrase_in,
    term_key,
)

__all__ = ["SearchProvider", "SearxSearchProvider", "competitor_gaps"]

# Words that make a title clickable rather than say what it covers.
FILLER = frozenset(
    """
    guide guides complete ultimate tips tip easy easiest simple simplest beginner beginners
    everything worth tested test review reviews list things thing learn right best top vs
    ways step steps free really ever home how what why which plus including whether
    compare compared comparison
    """.split()
)


class SearchProvider(Protocol):
    def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        """Up to ``limit`` results for ``query``; raises ProviderError."""
        ...


class SearxSearchProvider:
    """A SearxNG instance (``search.formats`` must include ``json``)."""

    def __init__(
        self, base_url: str, timeout: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.client = client

    def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        payload = get_json(
            f"{self.base_url}/search",
            params={"q": query, "format": "json"},
            service="The search service",
            timeout=self.timeout,
            client=self.client,
            hints={
                403: "SearxNG refuses JSON unless 'json' is listed under search.formats "
                "in its settings.yml.",
                429: "It is rate-limiting us; try again in a few minutes, or relax its "
                "limiter settings.",
            },
        )
        return _parse_results(payload, self.base_url)[: max(0, limit)]


def _parse_results(payload: Any, base_url: str) -> list[SearchResult]:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ProviderError(
            f"The search service at {base_url} answered, but not in the SearxNG format "
            "(no 'results' list). Check that the address points at a SearxNG instance."
        )
    results: list[SearchResult] = []
    seen: set[str] = set()
    for item in payload["results"]:
        if not isinstance(item, dict):
            continue
        url = str(item.get("url") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        engine = item.get("engine")
        results.append(
            SearchResult(
                title=" ".join(str(item.get("title") or url).split()),
                url=url,
                snippet=" ".join(str(item.get("content") or "").split()),
                engine=str(engine) if engine else None,
            )
        )
    return results


# --- competitor gaps ------------------------------------------------------------------------

MAX_TOPIC_WORDS = 3


def _meaningful(word: str, language: str) -> bool:
    lowered = word.lower()
    return (
        len(lowered) >= 3
        and any(c.isalpha() for c in lowered)
        and not any(c.isdigit() for c in lowered)
        and not is_stopword(lowered, language)
        and lowered not in FILLER
        and term_key(lowered) not in FILLER
    )


def _topics(text: str, language: str) -> dict[tuple[str, ...], str]:
    """Candidate topics in a text: runs of 1-3 meaningful words, keyed plural-insensitively."""
    found: dict[tuple[str, ...], str] = {}
    for chunk in phrase_chunks(text):
        for start in range(len(chunk)):
            for size in range(1, MAX_TOPIC_WORDS + 1):
                words = chunk[start : start + size]
                if len(words) < size or not _meaningful(words[-1], language):
                    break
                key = tuple(term_key(word) for word in words)
                found.setdefault(key, " ".join(word.lower() for word in words))
    return found


def _overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one topic is a run of words inside the other."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


def competitor_gaps(
    page: PageOutline,
    results: list[SearchResult],
    keywords: KeywordAnalysis | None = None,
    *,
    min_sources: int = 2,
    limit: int = 10,
) -> list[str]:
    """Topics at least ``min_sources`` competing results mention and our page never does.

    Longer topics rank above shorter ones at the same count because they are
    more specific ("worm bin" tells a writer more than "worm"), and a topic that
    overlaps one already chosen is not repeated. A single word must appear in
    some competitor's title or in more than ``min_sources`` results: lone words
    that only occur in snippets are mostly verbs and adjectives, not topics. Stopwords
    are the page language's: the results are searched for in it.
    """
    own = [page.title, page.meta_description, page.text, *page.heading_texts()]
    if keywords is not None:
        own.extend(k.phrase for k in keywords.keywords)
    page_words = normalise_words("\n".join(own))
    page_keys = set(page_words)
    page_url = page.url.rstrip("/")

    counts: Counter[tuple[str, ...]] = Counter()
    in_title: set[tuple[str, ...]] = set()
    shown: dict[tuple[str, ...], Counter[str]] = {}
    first_seen: dict[tuple[str, ...], int] = {}
    for result in results:
        if result.url.rstrip("/") == page_url:
            continue  # our own page ranking for the query is not a competitor
        in_title.update(_topics(result.title, page.language))
        for key, surface in _topics(f"{result.title}\n{result.snippet}", page.language).items():
            counts[key] += 1
            shown.setdefault(key, Counter())[surface] += 1
            first_seen.setdefault(key, len(first_seen))

    def qualifies(key: tuple[str, ...]) -> bool:
        if counts[key] < min_sources:
            return False
        if len(key) == 1:
            return key[0] not in page_keys and (key in in_title or counts[key] > min_sources)
        return not phrase_in(" ".join(key), page_words)

    ranked = sorted(
        filter(qualifies, counts),
        key=lambda key: (-counts[key] * (1 + 0.5 * (len(key) - 1)), first_seen[key]),
    )
    chosen: list[tuple[str, ...]] = []
    for key in ranked:
        if any(_overlaps(key, other) for other in chosen):
            continue
        chosen.append(key)
        if len(chosen) >= limit:
            break
    return [_spelling(shown[key]) for key in chosen]


def _spelling(surfaces: Counter[str]) -> str:
    """Most used spelling; on a tie the shorter one, which is usually the singular."""
    return min(surfaces.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]
