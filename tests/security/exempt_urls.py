"""The project's URLs plus one view that forgot CSRF, to show the walk in test_csrf catches it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def forgetful(request: HttpRequest) -> HttpResponse:
    return HttpResponse("done")


urlpatterns = [path("forgetful/", forgetful, name="forgetful"), path("", include("config.urls"))]
