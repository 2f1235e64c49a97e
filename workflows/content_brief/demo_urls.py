"""The demo's stand-ins for the internet, served by the app itself (see demo_site.py)."""

from __future__ import annotations

from django.urls import path

from workflows.content_brief import demo_site

app_name = "demo"

urlpatterns = [
    path("", demo_site.index, name="index"),
    path("articles/<slug:slug>/", demo_site.article, name="article"),
    path("search", demo_site.search, name="search"),
    path("reddit/search.json", demo_site.reddit_search, name="reddit_search"),
]
