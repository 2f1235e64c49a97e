"""Websocket messages that every server can send: large values by reference, big pages in parts.

daphne (autobahn) refuses to send a message over 1 MiB: the send raises and the
socket closes with 1011, and the client's reconnect gets the same state again,
for good. Step outputs of several megabytes are legitimate, so a message is kept
under ``HANDOFF_LIVE_MESSAGE_BYTES`` (256 KiB by default) instead:

- **JSON streams.** When a state or an event does not fit, its largest values
  are replaced by ``null``, largest first, until it fits, and the message lists
  each one under ``deferred``: ``{"pointer": "/context/draft/output", "bytes": N,
  "url": "/api/runs/<id>/snapshot?pointer=..."}``. The pointer (RFC 6901) is
  relative to the snapshot or the event; the URL answers the value itself.
- **HTML streams.** A state or an update is a list of top-level elements, sent
  in as few messages as fit. An element that alone is over the budget is sent
  as a placeholder with its id that fetches itself from the page over HTTP
  (htmx ``hx-get`` + ``hx-select``), so the page still ends up exact.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import escape

logger = logging.getLogger(__name__)

DEFAULT_MESSAGE_BYTES = 256 * 1024
NULL_BYTES = 4  # what a deferred value leaves in the message: null
DATA_FIELDS = ("input", "output", "error", "suspend_payload", "resume_data")
TOP_LEVEL_ID = re.compile(r'\A\s*<[a-zA-Z][a-zA-Z0-9]*\b[^>]*?\sid="([^"]+)"')

Path = tuple[str | int, ...]


def message_bytes() -> int:
    """The most a live message may hold, in bytes; well under daphne's 1 MiB."""
    return int(getattr(settings, "HANDOFF_LIVE_MESSAGE_BYTES", DEFAULT_MESSAGE_BYTES))


def dumps(message: Any) -> str:
    return json.dumps(message, cls=DjangoJSONEncoder)


def encoded_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def pointer(path: Path) -> str:
    """RFC 6901: ``("context", "a/b", 0)`` is ``/context/a~1b/0``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def parse_pointer(text: str) -> list[str]:
    """The parts of an RFC 6901 pointer; ValueError when it is not one."""
    if text == "":
        return []
    if not text.startswith("/"):
        raise ValueError("a pointer starts with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


def resolve(document: Any, parts: Sequence[str]) -> Any:
    """The value a pointer names; KeyError when there is none."""
    value = document
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(part)
    return value


# ---------------------------------------------------------------- JSON: values by reference


def _get(document: Any, path: Path) -> Any:
    value = document
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _replaced(document: Any, path: Path, value: Any) -> Any:
    """A copy of ``document`` with ``value`` at ``path``, copying only the containers on it."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {**document, head: _replaced(document[head], rest, value)}
    copy = list(document)
    copy[head] = _replaced(copy[head], rest, value)  # type: ignore[index]
    return copy


def defer(
    document: Any,
    candidates: Iterable[Path],
    url: Callable[[str], str],
    budget: int,
    *,
    coarse: Iterable[Path] = (),
) -> tuple[Any, list[dict[str, Any]]]:
    """Replace the largest ``candidates`` by null until ``document`` fits in ``budget`` bytes.

    ``coarse`` paths (whole sections) are deferred only if the fine ones were not
    enough. Returns the document to send and what was deferred, largest first.
    """
    total = encoded_size(dumps(document))
    deferred: list[dict[str, Any]] = []
    for paths in (list(candidates), list(coarse)):
        if total <= budget:
            break
        sized = []
        for path in paths:
            value = _get(document, path)
            if value is not None:
                sized.append((encoded_size(dumps(value)), path))
        for size, path in sorted(sized, key=lambda item: -item[0]):
            if total <= budget or size <= NULL_BYTES:
                break
            document = _replaced(document, path, None)
            total -= size - NULL_BYTES
            where = pointer(path)
            deferred = [d for d in deferred if not d["pointer"].startswith(where + "/")]
            deferred.append({"pointer": where, "bytes": size, "url": url(where)})
    return document, deferred


