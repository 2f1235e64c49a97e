"""A small offline stand-in for the web: articles, a SearxNG-style search, Reddit-style threads.

The pipeline fetches these over HTTP with the same code it uses for the real
services, so the demo exercises the real fetcher and the real providers with no
internet. Only the data is canned.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from workflows.content_brief.demo import corpus, pages


def _limit(request: HttpRequest, default: int = 10) -> int:
    try:
        return max(1, min(50, int(request.GET.get("limit", default))))
    except ValueError:
        return default


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    items = "".join(
        f'<li><a href="articles/{escape(slug)}/">{escape(title)}</a></li>'
        for slug, title in corpus.list_articles()
    )
    tests = "".join(
        f'<li><a href="pages/{escape(c.slug)}/">{escape(c.slug)}</a>: {escape(c.style)}</li>'
        for c in pages.page_cases()
    )
    return HttpResponse(
        f"<!doctype html><title>Demo articles</title><h1>Demo articles</h1><ul>{items}</ul>"
        f"<h2>Realistic test pages</h2><ul>{tests}</ul>"
    )


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    html = corpus.article_html(slug)
    if html is None:
        return HttpResponse("no such demo article", status=404, content_type="text/plain")
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    """A realistic test page, exactly as stored: broken markup stays broken."""
    html = pages.page_html(slug)
    if html is None:
        return HttpResponse("no such test page", status=404, content_type="text/plain")
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@require_GET
def search(request: HttpRequest) -> JsonResponse:
    if request.GET.get("format", "json") != "json":
        return JsonResponse({"error": "only format=json is served"}, status=400)
    return JsonResponse(corpus.search_json(request.GET.get("q", ""), _limit(request)))


@require_GET
def reddit_search(request: HttpRequest) -> JsonResponse:
    return JsonResponse(corpus.reddit_search_json(request.GET.get("q", ""), _limit(request)))
