"""Take the page's furniture out of the tree before anything reads it as the article.

trafilatura finds a page's main content well, but on the test pages
(docs/content-brief.md, "Reading a page") it still keeps a forum's "Similar
topics" and "Who is online" boxes, its members' profiles and signatures, and a
blog's table of contents. Those words then rank as keywords and those headings
enter the outline. Menus, cookie banners, sidebars, comments, related links and
footers announce themselves in the markup (HTML5 sectioning elements, ARIA
roles, conventional class names), so they are removed from a copy of the tree
first, and trafilatura reads what is left.

Only containers are removed, never the page itself: an element that holds most
of the page's text is kept whatever its class says (themes put classes such as
``has-sidebar`` on the wrapper of the whole article).
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["is_boilerplate", "without_boilerplate"]

# Elements that are never article text.
ALWAYS = frozenset(
    {"nav", "aside", "form", "dialog", "noscript", "template", "button", "select", "svg", "iframe"}
)
# A <header> or <footer> belongs to the page unless it sits inside the article; an
# article's own footer holds tags and share buttons, so only headers are spared.
SECTIONING = frozenset({"article", "main"})
ROLES = frozenset(
    {
        "navigation", "banner", "contentinfo", "complementary", "search", "dialog",
        "alertdialog", "menu", "menubar", "toolbar",
    }
)  # fmt: skip
# Class and id names of page furniture. Short words must be a whole part of the name
# ("nav" in "main-nav", not in "canvas"); distinctive ones may appear anywhere in it
# ("related" in "jp-relatedposts", "sidebar" in "sphinxsidebar").
_NAMES = re.compile(
    r"""
    cookie | consent | gdpr | newsletter | subscri | signup | sidebar | related | similar
    | recommend | popular | most-?read | trending | sharedaddy | social | comment | respond
    | breadcrumb | pagination | masthead | advert | sponsor | promo | teaser | signature
    | postprofile | byline | back-?(?:2|to-)top
    | (?:^|[-_])
      (?:nav|navbar|navigation|menu|toc|footer|tags|tagcloud|meta|ad|ads|author|online|share
        |skip|jumpbox|action-bar|pager)
      (?:$|[-_])
    """,
    re.VERBOSE,
)
# Never removed, whatever their class: they are the page, or its main content.
PROTECTED = frozenset({"html", "body", "main", "article"})
SLUGGED = frozenset({"section", "h1", "h2", "h3", "h4", "h5", "h6"})
MOST_OF_THE_PAGE = 0.5


def _names(element: HtmlElement) -> list[str]:
    """Class names, and the id unless it names a section after its heading: documentation
    generators give "Verifying signatures" the id ``verifying-signatures``."""
    classes = (element.get("class") or "").lower().split()
    identifier = (element.get("id") or "").lower()
    if not identifier or element.tag in SLUGGED:
        return classes
    return [*classes, identifier]


def _inside(element: HtmlElement, tags: frozenset[str]) -> bool:
    return any(ancestor.tag in tags for ancestor in element.iterancestors())


def is_boilerplate(element: HtmlElement) -> bool:
    """Whether the markup says this element is page furniture rather than article."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in ALWAYS:
        return True
    if tag == "footer" or (tag == "header" and not _inside(element, SECTIONING)):
        return True
    if (element.get("role") or "").lower() in ROLES:
        return True
    if tag in PROTECTED:
        return False
    return any(_NAMES.search(name) for name in _names(element))


def _symbol_only_link(element: HtmlElement) -> bool:
    """Heading permalinks ("¶", "#", "§") that would otherwise end every heading's text."""
    if element.tag != "a":
        return False
    text = element.text_content().strip()
    return bool(text) and not any(c.isalnum() for c in text)


def without_boilerplate(tree: HtmlElement) -> HtmlElement:
    """A copy of ``tree`` without page furniture; the original is left as it was."""
    pruned = deepcopy(tree)
    body = pruned.find("body")
    page_text = len((body if body is not None else pruned).text_content())
    doomed: list[HtmlElement] = []
    for element in pruned.iter():
        if not isinstance(element.tag, str) or element.tag in PROTECTED:
            continue
        if _symbol_only_link(element):
            doomed.append(element)
        elif is_boilerplate(element):
            share = len(element.text_content()) / page_text if page_text else 0.0
            if share < MOST_OF_THE_PAGE:  # ASP.NET wraps whole pages in a <form>
                doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the text that follows it
    return pruned
