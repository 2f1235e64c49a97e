"""The demo's stand-ins for the internet, served by the app itself (see site.py)."""

from __future__ import annotations

from django.urls import path

from workflows.content_brief.demo import site

app_name = "demo"

urlpatterns = [
    path("", site.index, name="index"),
    path("articles/<slug:slug>/", site.article, name="article"),
    path("pages/<slug:slug>/", site.page, name="page"),
    path("search", site.search, name="search"),
    path("reddit/search.json", site.reddit_search, name="reddit_search"),
]
