from __future__ import annotations

from workflows.content_brief.research.outline import extract_outline
from workflows.content_brief.text import word_count

HTML = """<!doctype html>
<html><head>
  <title>  Home Espresso
     Basics | Example </title>
  <meta name="description" content="Pull better shots   at home.">
  <style>.hidden { display: none }</style>
  <script>var secret = "do not count me";</script>
</head>
<body>
  <nav><a href="/menu">Menu</a> Navigation words</nav>
  <h3>Orphan before any H2</h3>
  <h1>Espresso <em>at home</em></h1>
  <p>Dialing in takes patience.<br>Grind finer if shots run fast.</p>
  <h2>Grinders</h2>
  <h3>Burr vs blade</h3>
  <p>Read <a href="/guides/burr#top">our burr guide</a> or
     <a href="https://www.example.com/about">about us</a> or
     <a href="https://other.example.org/x">another site</a>.</p>
  <h3>Budget picks</h3>
  <h2>Milk</h2>
  <p>Steam to 60&nbsp;&deg;C. Don't scald it.</p>
  <a href="mailto:me@example.com">mail</a><a href="javascript:void(0)">js</a>
  <a href="#local">local</a><a href="/guides/burr">duplicate</a>
  <noscript>Enable JavaScript please</noscript>
  <h4>Level four is ignored</h4>
</body></html>"""


def test_outline_structure() -> None:
    outline = extract_outline(HTML, "https://example.com/espresso/")
    assert outline.title == "Home Espresso Basics | Example"
    assert outline.meta_description == "Pull better shots at home."
    tree = [(h.level, h.text, [(c.level, c.text, [g.text for g in c.children]) for c in h.children])
            for h in outline.headings]  # fmt: skip
    assert tree == [
        (3, "Orphan before any H2", []),
        (
            1,
            "Espresso at home",
            [(2, "Grinders", ["Burr vs blade", "Budget picks"]), (2, "Milk", [])],
        ),
    ]
    assert outline.heading_texts()[:3] == ["Orphan before any H2", "Espresso at home", "Grinders"]


def test_text_skips_invisible_and_navigation() -> None:
    outline = extract_outline(HTML, "https://example.com/espresso/")
    assert "do not count me" not in outline.text
    assert "Navigation words" not in outline.text
    assert "Enable JavaScript" not in outline.text
    assert ".hidden" not in outline.text
    assert "Home Espresso Basics" not in outline.text  # the <title> is not body text
    # block elements and <br> end lines, so sentences never glue together
    assert "Dialing in takes patience.\nGrind finer if shots run fast." in outline.text
    assert "Steam to 60 °C. Don't scald it." in outline.text  # entities decoded, spaces squashed
    assert outline.word_count == word_count(outline.text)


def test_links_are_absolute_deduplicated_and_classified() -> None:
    outline = extract_outline(HTML, "https://example.com/espresso/")
    links = [(link.href, link.text, link.internal) for link in outline.links]
    assert links == [
        ("https://example.com/guides/burr", "our burr guide", True),
        ("https://www.example.com/about", "about us", True),  # www. is the same site
        ("https://other.example.org/x", "another site", False),
    ]


def test_title_falls_back_to_h1_and_base_href_is_respected() -> None:
    html = '<base href="https://cdn.example.net/root/"><h1>Only a heading</h1><a href="p">p</a>'
    outline = extract_outline(html, "https://example.com/")
    assert outline.title == "Only a heading"
    assert outline.links[0].href == "https://cdn.example.net/root/p"
    assert outline.links[0].internal is False


def test_word_count_treats_contractions_and_hyphens_as_one_word() -> None:
    assert word_count("Don't over-extract the well-known blend, 3 times.") == 7


def test_og_description_is_a_fallback() -> None:
    html = '<meta property="og:description" content="From OG."><p>Body</p>'
    assert extract_outline(html, "https://example.com/").meta_description == "From OG."


def test_head_without_closing_tag_does_not_hide_the_body() -> None:
    html = "<html><head><title>T</title><meta name=description content=D><body><p>Seen</p>"
    outline = extract_outline(html, "https://example.com/")
    assert (outline.title, outline.meta_description, outline.text) == ("T", "D", "Seen")
