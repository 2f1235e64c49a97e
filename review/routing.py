"""Websocket routes, mounted by config/asgi.py behind the origin check and session auth.

Two consumers; the route chooses what they send (review/live/renderers.py). The
JSON streams are the ones programs use (README, docs/live.md): ``/ws/runs/``
and ``/ws/runs/<id>/events/``; the others feed the pages' htmx.
"""

from __future__ import annotations

from django.urls import path

from review.consumers import DashboardConsumer, RunConsumer
from review.live import renderers

websocket_urlpatterns = [
    path("ws/runs/", DashboardConsumer.as_asgi(renderer=renderers.DashboardJson), name="ws-runs"),
    path("ws/runs/<uuid:run_id>/", RunConsumer.as_asgi(renderer=renderers.RunHtml), name="ws-run"),
    path(
        "ws/runs/<uuid:run_id>/events/",
        RunConsumer.as_asgi(renderer=renderers.RunJson),
        name="ws-run-events",
    ),
    path(
        "ws/dashboard/",
        DashboardConsumer.as_asgi(renderer=renderers.DashboardHtml),
        name="ws-dashboard",
    ),
    path("ws/queue/", DashboardConsumer.as_asgi(renderer=renderers.QueueHtml), name="ws-queue"),
]
