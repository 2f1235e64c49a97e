"""What a careless client or an attacker sends: odd unicode, wrong types, huge, deep, markup."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

NASTY_TEXT = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ufeff",
    "\u202e\u2066",
    "🦊" * 3,
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
    "'; DROP TABLE workflows_workflowrun; --",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "NaN",
    "-1",
    "9" * 40,
]

# Every code point, surrogates and NUL included (Hypothesis leaves out surrogates by default).
any_text = st.text(st.characters(exclude_categories=()), max_size=40) | st.sampled_from(NASTY_TEXT)
big_text = st.integers(300_000, 1_200_000).map(lambda n: "x" * n)
odd_numbers = st.sampled_from(
    [math.nan, math.inf, -math.inf, 2**64, -(2**70), 1e308, -0.0, 10**400]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | odd_numbers | any_text


def json_like(leaves: st.SearchStrategy[Any] = scalars) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
        max_leaves=12,
    )


def _nest(value: Any, depth: int) -> Any:
    for index in range(depth):
        value = [value] if index % 2 else {"a": value}
    return value


deep = st.tuples(scalars, st.integers(60, 3000)).map(lambda pair: _nest(*pair))
anything = json_like() | deep | big_text.map(lambda text: {"text": text})


def shaped_like(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the right field names but odd values, plus stray fields now and then."""
    return st.fixed_dictionaries(
        {name: strategy | anything for name, strategy in fields.items()},
        optional={"extra": anything},
    )


query_values = st.text(st.characters(exclude_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["-1", "0", "1", "+1", "1e3", "0x10", "9" * 30, "", " 1", "1 ", "١٢"]
)
