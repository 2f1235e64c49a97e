"""What every page's navigation shows: the count of open review items for the viewer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from review import queue


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"queue_count": queue.open_count(user) if user is not None else 0}