def _snapshot_paths(snapshot: dict[str, Any]) -> list[Path]:
    paths: list[Path] = [("input",), ("state",), ("result",), ("error",), ("graph",)]
    for index, _ in enumerate(snapshot.get("suspensions") or []):
        paths.append(("suspensions", index, "payload"))
    for key, entry in (snapshot.get("context") or {}).items():
        paths.extend(("context", key, name) for name in DATA_FIELDS)
        for index, _ in enumerate(entry.get("executions") or []):
            paths.extend(("context", key, "executions", index, name) for name in DATA_FIELDS)
    return paths


def state_message(snapshot: dict[str, Any], *, budget: int | None = None) -> str:
    """``{"type": "state", "snapshot", "last_event_id", "deferred"?}`` within the budget."""
    run_id = snapshot["run_id"]
    base = reverse("review:api-run-snapshot", kwargs={"run_id": run_id})
    coarse = [(key,) for key, value in snapshot.items() if isinstance(value, dict | list)]
    shown, deferred = defer(
        snapshot,
        _snapshot_paths(snapshot),
        lambda where: f"{base}?pointer={quote(where, safe='/~')}",
        (budget or message_bytes()) - 200,  # the envelope around the snapshot
        coarse=coarse,
    )
    message: dict[str, Any] = {
        "type": "state",
        "snapshot": shown,
        "last_event_id": snapshot["as_of_event_id"],
    }
    if deferred:
        message["deferred"] = deferred
    return dumps(message)


def event_message(event: dict[str, Any], *, budget: int | None = None) -> str:
    """``{"type": "event", "event", "deferred"?}`` within the budget."""
    base = reverse(
        "review:api-run-event", kwargs={"run_id": event["run_id"], "event_id": event["id"]}
    )
    data = event.get("data")
    fine = [("data", key) for key in data] if isinstance(data, dict) else []
    shown, deferred = defer(
        event,
        fine,
        lambda where: f"{base}?pointer={quote(where, safe='/~')}",
        (budget or message_bytes()) - 100,
        coarse=[("data",)],
    )
    message: dict[str, Any] = {"type": "event", "event": shown}
    if deferred:
        message["deferred"] = deferred
    return dumps(message)


# ---------------------------------------------------------------- HTML: parts and placeholders


def placeholder(element_id: str, page_url: str) -> str:
    """An element that replaces itself with the same element read from the page over HTTP."""
    return (
        f'<div id="{escape(element_id)}" class="loading" aria-busy="true" '
        f'hx-get="{escape(page_url)}" hx-select="#{escape(element_id)}" '
        'hx-trigger="load" hx-swap="outerHTML">Loading…</div>'
    )


def pack(parts: Iterable[str], page_url: str, *, budget: int | None = None) -> list[str]:
    """HTML messages of at most ``budget`` bytes, each made of whole top-level elements.

    A part over the budget is replaced by a :func:`placeholder` when it has an
    id; the renderers split the parts that have none (timeline items, streamed
    text), so one is only dropped when nothing else can be done, and that is logged.
    """
    limit = budget or message_bytes()
    messages: list[str] = []
    current: list[str] = []
    current_size = 0
    for part in parts:
        size = encoded_size(part)
        if size > limit:
            part = _too_big(part, page_url)
            size = encoded_size(part)
            if not part:
                continue
        if current and current_size + size > limit:
            messages.append("".join(current))
            current, current_size = [], 0
        current.append(part)
        current_size += size
    if current:
        messages.append("".join(current))
    return messages


def _too_big(part: str, page_url: str) -> str:
    found = TOP_LEVEL_ID.match(part)
    if found is None:
        logger.warning(
            "a live HTML part of %s bytes has no id and was not sent", encoded_size(part)
        )
        return ""
    return placeholder(found.group(1), page_url)


def chunks(items: Sequence[str], budget: int) -> list[list[str]]:
    """``items`` grouped in order so that each group's total stays within ``budget`` bytes."""
    groups: list[list[str]] = []
    size = 0
    for item in items:
        item_size = encoded_size(item)
        if not groups or size + item_size > budget:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += item_size
    return groups
