"""The reviewer product's pages, its acting views and the runs API (HTTP).

Websocket routes: review/routing.py.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, re_path

from review import actions, api, downloads, insights_views, queue_views, signin, views

app_name = "review"

QUESTION = "runs/<uuid:run_id>/questions/<uuid:suspension_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    # Django's own sign-in, so reviewers and editors (not staff) can sign in too.
    path("login/", signin.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("start/<slug:workflow_id>/", actions.start, name="start"),
    path("queue/", queue_views.queue_page, name="queue"),
    path("insights/", insights_views.insights_page, name="insights"),
    path(QUESTION + "claim", queue_views.claim, name="claim"),
    path(QUESTION + "release", queue_views.release, name="release"),
    path(QUESTION + "reassign", queue_views.reassign, name="reassign"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
    path("runs/<uuid:run_id>/download", downloads.result, name="download"),
    path(QUESTION + "decide", actions.decide, name="decide"),
    path(QUESTION + "draft/edit", actions.edit_draft, name="edit-draft"),
    path(QUESTION + "draft", actions.save_draft, name="save-draft"),
    path(QUESTION + "draft/preview", actions.preview_draft, name="preview-draft"),
    path(
        QUESTION + "draft/revisions/<int:number>/diff",
        actions.revision_diff,
        name="revision-diff",
    ),
    path("api/runs/", api.runs, name="api-runs"),
    path("api/runs/<uuid:run_id>/events", api.run_events, name="api-run-events"),
    path("api/runs/<uuid:run_id>/events/<int:event_id>", api.run_event, name="api-run-event"),
    path("api/runs/<uuid:run_id>/snapshot", api.run_snapshot, name="api-run-snapshot"),
    path("api/runs/<uuid:run_id>/resume", api.resume, name="api-run-resume"),
    path("api/runs/<uuid:run_id>/cancel", api.cancel, name="api-run-cancel"),
    path("api/runs/<uuid:run_id>/retry", api.retry, name="api-run-retry"),
    path("api/runs/<uuid:run_id>/fork", api.fork, name="api-run-fork"),
    path("api/runs/<uuid:run_id>/drafts", api.run_drafts, name="api-run-drafts"),
    re_path(r"^api/", api.unknown_route),  # JSON 404, not an HTML page, for programs
]
