"""The reviewer product's pages and the runs API (HTTP). Websocket routes: review/routing.py."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from review import api, downloads, views

app_name = "review"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    # Django's own sign-in, so reviewers and editors (not staff) can sign in too.
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="review/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
    path("runs/<uuid:run_id>/brief.md", downloads.brief, name="brief-download"),
    path("api/runs/", api.run_list, name="api-runs"),
    path("api/runs/<uuid:run_id>/events", api.run_events, name="api-run-events"),
    path("api/runs/<uuid:run_id>/snapshot", api.run_snapshot, name="api-run-snapshot"),
]
