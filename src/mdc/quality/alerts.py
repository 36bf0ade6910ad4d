"""Alert rules (``[[alerts]]``): incidents that open, notify once, and notify again when they end.

Each rule is evaluated into the set of subjects for which its condition holds now:

* ``gap`` — symbols silent longer than ``seconds`` while their market is in session (the
  exchange calendar of ``backfill.calendars``; ``24/7`` symbols always) and not halted;
* ``disconnected`` — streaming providers not connected for longer than ``seconds``;
* ``disk`` — the archive's disk, when its free space is below ``free_below_pct``;
* ``score`` — symbols whose last finished session day scores below ``score_below``
  (``completeness.py``; re-checked every :data:`SCORE_EVERY_S`, so a repair resolves it);
* ``anomaly`` — (symbol, kind) pairs with an ``Integrity`` event of at least ``severity`` in
  the last ``quiet_s``.

A subject entering the set opens an incident (one ``firing`` notification to every target), one
leaving it resolves the incident (one ``resolved`` notification): repeats of the condition in
between are the same incident, never another message. A snoozed rule keeps tracking its
incidents but sends nothing; an incident still open when the snooze ends is notified then, and a
``resolved`` goes only where a ``firing`` went. Time is the injected ``clock``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

from mdc.config.schema import AlertRule, Config
from mdc.domain.calendar import Session, sessions
from mdc.domain.events import Event, Integrity, Status
from mdc.domain.time import NS_PER_S, now_ns, ns_to_date
from mdc.pipeline.queues import BatchQueue
from mdc.providers.base import StreamingProvider
from mdc.quality.anomalies import HALT_STATES, RESUME_STATES, SEVERITY_RANK
from mdc.quality.notify import DeliveryError, Notification, Notifier, label

log = logging.getLogger(__name__)

TICK_S: Final = 1.0
"""Rules are evaluated this often (and after every batch of events)."""
SCORE_EVERY_S: Final = 900.0
RECENT: Final = 500
"""Notifications kept for the dashboard's list."""
CONSUMER_NAME: Final = "alerts"


class Watched(Protocol):
    """What the rules read of a running collector (``pipeline.runtime.Runtime`` has it)."""

    symbols: Any
    last_event_ns: dict[str, int]
    started_ns: int
    providers: dict[str, StreamingProvider]


ScoreFn = Callable[[list[str], date], dict[str, float]]
"""Completeness scores of symbols on one day (the archive's, by default)."""


@dataclass
class Incident:
    rule: AlertRule
    subject: str
    detail: str
    started_ns: int
    last_ns: int
    notified: bool = False
    held: bool = False
    """Its firing was held back by a snooze (listed once as such)."""


