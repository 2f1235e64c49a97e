"""What a row keeps in ``StepExecution.bookkeeping``: one typed dictionary per kind of row.

The column is JSON, so what the database returns is a plain dict; these types
name its keys, and :func:`book_of` reads a row's bookkeeping as the one its
kind keeps, so the code that reads and writes a key is checked against them.
"""

from __future__ import annotations

from typing import Any, TypedDict, TypeVar, cast

from workflows.models import StepExecution


class Attempts(TypedDict, total=False):
    """Kept by every row a worker runs: a step, and the code of a map, branch, loop or sleep."""

    failures: int  # attempts that raised, since the last answer or manual retry
    lease_losses: int  # attempts whose worker stopped renewing the lease, or overran it
    definition_missing_since: str  # first try on a worker without the workflow (ISO time)
    definition_missing_retries: int


class BranchBook(Attempts, total=False):
    selected: list[str]  # the ids of the cases whose condition held


class LoopBook(Attempts, total=False):
    iteration: int  # the iteration running now, from 1
    last_output: Any  # the body's output in the last finished iteration


class ForeachBook(TypedDict):
    total: int  # items in the input list
    next: int  # index of the next item to start
    settled: int  # items that finished, either way
    failed: bool  # an item failed: no more start, and the foreach fails once all settled


Bookkeeping = Attempts | BranchBook | LoopBook | ForeachBook
Book = TypeVar("Book", Attempts, BranchBook, LoopBook, ForeachBook)


def book_of(row: StepExecution, kind: type[Book]) -> Book:
    """The row's bookkeeping as ``kind`` (the same dict: changes to it change the row)."""
    return cast(Book, row.bookkeeping)
