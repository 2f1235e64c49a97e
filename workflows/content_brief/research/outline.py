"""Turn fetched HTML into the structure an editor reasons about: title, headings, links, text.

Only ``html.parser`` is used so the pipeline has no parser dependency; the
trade-off is that we do our own bookkeeping for elements that carry no reader
text (scripts, navigation) and for where blocks begin and end, so words from
neighbouring paragraphs never run together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from workflows.content_brief.records import Heading, Link, PageOutline
from workflows.content_brief.text import word_count

__all__ = ["extract_outline", "word_count"]

# Content inside these never reaches a reader's eyes as article text.
SKIPPED = frozenset({"script", "style", "nav", "noscript", "template", "svg", "iframe"})
# Ending or starting one of these ends the current line of text.
BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr",
        "ul", "body", "html", "title",
    }
)  # fmt: skip
HEADINGS = {"h1": 1, "h2": 2, "h3": 3}
IGNORED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


class _OutlineParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.skip_depth = 0
        self.in_head = False
        self.title_parts: list[str] | None = None
        self.title = ""
        self.meta_description = ""
        self.og_description = ""
        self.lines: list[str] = []
        self.current: list[str] = []
        self.heading: tuple[int, list[str]] | None = None
        self.headings: list[tuple[int, str]] = []
        self.anchor: tuple[str, list[str]] | None = None
        self.links: list[tuple[str, str]] = []

    # -- tags ---------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "title" and not self.title:
            self.title_parts = []
        elif tag == "meta" and values.get("name", "").lower() == "description":
            self.meta_description = _squash(values.get("content", ""))
        elif tag == "meta" and values.get("property", "").lower() == "og:description":
            self.og_description = _squash(values.get("content", ""))
        elif tag == "base" and values.get("href"):
            self.base_url = urljoin(self.base_url, values["href"])
        if tag == "head":
            self.in_head = True  # </head> may legally be omitted: <body> also ends it
        elif tag == "body":
            self.in_head = False
        if tag in SKIPPED:
            self.skip_depth += 1
            return
        if self.skip_depth or self.in_head:
            return
        if tag in BLOCKS:
            self._break_line()
        if tag in HEADINGS:
            self.heading = (HEADINGS[tag], [])
        elif tag == "a":
            self.anchor = (values.get("href", "").strip(), [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <meta/>, <img/>: treat like a start tag but never open a skipped region.
        if tag in SKIPPED:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = _squash("".join(self.title_parts))
            self.title_parts = None
        if tag == "head":
            self.in_head = False
        if tag in SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth or self.in_head:
            return
        if tag in HEADINGS and self.heading is not None:
            level, parts = self.heading
            text = _squash("".join(parts))
            if text:
                self.headings.append((level, text))
            self.heading = None
        elif tag == "a" and self.anchor is not None:
            href, parts = self.anchor
            self.links.append((href, _squash("".join(parts))))
            self.anchor = None
        if tag in BLOCKS:
            self._break_line()

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if self.skip_depth or self.in_head:
            return
        self.current.append(data)
        if self.heading is not None:
            self.heading[1].append(data)
        if self.anchor is not None:
            self.anchor[1].append(data)

    def _break_line(self) -> None:
        line = _squash("".join(self.current))
        if line:
            self.lines.append(line)
        self.current = []

    def close(self) -> None:
        super().close()
        self._break_line()


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


def _links(raw: list[tuple[str, str]], base_url: str, page_url: str) -> list[Link]:
    page_site = _site(urlsplit(page_url).hostname or "")
    found: list[Link] = []
    seen: set[str] = set()
    for href, text in raw:
        if not href or href.lower().startswith(IGNORED_SCHEMES):
            continue
        absolute = urljoin(base_url, href).split("#", 1)[0]
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or absolute in seen:
            continue
        seen.add(absolute)
        internal = _site(parts.hostname or "") == page_site
        found.append(Link(href=absolute, text=text, internal=internal))
    return found


def extract_outline(html: str, url: str) -> PageOutline:
    """Parse ``html`` fetched from ``url`` (needed to make links absolute and mark internal)."""
    parser = _OutlineParser(url)
    parser.feed(html)
    parser.close()
    text = "\n".join(parser.lines)
    title = parser.title or next((t for level, t in parser.headings if level == 1), "")
    return PageOutline(
        url=url,
        title=title,
        meta_description=parser.meta_description or parser.og_description,
        headings=_heading_tree(parser.headings),
        word_count=word_count(text),
        links=_links(parser.links, parser.base_url, url),
        text=text,
    )
