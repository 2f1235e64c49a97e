"""Benchmark figures: a table for people, a JSON document for machines.

Every figure names the baseline it is compared with, so a reader sees at once
whether a number is good: ``ratio`` is value / baseline, and below 1 means
better than the baseline for "lower is better" figures.
"""

from __future__ import annotations

import json
import math
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


@dataclass
class Figure:
    key: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    lower_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0 or math.isnan(self.value):
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.baseline == 0 and not math.isnan(self.value):  # a count that must stay 0
            good = self.value <= 0 if self.lower_is_better else self.value >= 0
            return "meets target" if good else "misses target"
        if self.ratio is None:
            return ""
        good = self.ratio <= 1 if self.lower_is_better else self.ratio >= 1
        return "meets target" if good else "misses target"


@dataclass
class Report:
    name: str
    setup: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    samples: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "benchmark": self.name,
            "at": datetime.now(UTC).isoformat(),
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            "setup": self.setup,
            "figures": {
                f.key: {
                    "value": _round(f.value),
                    "unit": f.unit,
                    "baseline": f.baseline,
                    "baseline_name": f.baseline_name,
                    "ratio": _round(f.ratio),
                    "verdict": f.verdict,
                    "note": f.note,
                }
                for f in self.figures
            },
            "samples": {key: [_round(v) for v in values] for key, values in self.samples.items()},
        }
        document.update({f.key: _round(f.value) for f in self.figures})
        document.update(self.extra)
        return document

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n")

    def print_table(self, out: TextIO) -> None:
        setup = ", ".join(f"{key}={value}" for key, value in self.setup.items())
        out.write(f"\n{self.name} benchmark ({setup})\n\n")
        rows = [("figure", "value", "baseline", "ratio", "")]
        for f in self.figures:
            baseline = (
                f"{_fmt(f.baseline)} {f.unit} ({f.baseline_name})"
                if f.baseline is not None
                else "-"
            )
            ratio = f"{f.ratio:.2f}" if f.ratio is not None else "-"
            rows.append((f.key, f"{_fmt(f.value)} {f.unit}", baseline, ratio, f.verdict or f.note))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        for index, row in enumerate(rows):
            out.write(
                "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n"
            )
            if index == 0:
                out.write("  ".join("-" * w for w in widths) + "\n")
        notes = [f for f in self.figures if f.note and f.verdict]
        for f in notes:
            out.write(f"\n{f.key}: {f.note}")
        out.write("\n")


def _round(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, 4)


def _fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
