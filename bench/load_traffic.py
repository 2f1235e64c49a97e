"""The people of ``bench load``: who starts briefs, who decides them, who watches them.

Everything goes through daphne as it would from outside: runs are started and
decided over the HTTP API with each person's own Bearer token, and watchers
read ``/ws/runs/<id>/events/`` with a signed-in session. The only thing read
from the database here is the reviewers' queue (which questions are open) and
the counts that pace the load; what people did is written to a ``Ledger`` that
``bench/load_audit.py`` checks against the database afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.db.models import Count

from bench.load_watch import Watch, follow
from workflows.content_brief import WORKFLOW_ID
from workflows.content_brief.demo.corpus import list_articles
from workflows.models import RunStatus, Suspension, WorkflowRun

ENDED = {RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.CANCELED}
BUSY = {RunStatus.RUNNING}
CHANGES = (0, 1, 0, 2)  # requests for changes before approving, by run number
POLL_SECONDS = 0.25
ARTICLES = tuple(slug for slug, _ in list_articles())


@dataclass(frozen=True)
class Plan:
    """How much load: runs, people, the backlog to build up, and how long it may take."""

    runs: int
    reviewers: int
    watchers: int
    waiting_target: int
    in_flight: int  # runs the machines may work on at once before the next is started
    race_every: int  # every n-th question goes to two reviewers at once
    deadline_s: float

    def watched(self) -> set[int]:
        """Run numbers with a watcher, spread evenly over the whole load."""
        count = min(self.watchers, self.runs)
        return {index * self.runs // count for index in range(count)} if count else set()

    def decisions_expected(self) -> int:
        """An angle, the requests for changes, then the approval, for every run."""
        return sum(2 + CHANGES[index % len(CHANGES)] for index in range(self.runs))


@dataclass(frozen=True)
class Person:
    username: str
    token: str


@dataclass(frozen=True)
class Question:
    suspension_id: str
    run_id: str
    path: str
    iteration: int
    angles: int


@dataclass
class Ledger:
    """What the people did and saw, for the figures and the audit."""

    run_ids: list[str] = field(default_factory=list)
    run_number: dict[str, int] = field(default_factory=dict)
    start_ms: list[float] = field(default_factory=list)
    decision_ms: list[float] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)  # per suspension
    changes_per_run: Counter[str] = field(default_factory=Counter)
    races: int = 0
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    watches: list[Watch] = field(default_factory=list)
    waiting_polled_max: int = 0
    gate_opened_at: float | None = None


class Load:
    """One benchmark's traffic: a starter, a reviewers' dispatcher, watchers, and a pacer."""

    def __init__(
        self, plan: Plan, base_url: str, ws_url: str, starter: Person, cookie: str
    ) -> None:
        self.plan, self.base_url, self.ws_url = plan, base_url, ws_url
        self.starter, self.cookie = starter, cookie
        self.ledger = Ledger()
        self.counts: Counter[str] = Counter()
        self.started_since_poll = 0
        self.seen: set[str] = set()
        self.work: asyncio.Queue[Question] = asyncio.Queue()
        self.idle: asyncio.Queue[Person] = asyncio.Queue()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.watch_tasks: list[asyncio.Task[Watch]] = []
        self.polled = asyncio.Event()
        self.done = asyncio.Event()
        self.deadline = time.monotonic() + plan.deadline_s

    async def run(self, reviewers: list[Person]) -> Ledger:
        for person in reviewers:
            self.idle.put_nowait(person)
        limits = httpx.Limits(max_connections=len(reviewers) + 8)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=120, limits=limits) as http:
            helpers = [
                asyncio.create_task(self._pace()),
                asyncio.create_task(self._dispatch(http)),
            ]
            try:
                await asyncio.wait_for(self._start_all(http), self.plan.deadline_s)
                await asyncio.wait_for(self.done.wait(), self._left())
            except TimeoutError:
                self.ledger.errors.append("the load did not finish before its deadline")
            finally:
                for helper in helpers:
                    helper.cancel()
                await asyncio.gather(*helpers, *self.tasks, return_exceptions=True)
        self.ledger.watches = await self._collect_watches()
        return self.ledger

    def _left(self) -> float:
        return max(1.0, self.deadline - time.monotonic())

    # --- starting runs at the pace the machines take them ---------------------------------------

    async def _start_all(self, http: httpx.AsyncClient) -> None:
        watched = self.plan.watched()
        for number in range(self.plan.runs):
            while self._busy() >= self.plan.in_flight:
                self.polled.clear()
                await self.polled.wait()
            run_id = await self._start(http, number)
            if run_id is not None and number in watched:
                self.watch_tasks.append(asyncio.create_task(self._watch(run_id)))

    def _busy(self) -> int:
        return sum(self.counts[status] for status in BUSY) + self.started_since_poll

    async def _start(self, http: httpx.AsyncClient, number: int) -> str | None:
        slug = ARTICLES[number % len(ARTICLES)]
        body = {
            "workflow": WORKFLOW_ID,
            "input": {"url": f"{self.base_url}/demo/articles/{slug}/"},
            "idempotency_key": f"load-{number}",
        }
        began = time.perf_counter()
        try:
            response = await http.post("/api/runs/", json=body, headers=_auth(self.starter))
        except httpx.HTTPError as exc:
            self.ledger.errors.append(f"start {number}: {exc!r}")
            return None
        self.ledger.start_ms.append((time.perf_counter() - began) * 1000)
        if response.status_code != 201:
            self.ledger.errors.append(f"start {number}: {response.status_code} {response.text}")
            return None
        run_id = str(response.json()["run"]["id"])
        self.ledger.run_ids.append(run_id)
        self.ledger.run_number[run_id] = number
        self.started_since_poll += 1
        return run_id

    # --- what the machines are doing, and which questions are open --------------------------------

    async def _pace(self) -> None:
        while True:
            started = self.started_since_poll
            counts, questions = await asyncio.to_thread(_poll, self.seen)
            self.counts, self.started_since_poll = counts, self.started_since_poll - started
            waiting = counts[RunStatus.SUSPENDED]
            self.ledger.waiting_polled_max = max(self.ledger.waiting_polled_max, waiting)
            if self.ledger.gate_opened_at is None and self._gate_opens(waiting):
                self.ledger.gate_opened_at = time.monotonic()
            for question in questions:
                self.seen.add(question.suspension_id)
                self.work.put_nowait(question)
            if sum(counts[status] for status in ENDED) >= self.plan.runs:
                self.done.set()
            self.polled.set()
            await asyncio.sleep(POLL_SECONDS)

    def _gate_opens(self, waiting: int) -> bool:
        """Decisions wait until the backlog is built, or until nothing more can join it."""
        everything_started = len(self.ledger.run_ids) >= self.plan.runs
        return waiting >= self.plan.waiting_target or (everything_started and not self._busy())

    # --- reviewers deciding over HTTP -------------------------------------------------------------

    async def _dispatch(self, http: httpx.AsyncClient) -> None:
        handed = 0
        while True:
            question = await self.work.get()
            while self.ledger.gate_opened_at is None:
                self.polled.clear()
                await self.polled.wait()
            handed += 1
            raced = self.plan.race_every > 0 and handed % self.plan.race_every == 0
            team = [await self.idle.get()]
            if raced:
                team.append(await self.idle.get())
                self.ledger.races += 1
            body = self._decision(question)
            for person in team:
                task = asyncio.create_task(self._decide(http, person, question, body, raced))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    def _decision(self, question: Question) -> dict[str, Any]:
        number = self.ledger.run_number.get(question.run_id, 0)
        body: dict[str, Any] = {"suspension_id": question.suspension_id}
        if question.path.endswith("angle_review"):
            body["data"] = {"option": number % max(1, question.angles)}
        elif question.iteration - 1 < CHANGES[number % len(CHANGES)]:
            body["data"] = {"decision": "request_changes", "feedback": "Add a worked example."}
            body["revision"] = 0
        else:
            body["data"] = {"decision": "approve"}
            body["revision"] = 0
        return body

    async def _decide(
        self,
        http: httpx.AsyncClient,
        person: Person,
        question: Question,
        body: dict[str, Any],
        raced: bool,
    ) -> None:
        url = f"/api/runs/{question.run_id}/resume"
        began = time.perf_counter()
        try:
            response = await http.post(url, json=body, headers=_auth(person))
        except httpx.HTTPError as exc:
            self.ledger.errors.append(f"decide {question.suspension_id}: {exc!r}")
            return
        finally:
            self.idle.put_nowait(person)
        self.ledger.decision_ms.append((time.perf_counter() - began) * 1000)
        if response.status_code == 200:
            self.ledger.accepted[question.suspension_id] += 1
            if body["data"].get("decision") == "request_changes":
                self.ledger.changes_per_run[question.run_id] += 1
        elif response.status_code == 409 and raced:
            self.ledger.conflicts += 1
        else:
            self.ledger.errors.append(f"decide {url}: {response.status_code} {response.text}")

    # --- watchers on run pages' streams -----------------------------------------------------------

    async def _watch(self, run_id: str) -> Watch:
        return await follow(run_id, self.ws_url, self.base_url, self.cookie)

    async def _collect_watches(self) -> list[Watch]:
        """Give watchers a moment to receive the last events, then stop the stragglers."""
        if self.watch_tasks:
            await asyncio.wait(self.watch_tasks, timeout=30)
        for task in self.watch_tasks:
            task.cancel()
        return list(await asyncio.gather(*self.watch_tasks))


def _auth(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


def _poll(seen: set[str]) -> tuple[Counter[str], list[Question]]:
    """Runs by status, and the open questions not handed to anyone yet (oldest first)."""
    counts: Counter[str] = Counter(
        {
            row["status"]: row["n"]
            for row in WorkflowRun.objects.values("status").annotate(n=Count("id"))
        }
    )
    open_rows = Suspension.objects.open().order_by("created_at")
    fresh = [
        row
        for row in open_rows.values("id", "run_id", "path_key", "execution__iteration")
        if str(row["id"]) not in seen
    ]
    angles = {
        str(pk): len((payload or {}).get("angles") or [])
        for pk, payload in Suspension.objects.filter(
            pk__in=[row["id"] for row in fresh if row["path_key"].endswith("angle_review")]
        ).values_list("id", "payload")
    }
    questions = [
        Question(
            suspension_id=str(row["id"]),
            run_id=str(row["run_id"]),
            path=row["path_key"],
            iteration=row["execution__iteration"] or 1,
            angles=angles.get(str(row["id"]), 0),
        )
        for row in fresh
    ]
    return counts, questions
