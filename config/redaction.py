"""Keeping passwords that live inside addresses out of error pages, reports and output.

Django's own filter already masks settings whose *name* says they are secret
(``SECRET_KEY``, ``PASSWORD``, ``LLM_API_KEY``...). A password inside an
address (``REDIS_URL``, the Redis hosts of ``CHANNEL_LAYERS`` and ``Q_CLUSTER``)
sits under an innocent name, so the value itself is checked here.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

MASK = "********"
# scheme://user:password@ : the password is what lies between the user's colon and the "@".
PASSWORD_IN_ADDRESS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*):[^/@\s]+@")


def redact_url(text: str) -> str:
    """The text with every ``scheme://user:password@`` password masked."""
    return PASSWORD_IN_ADDRESS.sub(rf"\1:{MASK}@", text)


class CredentialsFilter(SafeExceptionReporterFilter):
    """Django's filter, plus masking the password of any address among the settings."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if type(cleansed) is str:  # not lazy strings: they only turn into text when shown
            return redact_url(cleansed)
        return cleansed
