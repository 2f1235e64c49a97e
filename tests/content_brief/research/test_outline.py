"""The outline keeps the article: its headings, text, links and where it comes from.

The realistic pages in the demo's test set are checked in ``test_pages.py``; these
are small pages, each showing one rule.
"""

from __future__ import annotations

from workflows.content_brief.research.outline import extract_outline
from workflows.content_brief.text import word_count

PARAGRAPH = "Dialing in takes patience, and every grinder behaves a little differently at first."

HTML = f"""<!doctype html>
<html lang="en-GB"><head>
  <title>  Home Espresso
     Basics | Example </title>
  <meta name="description" content="Pull better shots   at home.">
  <link rel="canonical" href="https://example.com/espresso/">
  <meta property="article:published_time" content="2025-03-01T08:00:00Z">
  <style>.hidden {{ display: none }}</style>
  <script>var secret = "do not count me";</script>
</head>
<body>
  <div class="cookie-banner">We use cookies. Accept all cookies to continue browsing.</div>
  <header><nav><a href="/menu">Menu</a> Navigation words</nav><h2>Site name header</h2></header>
  <article>
    <h1>Espresso <em>at home</em></h1>
    <p>{PARAGRAPH}<br>Grind finer if shots run fast, and coarser if they run slow.</p>
    <h2>Grinders <a class="headerlink" href="#grinders">¶</a></h2>
    <h3>Burr vs blade</h3>
    <p>Read <a href="/guides/burr#top">our burr guide</a> or
       <a href="https://www.example.com/about">about us</a> or
       <a href="https://other.example.org/x">another site</a> before you buy a grinder.</p>
    <h3>Budget picks</h3>
    <p>A hand grinder at a third of the price of an electric one grinds just as evenly.</p>
    <h2>Milk</h2>
    <p>Steam the milk to 60&nbsp;&deg;C and never let it boil, or it tastes burnt and flat.</p>
    <noscript>Enable JavaScript please</noscript>
    <h4>Level four is not in the outline</h4>
    <p>Deeper levels stay in the text; the outline stops at H3 like an editor's does.</p>
  </article>
  <aside class="sidebar"><h2>Subscribe to our newsletter</h2><p>Subscribe now for weekly
    coffee tips and discounts from the Example shop, straight to your inbox.</p></aside>
  <section id="comments"><h2>3 comments</h2><p>Great article, I finally pulled a decent shot
    after reading this guide twice.</p></section>
  <footer><p>&copy; 2025 Example Coffee Ltd</p></footer>
</body></html>"""


def outline_of(html: str, url: str = "https://example.com/espresso/"):
    return extract_outline(html, url)


def test_outline_keeps_the_article_headings_only() -> None:
    outline = outline_of(HTML)
    tree = [(h.level, h.text, [(c.level, c.text, [g.text for g in c.children]) for c in h.children])
            for h in outline.headings]  # fmt: skip
    assert tree == [
        (
            1,
            "Espresso at home",
            [(2, "Grinders", ["Burr vs blade", "Budget picks"]), (2, "Milk", [])],
        )
    ]
    assert outline.title == "Espresso at home"


def test_text_is_the_article_without_page_furniture() -> None:
    outline = outline_of(HTML)
    for furniture in (
        "do not count me", "Navigation words", "Enable JavaScript", ".hidden", "cookies",
        "Subscribe", "Great article", "Example Coffee Ltd", "Site name header", "¶",
    ):  # fmt: skip
        assert furniture not in outline.text, furniture
    assert f"{PARAGRAPH}\nGrind finer" in outline.text  # <br> ends a line
    assert "Steam the milk to 60 °C" in outline.text  # entities decoded
    assert "Deeper levels stay in the text" in outline.text
    assert outline.word_count == word_count(outline.text)


def test_metadata_language_date_and_canonical_address() -> None:
    outline = outline_of(HTML, "https://example.com/espresso/?utm_source=x")
    assert outline.meta_description == "Pull better shots at home."
    assert (outline.language, outline.language_source) == ("en", "detected")
    assert outline.published == "2025-03-01"
    assert outline.canonical_url == "https://example.com/espresso/"


def test_links_are_the_article_s_absolute_deduplicated_and_classified() -> None:
    outline = outline_of(HTML)
    links = [(link.href, link.text, link.internal) for link in outline.links]
    assert links == [
        ("https://example.com/guides/burr", "our burr guide", True),
        ("https://www.example.com/about", "about us", True),  # www. is the same site
        ("https://other.example.org/x", "another site", False),
    ]


def test_base_href_is_respected() -> None:
    html = (
        '<base href="https://cdn.example.net/root/"><h1>Only a heading</h1>'
        f'<p>{PARAGRAPH} See <a href="p">the page</a> for more.</p>'
    )
    outline = outline_of(html, "https://example.com/")
    assert outline.title == "Only a heading"
    assert outline.links[0].href == "https://cdn.example.net/root/p"
    assert outline.links[0].internal is False


def test_headings_are_kept_on_pages_built_from_widgets() -> None:
    """Without <article> or <main>, trafilatura drops headings that sit in their own div."""
    widget = '<div class="w"><div class="w-inner">{}</div></div>'
    sections = "".join(
        widget.format(f"<h2>{name}</h2>") + widget.format(f"<p>{PARAGRAPH} ({name})</p>")
        for name in ("Choosing a site", "Filling the bed", "Planting out")
    )
    outline = outline_of(f"<html><body><div class='page'>{sections}</div></body></html>")
    assert outline.heading_texts() == ["Choosing a site", "Filling the bed", "Planting out"]


def test_the_article_continues_past_a_container_broken_markup_closed_early() -> None:
    first = "".join(f"<p>{PARAGRAPH} Part {n}.</p>" for n in range(3))
    rest = "".join(f"<h2>Later step {n}</h2><p>{PARAGRAPH} Step {n}.</p>" for n in range(3))
    html = (
        f"<html><body><table><tr><td><div id=main><h1>Broken page</h1>{first}"
        f"</div></div></td></tr></table><table><tr><td>{rest}"
        '<p><a href="/">Home</a> | <a href="/a">Apples</a> | <a href="/p">Pears</a>'
        "</td></tr></table>"
    )
    outline = outline_of(html)
    assert outline.heading_texts() == [
        "Broken page",
        "Later step 0",
        "Later step 1",
        "Later step 2",
    ]
    assert "Step 2." in outline.text and "Apples" not in outline.text


def test_title_falls_back_to_the_heading_and_page_without_one_has_none() -> None:
    assert outline_of(f"<h1>Only a heading</h1><p>{PARAGRAPH}</p>").title == "Only a heading"
    assert outline_of(f"<p>{PARAGRAPH}</p>").title == ""


def test_og_description_is_a_fallback() -> None:
    html = f'<meta property="og:description" content="From OG."><p>{PARAGRAPH}</p>'
    assert outline_of(html).meta_description == "From OG."


def test_head_without_closing_tag_does_not_hide_the_body() -> None:
    html = f"<html><head><title>T</title><meta name=description content=D><body><p>{PARAGRAPH}"
    outline = outline_of(html)
    assert (outline.title, outline.meta_description, outline.text) == ("T", "D", PARAGRAPH)


def test_empty_or_unreadable_pages_give_an_empty_outline() -> None:
    for html in ("", "   ", "<html></html>"):
        outline = outline_of(html)
        assert (outline.title, outline.text, outline.headings, outline.word_count) == (
            "",
            "",
            [],
            0,
        )
