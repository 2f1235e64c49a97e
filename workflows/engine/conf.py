"""The engine's settings: each one's name, kind and default, written once.

``config/settings.py`` sets a name only when its environment variable is set
(``config.env.from_environment``), so the default lives here and nowhere else.
Values are read from ``django.conf.settings`` on every call, so tests may
change them with ``override_settings`` or pytest-django's ``settings``.
README.md ("Configuration") lists them for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, cast

from django.conf import settings

T = TypeVar("T")
Kind = Literal["bool", "int", "float", "str", "list", "url", "secret"]
CASTS = {"bool": bool, "int": int, "float": float, "str": str, "url": str, "secret": str}


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: how the environment spells it, how to parse it, and its default."""

    name: str
    kind: Kind
    default: T
    doc: str
    minimum: float | None = None
    choices: tuple[str, ...] = ()

    def get(self) -> T:
        """The configured value (or the default), as the declared kind."""
        value = getattr(settings, self.name, None)
        if value is None:
            return self.default
        if self.kind == "list":
            return cast(T, list(value))
        return cast(T, CASTS[self.kind](value))


WORKFLOW_MODULES: Setting[list[str]] = Setting(
    "HANDOFF_WORKFLOW_MODULES",
    "list",
    ["workflows.content_brief.workflow"],
    "modules that define workflows, imported when the app is ready",
)
INLINE_BUDGET_SECONDS: Setting[float] = Setting(
    "HANDOFF_INLINE_BUDGET_SECONDS",
    "float",
    5.0,
    "how long a worker keeps running a sequential chain inline before handing the rest back",
    minimum=0,
)
LEASE_GRACE_SECONDS: Setting[float] = Setting(
    "HANDOFF_LEASE_GRACE_SECONDS",
    "float",
    15.0,
    "seconds past a step's timeout before its claim is presumed lost (the worker died)",
    minimum=0,
)
LEASE_SECONDS: Setting[float] = Setting(
    "HANDOFF_LEASE_SECONDS",
    "float",
    0.0,
    "a short lease the worker renews while a step runs; 0: the step's timeout + grace",
    minimum=0,
)
MISSING_WORKFLOW_SECONDS: Setting[float] = Setting(
    "HANDOFF_MISSING_WORKFLOW_SECONDS",
    "float",
    600.0,
    "how long a run whose workflow this worker does not define is retried before it fails",
    minimum=0,
)
TICKER: Setting[bool] = Setting(
    "HANDOFF_TICKER",
    "bool",
    True,
    "each django-q2 worker runs the ticker (timers, lost work); off when tickers run elsewhere",
)
QUEUE: Setting[str] = Setting(
    "HANDOFF_QUEUE",
    "str",
    "django_q",
    'how executions are queued: "django_q", or "manual" (tests drain it in-process)',
    choices=("django_q", "manual"),
)
MAX_INPUT_BYTES: Setting[int] = Setting(
    "HANDOFF_MAX_INPUT_BYTES", "int", 1_000_000, "a run's input (start and fork)", minimum=1
)
MAX_RESUME_BYTES: Setting[int] = Setting(
    "HANDOFF_MAX_RESUME_BYTES",
    "int",
    1_000_000,
    "the data that answers a waiting step",
    minimum=1,
)
MAX_EMIT_BYTES: Setting[int] = Setting(
    "HANDOFF_MAX_EMIT_BYTES", "int", 100_000, "one ctx.emit() event's data", minimum=1
)
MAX_EVENT_BYTES: Setting[int] = Setting(
    "HANDOFF_MAX_EVENT_BYTES",
    "int",
    2_000_000,
    "an application event's data (api.record_event)",
    minimum=1,
)

# The sizes workflows/engine/limits.py checks data against, in bytes of compact UTF-8 JSON.
SIZE_LIMITS: tuple[Setting[int], ...] = (
    MAX_INPUT_BYTES,
    MAX_RESUME_BYTES,
    MAX_EMIT_BYTES,
    MAX_EVENT_BYTES,
)
SETTINGS: tuple[Setting[Any], ...] = (
    WORKFLOW_MODULES,
    INLINE_BUDGET_SECONDS,
    LEASE_GRACE_SECONDS,
    LEASE_SECONDS,
    MISSING_WORKFLOW_SECONDS,
    TICKER,
    QUEUE,
    *SIZE_LIMITS,
)
BY_NAME: dict[str, Setting[Any]] = {setting.name: setting for setting in SETTINGS}
