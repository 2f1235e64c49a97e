from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("demo/", include("workflows.content_brief.demo.urls")),
    path("", include("review.urls")),
]
