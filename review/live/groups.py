"""Channel-layer names shared by the notifier (sender) and the hubs (receivers).

One group for everything: a notification lists every run that changed in a
short window, so a busy cluster sends one message per window, not two per
transition, and each web process receives it once and wakes the feeds it has.
"""

from __future__ import annotations

LIVE_GROUP = "handoff-live"
RUNS_CHANGED = "runs.changed"
