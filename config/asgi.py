"""ASGI entry point for daphne: HTTP through Django, websockets through Channels.

In DEBUG, static files (the vendored htmx, the CSS) are served here too, as
``runserver`` does, so a bare ``daphne config.asgi:application`` shows working
pages; in production a proxy serves ``collectstatic``'s output.

Websockets pass the origin check first (``Origin`` must be the request's own
origin, scheme, host and port, or one of ``CSRF_TRUSTED_ORIGINS``; this is the
websocket's CSRF protection, review/live/origins.py), then the session
middleware that sets ``scope["user"]``; consumers refuse anonymous users themselves.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from review.live.origins import OriginValidator  # noqa: E402
from review.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_asgi_app) if settings.DEBUG else django_asgi_app,
        "websocket": OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
