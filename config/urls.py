from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

# Browsers ask for /favicon.ico on pages that name no icon (the admin's); the pages name one.
favicon = RedirectView.as_view(url=static("review/favicon.svg"), permanent=True)

urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("demo/", include("workflows.content_brief.demo.urls")),
    path("", include("review.urls")),
]
