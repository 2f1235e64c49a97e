from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's). The static
    URL is looked up per request, so a hashed storage's manifest is never needed at import."""
    return HttpResponsePermanentRedirect(static("review/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("demo/", include("workflows.content_brief.demo.urls")),
    path("", include("review.urls")),
]
