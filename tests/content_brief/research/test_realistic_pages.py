"""Research on pages that look like the web: each realistic test page is served by the
app's demo site and read through the real fetcher, as a run would read it."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.content_brief.demo.pages import PageCase, page_cases
from workflows.content_brief.records import KeywordAnalysis, PageOutline
from workflows.content_brief.research.fetching import fetch_page
from workflows.content_brief.research.keywords import extract_keywords
from workflows.content_brief.research.outline import extract_outline
from workflows.content_brief.text import normalise_words, phrase_in

TOP = 10
CASES = {case.slug: case for case in page_cases()}


def flat(outline: PageOutline) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def walk(nodes: list[Any]) -> None:
        for node in nodes:
            found.append((node.level, node.text))
            walk(node.children)

    walk(outline.headings)
    return found


@pytest.fixture(scope="module")
def researched(live_server: Any) -> dict[str, tuple[PageOutline, KeywordAnalysis]]:
    """Every page fetched over HTTP from the demo site, outlined and keyword-ranked once."""
    host = live_server.url.split("://", 1)[1]
    found = {}
    for case in page_cases():
        page = fetch_page(live_server.url + case.path, allow_hosts={host})
        outline = extract_outline(page.html, page.final_url)
        keywords = extract_keywords(
            outline.text, outline.heading_texts(), language=outline.language
        )
        found[case.slug] = (outline, keywords)
    return found


def boilerplate_in(keywords: KeywordAnalysis, case: PageCase) -> list[str]:
    """Furniture words that occur in any of the top keywords."""
    top = [normalise_words(k.phrase) for k in keywords.keywords[:TOP]]
    return [term for term in case.boilerplate if any(phrase_in(term, words) for words in top)]


def test_the_set_covers_the_site_styles_the_web_has() -> None:
    assert len(CASES) >= 8
    styles = " ".join(case.style for case in CASES.values()).lower()
    for style in ("wordpress", "news", "documentation", "forum", "german", "broken markup",
                  "scripts", "very long"):  # fmt: skip
        assert style in styles, style


@pytest.mark.parametrize("slug", list(CASES))
def test_headings_are_the_article_s_own(researched, slug: str) -> None:
    outline, _ = researched[slug]
    assert flat(outline) == list(CASES[slug].headings)


@pytest.mark.parametrize("slug", list(CASES))
def test_no_page_furniture_among_the_top_keywords(researched, slug: str) -> None:
    _, keywords = researched[slug]
    assert len(keywords.keywords) >= TOP
    assert boilerplate_in(keywords, CASES[slug]) == [], [k.phrase for k in keywords.keywords[:TOP]]


@pytest.mark.parametrize("slug", list(CASES))
def test_language_date_and_canonical_address(researched, slug: str) -> None:
    outline, keywords = researched[slug]
    case = CASES[slug]
    assert outline.language == keywords.language == case.language
    assert outline.published == case.published
    if case.canonical_url:
        assert outline.canonical_url == case.canonical_url


@pytest.mark.parametrize("slug", list(CASES))
def test_no_furniture_in_the_text(researched, slug: str) -> None:
    outline, _ = researched[slug]
    words = normalise_words(outline.text)
    assert [t for t in CASES[slug].boilerplate if len(t.split()) > 1 and phrase_in(t, words)] == []
    assert outline.word_count > 100


def test_reading_a_page_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura, htmldate, py3langid and YAKE must never download anything (models,
    stopwords, public-suffix lists): the app runs offline."""
    from workflows.content_brief.research import language

    language._identifier.cache_clear()  # load the language model again, under the guard

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a network connection was attempted: {args}")

    monkeypatch.setattr("socket.socket.connect", refuse)
    monkeypatch.setattr("socket.create_connection", refuse)
    for case in page_cases():
        outline = extract_outline(case.html(), f"https://pages.example{case.path}")
        assert extract_keywords(outline.text, [], language=outline.language).keywords
