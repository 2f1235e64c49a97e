"""Realistic test pages: the web as it is, with the truth about each page alongside.

The demo articles are tidy; real pages carry menus, cookie banners, sidebars,
comments, related links and footers, and some have broken markup or hardly any
text. These pages imitate the common site styles, and ``pages.json`` records
what a correct reading of each one finds: its language, dates, canonical address,
the article's own headings, and words of its furniture that must never rank as
keywords. The demo site serves them at ``/demo/pages/<slug>/`` so tests and
``manage.py bench research`` read them through the real fetcher.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["PAGES_DIR", "PageCase", "page_case", "page_cases", "page_html"]

PAGES_DIR = Path(__file__).resolve().parent / "data" / "pages"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class PageCase:
    slug: str
    style: str
    language: str
    published: str | None
    canonical_url: str | None
    headings: tuple[tuple[int, str], ...]
    """The article's H1-H3 as (level, text), in document order."""
    boilerplate: tuple[str, ...]
    """Words of the page's furniture; none may be among its top keywords."""

    @property
    def path(self) -> str:
        return f"/demo/pages/{self.slug}/"

    def html(self) -> str:
        return (PAGES_DIR / f"{self.slug}.html").read_text(encoding="utf-8")


@cache
def page_cases() -> tuple[PageCase, ...]:
    """Every test page, in the order ``pages.json`` lists them."""
    document = json.loads((PAGES_DIR / "pages.json").read_text(encoding="utf-8"))
    return tuple(
        PageCase(
            slug=entry["slug"],
            style=entry["style"],
            language=entry["language"],
            published=entry["published"],
            canonical_url=entry["canonical_url"],
            headings=tuple((int(level), str(text)) for level, text in entry["headings"]),
            boilerplate=tuple(entry["boilerplate"]),
        )
        for entry in document["pages"]
    )


def page_case(slug: str) -> PageCase | None:
    return next((case for case in page_cases() if case.slug == slug), None)


def page_html(slug: str) -> str | None:
    """The page's HTML, or None; only listed slugs are read, so paths stay in the folder."""
    case = page_case(slug) if _SLUG.fullmatch(slug) else None
    return case.html() if case is not None else None