class AlertManager:
    """Evaluates the configured rules and sends their notifications."""

    def __init__(
        self,
        config: Config,
        runtime: Watched | None = None,
        clock: Callable[[], int] = now_ns,
        notifier: Notifier | None = None,
        scores: ScoreFn | None = None,
    ) -> None:
        self.config = config
        self.rules = list(config.alerts)
        self.runtime = runtime
        self.clock = clock
        self.notifier = notifier or Notifier()
        self.scores = scores or self._archive_scores
        self.open: dict[tuple[str, str], Incident] = {}
        self.recent: deque[Notification] = deque(maxlen=RECENT)
        self.snoozed: dict[str, int] = {}
        """Rule name → snoozed until (ns)."""
        self.sent: Counter[tuple[str, str, str]] = Counter()
        """(rule, target type, state) → notifications delivered."""
        self.failed: Counter[tuple[str, str]] = Counter()
        self.suppressed: Counter[str] = Counter()
        self._pending: list[Notification] = []
        self.halted: set[str] = set()
        self._resumed: dict[str, int] = {}
        """Symbols halted now (their silence opens no ``gap`` incident)."""
        self._seen: dict[tuple[str, str], tuple[int, str]] = {}
        """Anomaly subjects: last time seen and its detail."""
        self._score_cache: dict[str, tuple[int, dict[str, float]]] = {}
        self._sessions: dict[tuple[str, date], list[Session]] = {}

    # -- inputs ------------------------------------------------------------------------------
    def observe(self, batch: Iterable[Event]) -> None:
        """Note the ``Integrity`` events the anomaly rules care about, and halts (a halted
        symbol's silence is no gap)."""
        rules = [r for r in self.rules if r.when == "anomaly"]
        now = self.clock()
        for ev in batch:
            if type(ev) is Status:
                if ev.state in HALT_STATES:
                    self.halted.add(ev.symbol)
                elif ev.state in RESUME_STATES and ev.symbol in self.halted:
                    self.halted.discard(ev.symbol)
                    self._resumed[ev.symbol] = now  # silence is counted from here
                continue
            if type(ev) is not Integrity or not rules:
                continue
            for rule in rules:
                if SEVERITY_RANK[ev.severity] < SEVERITY_RANK[rule.severity]:
                    continue
                if rule.symbols and ev.symbol not in rule.symbols:
                    continue
                subject = f"{ev.symbol} {ev.kind}"
                self._seen[(rule.name, subject)] = (now, f"{ev.severity}: {ev.detail}")

    def reconfigure(self, config: Config) -> None:
        """A reloaded config (``Runtime.config_listeners``): its ``[[alerts]]`` rules from now
        on. A removed rule's open incidents and snooze go with it (nothing more is sent for
        them); a changed rule keeps its incidents, judged by the new thresholds."""
        self.config = config
        self.rules = list(config.alerts)
        names = {r.name for r in self.rules}
        by_name = {r.name: r for r in self.rules}
        for key, incident in list(self.open.items()):
            if key[0] not in names:
                del self.open[key]
            else:
                incident.rule = by_name[key[0]]
        for rule in list(self.snoozed):
            if rule not in names:
                del self.snoozed[rule]

    def snooze(self, rule: str, seconds: float) -> int:
        """Silence ``rule`` for ``seconds`` (0 ends a snooze); returns until when (ns)."""
        if rule not in {r.name for r in self.rules}:
            raise KeyError(rule)
        until = self.clock() + int(seconds * NS_PER_S)
        if seconds <= 0:
            self.snoozed.pop(rule, None)
        else:
            self.snoozed[rule] = until
        return until

    def snoozed_until(self, rule: str) -> int | None:
        """When ``rule``'s snooze ends (ns), ``None`` when it is not snoozed."""
        until = self.snoozed.get(rule)
        if until is not None and until <= self.clock():
            del self.snoozed[rule]
            return None
        return until

    # -- evaluation --------------------------------------------------------------------------
    def evaluate(self) -> list[Notification]:
        """Open and resolve incidents as the rules say now; the notifications to send."""
        now = self.clock()
        for rule in self.rules:
            active = self._active(rule, now)
            for subject, detail in active.items():
                incident = self.open.get((rule.name, subject))
                if incident is None:
                    self.open[(rule.name, subject)] = Incident(rule, subject, detail, now, now)
                else:
                    incident.last_ns, incident.detail = now, detail
            for key, incident in list(self.open.items()):
                if key[0] == rule.name and incident.subject not in active:
                    del self.open[key]
                    if incident.notified:
                        self._queue(incident, "resolved", now)
        for incident in self.open.values():
            if not incident.notified:
                self._queue(incident, "firing", now)
        pending, self._pending = self._pending, []
        return pending

    def _queue(self, incident: Incident, state: str, now: int) -> None:
        rule = incident.rule
        if self.snoozed_until(rule.name) is not None:
            if state == "resolved" or not incident.held:
                self.suppressed[rule.name] += 1
                self._record(incident, state, now, snoozed=True)
            incident.held = True
            return  # a held firing is sent when the snooze ends, if the incident is still open
        incident.notified = state == "firing" or incident.notified
        self._pending.append(self._record(incident, state, now))

    def _record(
        self, incident: Incident, state: str, now: int, snoozed: bool = False
    ) -> Notification:
        note = Notification(
            rule=incident.rule.name,
            when=incident.rule.when,
            subject=incident.subject,
            state="resolved" if state == "resolved" else "firing",
            detail=incident.detail,
            started_ns=incident.started_ns,
            ts_ns=now,
            resolved_ns=now if state == "resolved" else None,
        )
        if snoozed:
            note.delivered = {label(t): "snoozed" for t in incident.rule.targets}
        self.recent.append(note)
        return note

    def _active(self, rule: AlertRule, now: int) -> dict[str, str]:
        if rule.when == "anomaly":
            quiet = int(rule.quiet_s * NS_PER_S)
            return {
                subject: detail
                for (name, subject), (seen, detail) in self._seen.items()
                if name == rule.name and now - seen < quiet
            }
        if rule.when == "disk":
            return self._disk(rule)
        if rule.when == "score":
            return self._score(rule, now)
        rt = self.runtime
        if rt is None:
            return {}
        limit = int(rule.seconds * NS_PER_S)
        if rule.when == "disconnected":
            return {
                name: f"not connected for {(now - since) / NS_PER_S:.0f} s ({p.state.state})"
                for name, p in rt.providers.items()
                if not p.state.connected
                and now - (since := max(p.state.since_ns, rt.started_ns)) > limit
            }
        active: dict[str, str] = {}
        for symbol in self._symbols(rule, list(rt.symbols)):
            since = max(
                rt.last_event_ns.get(symbol, 0), rt.started_ns, self._resumed.get(symbol, 0)
            )
            if symbol in self.halted:
                continue
            if now - since > limit and self._in_session(symbol, now):
                active[symbol] = f"no data for {(now - since) / NS_PER_S:.0f} s during the session"
        return active

    def _symbols(self, rule: AlertRule, symbols: list[str]) -> list[str]:
        return [s for s in symbols if s in rule.symbols] if rule.symbols else symbols

    def _in_session(self, symbol: str, now: int) -> bool:
        code = self.config.backfill.calendar_for(symbol)
        day = ns_to_date(now)
        key = (code, day)
        if key not in self._sessions:
            self._sessions = {k: v for k, v in self._sessions.items() if k[1] == day}
            # Yesterday's session too: a session can run past midnight UTC.
            self._sessions[key] = sessions(code, day - timedelta(days=1), day)
        return any(a <= now < b for s in self._sessions[key] for a, b in s.windows)

    def _disk(self, rule: AlertRule) -> dict[str, str]:
        path = Path(self.config.storage.root)
        while not path.exists() and path != path.parent:
            path = path.parent
        usage = shutil.disk_usage(path)
        free = 100 * usage.free / usage.total
        if free < rule.free_below_pct:
            return {"archive disk": f"{free:.1f} % free (below {rule.free_below_pct:g} %)"}
        return {}

    def refresh_scores(self) -> None:
        """Recompute the scores the ``score`` rules need, where due (reads the archive: the
        running manager calls this in a worker thread)."""
        now = self.clock()
        for rule in self.rules:
            cached = self._score_cache.get(rule.name)
            if rule.when != "score" or (
                cached is not None and now - cached[0] < SCORE_EVERY_S * NS_PER_S
            ):
                continue
            symbols = rule.symbols or [s.symbol for s in self.config.symbol_configs()]
            scores = self.scores(symbols, ns_to_date(now) - timedelta(days=1))
            self._score_cache[rule.name] = (now, scores)

    def _score(self, rule: AlertRule, now: int) -> dict[str, str]:
        self.refresh_scores()
        cached = self._score_cache[rule.name]
        return {
            symbol: f"completeness score {score:g} on the last session day "
            f"(below {rule.score_below:g})"
            for symbol, score in cached[1].items()
            if score < rule.score_below
        }

    def _archive_scores(self, symbols: list[str], day: date) -> dict[str, float]:
        """Each symbol's lowest score on its last session on or before ``day``."""
        from mdc.quality.report import check_completeness

        scores: dict[str, float] = {}
        for symbol in symbols:
            days = check_completeness(self.config, [symbol], day - timedelta(days=7), day)
            last = max((d.day for d in days), default=None)
            if last is not None:
                scores[symbol] = min(d.score for d in days if d.day == last)
        return scores

    # -- delivery ----------------------------------------------------------------------------
    async def deliver(self, notes: list[Notification]) -> None:
        """Send each notification to its rule's targets; failures are counted and logged."""
        rules = {r.name: r for r in self.rules}
        for note in notes:
            for target in rules[note.rule].targets:
                name = label(target)
                try:
                    await self.notifier.send(target, note)
                except DeliveryError as exc:
                    self.failed[(note.rule, target.type)] += 1
                    note.delivered[name] = f"failed: {exc}"
                    log.warning("alert %s not delivered: %s", note.rule, exc)
                else:
                    self.sent[(note.rule, target.type, note.state)] += 1
                    note.delivered[name] = "sent"

    async def run(self, queue: BatchQueue | None = None) -> None:
        """Evaluate every :data:`TICK_S` and after each batch from ``queue``, until it closes."""
        try:
            while True:
                if queue is None:
                    await asyncio.sleep(TICK_S)
                else:
                    try:
                        batch = await asyncio.wait_for(queue.get(), TICK_S)
                    except TimeoutError:
                        batch = None
                    if batch is not None and not batch:
                        return
                    if batch:
                        self.observe(batch)
                await asyncio.to_thread(self.refresh_scores)
                await self.deliver(self.evaluate())
        finally:
            await self.notifier.close()

    # -- views -------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Rules, open incidents and recent notifications (no target URLs)."""
        now = self.clock()
        return {
            "rules": [
                {
                    "name": r.name,
                    "when": r.when,
                    "targets": [label(t) for t in r.targets],
                    "snoozed_until_ns": self.snoozed_until(r.name),
                    "open": sum(1 for k in self.open if k[0] == r.name),
                }
                for r in self.rules
            ],
            "open": [
                {
                    "rule": i.rule.name,
                    "subject": i.subject,
                    "detail": i.detail,
                    "started_ns": i.started_ns,
                    "seconds": (now - i.started_ns) / NS_PER_S,
                    "notified": i.notified,
                }
                for i in self.open.values()
            ],
            "notifications": [n.to_dict() for n in reversed(self.recent)],
        }
