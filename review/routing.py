"""Websocket routes, mounted by config/asgi.py behind the origin check and session auth."""

from __future__ import annotations

from django.urls import path

from review import consumers
from review.dashboard_consumer import DashboardPageConsumer
from review.queue_consumer import QueuePageConsumer

websocket_urlpatterns = [
    path("ws/runs/", consumers.DashboardEventsConsumer.as_asgi(), name="ws-runs"),
    path("ws/runs/<uuid:run_id>/", consumers.RunPageConsumer.as_asgi(), name="ws-run"),
    path(
        "ws/runs/<uuid:run_id>/events/",
        consumers.RunEventsConsumer.as_asgi(),
        name="ws-run-events",
    ),
    path("ws/dashboard/", DashboardPageConsumer.as_asgi(), name="ws-dashboard"),
    path("ws/queue/", QueuePageConsumer.as_asgi(), name="ws-queue"),
]
