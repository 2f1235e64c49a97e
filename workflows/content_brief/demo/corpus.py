"""A small offline corpus on home composting, so the whole pipeline can be demonstrated
without network access, API keys or a search engine.

The app serves these files itself (articles as HTML, search and discussions in
the exact SearxNG and Reddit JSON shapes), which means the real providers - the
safe fetcher, ``SearxSearchProvider``, ``RedditJsonProvider`` - run unchanged
against it; only their base URLs point at the app. Ranking is deliberately
simple term matching: enough for a believable demo, not a search engine.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from workflows.content_brief.text import is_stopword, normalise_words

__all__ = ["DATA_DIR", "article_html", "list_articles", "reddit_search_json", "search_json"]

DATA_DIR = Path(__file__).resolve().parent / "data"
_ARTICLES = DATA_DIR / "articles"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SUFFIXES = ("ing", "ers", "er", "ed")
MAX_LIMIT = 50


def article_html(slug: str) -> str | None:
    """The article's HTML, or None; the slug pattern keeps paths inside the corpus folder."""
    if not _SLUG.fullmatch(slug):
        return None
    path = _ARTICLES / f"{slug}.html"
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8")


def list_articles() -> list[tuple[str, str]]:
    """(slug, title) for every article, by slug; the site name is dropped from titles."""
    found: list[tuple[str, str]] = []
    for path in sorted(_ARTICLES.glob("*.html")):
        match = _TITLE.search(path.read_text(encoding="utf-8"))
        title = match.group(1).split(" | ")[0].strip() if match else path.stem
        found.append((path.stem, " ".join(title.split())))
    return found


def _stem(word: str) -> str:
    """Crude suffix folding so "composting" finds "compost" and "tumblers" finds "tumbler"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> list[str]:
    return [_stem(word) for word in normalise_words(text) if not is_stopword(word)]


def _rank(items: list[dict[str, Any]], query: str, title_key: str, body_key: str) -> list[int]:
    """Indexes of matching items, best first: a title hit counts three times a body hit."""
    wanted = set(_terms(query))
    if not wanted:
        return list(range(len(items)))
    scored: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        title = _terms(str(item.get(title_key, "")))
        body = _terms(str(item.get(body_key, "")))
        score = sum(3 for t in title if t in wanted) + sum(1 for t in body if t in wanted)
        if score:
            scored.append((-score, index))
    return [index for _, index in sorted(scored)]


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    return data


def search_json(query: str, limit: int = 10) -> dict[str, Any]:
    """What ``GET /search?q=...&format=json`` on a SearxNG instance would return."""
    index = copy.deepcopy(_load("search_index.json"))
    results = index["results"]
    chosen = [results[i] for i in _rank(results, query, "title", "content")[: _clamp(limit)]]
    index.update(query=query, number_of_results=len(chosen), results=chosen)
    return index


def reddit_search_json(query: str, limit: int = 10) -> dict[str, Any]:
    """What ``GET /search.json?q=...&sort=relevance`` on Reddit would return."""
    listing = copy.deepcopy(_load("reddit_threads.json"))
    children = listing["data"]["children"]
    posts = [child["data"] for child in children]
    chosen = [children[i] for i in _rank(posts, query, "title", "selftext")[: _clamp(limit)]]
    listing["data"].update(children=chosen, dist=len(chosen))
    return listing
