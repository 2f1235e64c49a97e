"""The page as a sequence of blocks, and which of them are the article.

trafilatura decides what the main content is, but what it returns is text, and on
the test pages it falls short in two ways (docs/content-brief.md, "Reading a
page"):

- On pages built from nested ``<div>`` widgets (page builders), with no
  ``<article>`` or ``<main>``, it drops every section heading while keeping the
  paragraphs under them.
- When broken markup closes the content container early, it stops there, and the
  rest of the article never reaches the brief.

So the page is read a second way, in document order, as blocks (headings,
paragraphs, list items...). A block belongs to the article when trafilatura kept
its text; a heading belongs to it when trafilatura kept the heading or the text
right under it; and when trafilatura stopped early, the run of article-like
blocks that follows where it stopped is taken as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflows.content_brief.text import word_count

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["Block", "PageBlocks", "read_blocks"]

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
TEXT_BLOCKS = frozenset({"p", "li", "dd", "dt", "pre", "td", "th", "figcaption", "blockquote"})
# Containers whose own text (not inside a child block) is a block too: forum posts and
# old pages put paragraphs straight into a <div> separated by <br>.
CONTAINERS = frozenset({"div", "section", "article", "main", "body", "center", "font"})
SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})
BLOCK_TAGS = TEXT_BLOCKS | CONTAINERS | HEADINGS.keys() | {"ul", "ol", "dl", "table", "tr", "hr"}

# A block shorter than this (without spaces) is not matched against the main text on its
# own: "Reply" or "Top" occur inside any article.
MIN_MATCH_CHARS = 24
# What an article paragraph looks like when trafilatura did not keep it.
MIN_PARAGRAPH_WORDS = 8
MAX_LINK_SHARE = 0.5
# A continuation must be this substantial to be worth adding.
MIN_CONTINUATION_WORDS = 40
MIN_CONTINUATION_PARAGRAPHS = 2

_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _key(text: str) -> str:
    """Text without any whitespace or case: trafilatura and the DOM space words differently
    around inline elements and line breaks."""
    return _SPACE.sub("", text).casefold()


@dataclass
class Block:
    element: HtmlElement
    text: str
    level: int = 0
    """1-6 for a heading, 0 for text."""
    link_share: float = 0.0
    in_main: bool = False

    @property
    def is_heading(self) -> bool:
        return self.level > 0

    def looks_like_prose(self) -> bool:
        return word_count(self.text) >= MIN_PARAGRAPH_WORDS and self.link_share < MAX_LINK_SHARE


@dataclass
class PageBlocks:
    blocks: list[Block]
    continuation: list[Block] = field(default_factory=list)
    """Article blocks after the point where trafilatura stopped."""

    def headings(self, main_headings: set[str], title: str) -> list[tuple[int, str]]:
        """(level, text) of the article's H1-H3, in document order."""
        found: list[tuple[int, str]] = []
        title_key = _key(title)
        titled = False
        for index, block in enumerate(self.blocks):
            if not block.is_heading or block.level > 3 or not block.text:
                continue
            is_title = not titled and block.level <= 2 and bool(title_key)
            is_title = is_title and _key(block.text) == title_key
            titled = titled or is_title
            if is_title or _key(block.text) in main_headings or self._introduces_main(index):
                found.append((block.level, block.text))
        return found

    def _introduces_main(self, index: int) -> bool:
        """Whether the first text under the heading (before the next one) is article text."""
        for block in self.blocks[index + 1 :]:
            if block.is_heading:
                return False
            if len(_key(block.text)) >= MIN_MATCH_CHARS:
                return block.in_main
        return False


def _own_text(element: HtmlElement) -> str:
    """The element's text, leaving out what its block-level descendants hold."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS | SKIPPED:
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return " ".join(parts)


def _link_share(element: HtmlElement, text: str) -> float:
    if not text:
        return 0.0
    linked = sum(len(squash(a.text_content())) for a in element.iter("a"))
    return min(1.0, linked / len(text))


def _walk(element: HtmlElement, found: list[Block]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if not tag or tag in SKIPPED:
        return
    if tag in HEADINGS:
        text = squash(element.text_content())
        found.append(Block(element, text, level=HEADINGS[tag]))
        return
    if tag in TEXT_BLOCKS and not any(
        isinstance(child.tag, str) and child.tag in BLOCK_TAGS
        for child in element.iter()
        if child is not element
    ):
        text = squash(element.text_content())
        if text:
            found.append(Block(element, text, link_share=_link_share(element, text)))
        return
    if tag in CONTAINERS | TEXT_BLOCKS:
        own = squash(_own_text(element))
        if own:
            found.append(Block(element, own, link_share=_link_share(element, own)))
    for child in element:
        _walk(child, found)


def _matched(block: Block, main_key: str) -> bool:
    key = _key(block.text)
    return len(key) >= MIN_MATCH_CHARS and key in main_key


def _continuation(blocks: list[Block]) -> list[Block]:
    """The article-like run right after the last block trafilatura kept, if it is one."""
    last = max((i for i, block in enumerate(blocks) if block.in_main), default=None)
    if last is None:
        return []
    run: list[Block] = []
    for block in blocks[last + 1 :]:
        if block.is_heading or block.looks_like_prose():
            run.append(block)
        else:
            break
    while run and run[-1].is_heading:
        run.pop()  # a heading with nothing under it is where the article ended
    paragraphs = [block for block in run if not block.is_heading]
    words = sum(word_count(block.text) for block in paragraphs)
    if len(paragraphs) < MIN_CONTINUATION_PARAGRAPHS or words < MIN_CONTINUATION_WORDS:
        return []
    return run


def read_blocks(tree: HtmlElement, main_text: str) -> PageBlocks:
    """The blocks of ``tree`` (already without boilerplate), marked against the main text
    trafilatura extracted from it; continues the main content where trafilatura stopped."""
    blocks: list[Block] = []
    body = tree.find("body")
    _walk(body if body is not None else tree, blocks)
    main_key = _key(main_text)
    for block in blocks:
        block.in_main = _matched(block, main_key)
    continuation = _continuation(blocks)
    for block in continuation:
        block.in_main = True
    return PageBlocks(blocks=blocks, continuation=continuation)
