"""Turn fetched HTML into what an editor reasons about: the article's title, headings,
text and links, and where the page comes from (language, date, canonical address).

trafilatura reads the main content and the metadata; ``boilerplate`` takes the page
furniture out first and ``blocks`` recovers the headings and text trafilatura
drops (both explained in their modules and in docs/content-brief.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from workflows.content_brief.records import Heading, Link, PageOutline
from workflows.content_brief.research.blocks import PageBlocks, read_blocks, squash
from workflows.content_brief.research.boilerplate import without_boilerplate
from workflows.content_brief.research.language import detect_language
from workflows.content_brief.text import word_count

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["MainContent", "extract_outline", "main_content"]

IGNORED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")
TITLE_SEPARATORS = (" | ", " - ", " \u2013 ", " \u2014 ", " :: ", " \u00bb ")


@dataclass(frozen=True)
class MainContent:
    """What trafilatura made of the page with its furniture removed."""

    text: str
    headings: set[str] = field(default_factory=set)
    """Its headings, as keys comparable with ``blocks._key``."""


def main_content(tree: HtmlElement, url: str) -> MainContent:
    """trafilatura's main text (without comments) and headings of an lxml tree."""
    import trafilatura  # imported where used: see workflows/content_brief/text.py

    document = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_tables=True, with_metadata=False
    )
    if document is None or isinstance(document, dict) or not document.text:
        return MainContent(text="")
    headings = {"".join(h.xpath("string()").split()).casefold() for h in document.body.iter("head")}
    return MainContent(text=document.text, headings=headings)


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


@dataclass
class _Node:
    level: int
    text: str
    children: list[_Node] = field(default_factory=list)

    def freeze(self) -> Heading:
        return Heading(
            level=self.level, text=self.text, children=[c.freeze() for c in self.children]
        )


def _heading_tree(flat: list[tuple[int, str]]) -> list[Heading]:
    """Nest H3 under the H2 before it and H2 under the H1 before it; orphans stay at the top."""
    roots: list[_Node] = []
    stack: list[_Node] = []
    for level, text in flat:
        node = _Node(level, text)
        while stack and stack[-1].level >= level:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return [node.freeze() for node in roots]


def _links(page: PageBlocks, base_url: str, page_url: str) -> list[Link]:
    """Links inside the article's blocks, absolute, without duplicates."""
    page_site = _site(urlsplit(page_url).hostname or "")
    found: list[Link] = []
    seen: set[str] = set()
    for block in page.blocks:
        if not block.in_main:
            continue
        for anchor in block.element.iter("a"):
            href = (anchor.get("href") or "").strip()
            if not href or href.lower().startswith(IGNORED_SCHEMES):
                continue
            absolute = urljoin(base_url, href).split("#", 1)[0]
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https") or absolute in seen:
                continue
            seen.add(absolute)
            internal = _site(parts.hostname or "") == page_site
            found.append(Link(href=absolute, text=squash(anchor.text_content()), internal=internal))
    return found


def _title(metadata_title: str, html_title: str, headings: list[tuple[int, str]]) -> str:
    """The article's title.

    trafilatura's title (og:title, the ``<title>`` without the site name, or the H1) is
    right on most pages, but on a forum it is the board's own H1 in the page header.
    When it is none of the article's headings and the article's first heading opens the
    ``<title>``, that heading is the title.
    """
    texts = [text for level, text in headings if level <= 2]
    if metadata_title and (metadata_title in texts or not texts):
        return metadata_title
    if texts and html_title.startswith(texts[0]):
        return texts[0]
    return metadata_title or _strip_site(html_title) or (texts[0] if texts else "")


def _strip_site(title: str) -> str:
    for separator in TITLE_SEPARATORS:
        if separator in title:
            return title.split(separator, 1)[0].strip()
    return title


def _declared_language(tree: HtmlElement) -> str:
    for path in ("/html/@lang", "//meta[@property='og:locale']/@content",
                 "//meta[@http-equiv='content-language']/@content"):  # fmt: skip
        values = tree.xpath(path)
        if values and str(values[0]).strip():
            return str(values[0])
    return ""


def extract_outline(html: str, url: str) -> PageOutline:
    """Parse ``html`` fetched from ``url`` (the address after redirects: it makes links
    absolute and tells internal links from external ones)."""
    import trafilatura  # imported where used: see workflows/content_brief/text.py

    tree = trafilatura.load_html(html)
    if tree is None:
        return PageOutline(url=url, title="", meta_description="", word_count=0, text="")
    metadata = trafilatura.extract_metadata(tree, default_url=url, extensive=False)
    pruned = without_boilerplate(tree)
    main = main_content(pruned, url)
    page = read_blocks(pruned, main.text)
    text = "\n".join([main.text, *(block.text for block in page.continuation)]).strip()
    html_title = squash(tree.findtext(".//title") or "")
    found = page.headings(main.headings, title="")
    title = _title(metadata.title or "", html_title, found)
    found = page.headings(main.headings, title=title)
    base = tree.xpath("//base/@href")
    language = detect_language(f"{title}\n{text}", _declared_language(tree))
    return PageOutline(
        url=url,
        title=title,
        meta_description=squash(metadata.description or ""),
        headings=_heading_tree(found),
        word_count=word_count(text),
        links=_links(page, urljoin(url, str(base[0])) if base else url, url),
        text=text,
        language=language.code,
        language_source=language.source,
        published=metadata.date or None,
        canonical_url=metadata.url or "",
    )
