"""The content brief's review panels render every field of their payloads, under the
test settings' strict template checking (a missing variable fails the render)."""

from __future__ import annotations

from django.template.loader import render_to_string

from tests.content_brief.test_angles import PAGE, research
from workflows.content_brief import angles


def test_the_angle_review_shows_the_source_s_metadata() -> None:
    page = PAGE.model_copy(
        update={
            "language": "de",
            "language_source": "detected",
            "published": "2025-03-27",
            "canonical_url": "https://example.com/kompost",
        }
    )
    payload = angles.propose(page, research(["Kompost"], [], [])).model_dump()
    html = render_to_string("content_brief/_angle_review.html", {"payload": payload})
    assert 'lang="de">German <span class="muted">(de, detected from its text)' in html
    assert '<time datetime="2025-03-27">2025-03-27</time>' in html
    assert 'href="https://example.com/kompost"' in html
    assert "<dd>900 in the main content</dd>" in html


def test_the_angle_review_says_when_the_page_gives_no_date_or_canonical_address() -> None:
    payload = angles.propose(PAGE, research(["compost"], [], [])).model_dump()
    html = render_to_string("content_brief/_angle_review.html", {"payload": payload})
    assert "no date on the page" in html and "none given" in html
