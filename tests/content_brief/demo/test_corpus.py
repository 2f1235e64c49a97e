from __future__ import annotations

import pytest

from tests.content_brief.conftest import LocalServer
from workflows.content_brief.demo import corpus
from workflows.content_brief.research.fetching import BlockedAddress, fetch_page
from workflows.content_brief.research.keywords import extract_keywords
from workflows.content_brief.research.outline import extract_outline


def test_list_articles() -> None:
    articles = corpus.list_articles()
    assert len(articles) == 4
    slugs = [slug for slug, _ in articles]
    assert slugs == sorted(slugs)
    assert ("composting-at-home-beginners-guide", "How to Start Composting at Home: "
            "A Beginner's Guide") in articles  # fmt: skip
    assert all(" | " not in title for _, title in articles)


@pytest.mark.parametrize("slug", ["../search_index", "nope", "", "Compost-Bins-Compared", "a/b"])
def test_article_html_rejects_unknown_or_unsafe_slugs(slug: str) -> None:
    assert corpus.article_html(slug) is None


def test_every_article_has_a_real_outline() -> None:
    for slug, title in corpus.list_articles():
        html = corpus.article_html(slug)
        assert html is not None
        outline = extract_outline(html, f"http://testserver/demo/articles/{slug}/")
        assert outline.title == outline.heading_texts()[0]  # the H1, which starts the <title>
        assert title.startswith(outline.title.split(":")[0])
        assert outline.meta_description
        assert [h.level for h in outline.headings] == [1]
        assert len(outline.headings[0].children) >= 4
        assert outline.word_count > 250
        assert any(link.internal for link in outline.links)


def test_fetch_and_outline_a_demo_article_served_locally(local_server: LocalServer) -> None:
    slug = "composting-at-home-beginners-guide"
    html = corpus.article_html(slug)
    assert html is not None
    path = f"/demo/articles/{slug}/"
    local_server.add(path, html)

    with pytest.raises(BlockedAddress):
        fetch_page(local_server.url(path))  # not allow-listed: loopback is refused

    page = fetch_page(local_server.url(path), allow_hosts={"127.0.0.1"})
    outline = extract_outline(page.html, page.final_url)
    assert outline.title.startswith("How to Start Composting at Home")
    h2s = [h.text for h in outline.headings[0].children]
    assert "Step 2: Balance greens and browns" in h2s
    internal = [link.href for link in outline.links if link.internal]
    assert local_server.url("/demo/articles/compost-bins-compared/") in internal
    assert "track(" not in outline.text and "All guides" not in outline.text
    keywords = extract_keywords(outline.text, outline.heading_texts())
    assert keywords.keywords[0].phrase == "compost"
    assert 0 < keywords.heading_coverage < 1


def test_search_json_shape_and_ranking() -> None:
    payload = corpus.search_json("bokashi", 5)
    assert payload["query"] == "bokashi"
    assert payload["number_of_results"] == len(payload["results"]) == 3
    assert all("bokashi" in (r["title"] + r["content"]).lower() for r in payload["results"])
    assert "Bokashi" in payload["results"][0]["title"]  # title hits outrank snippet hits
    for result in payload["results"]:
        assert {"title", "url", "content", "engine"} <= set(result)
    assert len(corpus.search_json("composting", 2)["results"]) == 2
    assert corpus.search_json("quantum chromodynamics", 10)["results"] == []


def test_search_json_does_not_leak_mutations() -> None:
    first = corpus.search_json("compost", 3)
    first["results"].clear()
    assert corpus.search_json("compost", 3)["results"]


def test_reddit_search_json_shape() -> None:
    payload = corpus.reddit_search_json("tumbler", 10)
    assert payload["kind"] == "Listing"
    children = payload["data"]["children"]
    assert children and all(child["kind"] == "t3" for child in children)
    assert "tumbler" in children[0]["data"]["title"].lower()
    assert payload["data"]["dist"] == len(children)
    post = children[0]["data"]
    assert {"title", "permalink", "subreddit", "score", "num_comments", "selftext"} <= set(post)
    assert len(corpus.reddit_search_json("", 10)["data"]["children"]) == 10
    assert len(corpus.reddit_search_json("", 3)["data"]["children"]) == 3
