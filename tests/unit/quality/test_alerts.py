"""Alert rules against a real local HTTP receiver and a real SMTP server (aiosmtpd): exactly one
``firing`` per incident, a ``resolved`` when it ends, nothing while snoozed. Clocks injected."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from tests.support.net import free_port
from tests.support.receiver import Receiver

from mdc.config.schema import AlertRule, AlertTarget, Config
from mdc.domain.events import Integrity, Status
from mdc.domain.time import NS_PER_S
from mdc.providers.base import StreamingProvider
from mdc.providers.simulated.stream import SimulatedProvider
from mdc.quality.alerts import AlertManager

T0 = 1_733_000_000 * NS_PER_S
S = NS_PER_S


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@dataclass
class FakeRuntime:
    """The parts of a running collector the rules read."""

    symbols: dict[str, Any]
    started_ns: int = T0
    last_event_ns: dict[str, int] = field(default_factory=dict)
    providers: dict[str, StreamingProvider] = field(default_factory=dict)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


def step(manager: AlertManager, clock: Clock, at_s: float) -> int:
    """Move the clock to ``T0 + at_s`` and evaluate and deliver; notifications sent."""
    clock.now = T0 + int(at_s * S)
    notes = manager.evaluate()
    asyncio.run(manager.deliver(notes))
    return len(notes)


def test_gap_alert_once_per_incident_resolved_and_snoozed(receiver: Receiver) -> None:
    targets = [
        AlertTarget(type="webhook", webhook=f"{receiver.url}/hook"),
        AlertTarget(type="slack", webhook=f"{receiver.url}/slack"),
        AlertTarget(type="discord", webhook=f"{receiver.url}/discord"),
    ]
    rule = AlertRule(name="btc-silent", when="gap", seconds=60, targets=targets)
    config = Config(symbols=["BTC/USD"], alerts=[rule])  # 24/7: always in session
    runtime = FakeRuntime(symbols={"BTC/USD": None}, last_event_ns={"BTC/USD": T0})
    clock = Clock()
    manager = AlertManager(config, runtime, clock)

    assert step(manager, clock, 30) == 0
    assert step(manager, clock, 61) == 1  # silent 61 s: one incident, three targets
    assert step(manager, clock, 90) == 0  # the same incident: no repeat
    assert step(manager, clock, 120) == 0
    assert [p for p, _ in receiver.posts] == ["/hook", "/slack", "/discord"]
    hook, slack, discord = (body for _, body in receiver.posts)
    assert (hook["rule"], hook["state"], hook["subject"]) == ("btc-silent", "firing", "BTC/USD")
    assert slack == {"text": "[FIRING] btc-silent: BTC/USD: no data for 61 s during the session"}
    assert discord == {"content": slack["text"], "username": "mdc"}

    runtime.last_event_ns["BTC/USD"] = T0 + 125 * S
    assert step(manager, clock, 130) == 1
    assert [
        b.get("state") or b.get("text", b.get("content"))[:10] for _, b in receiver.posts[3:]
    ] == [
        "resolved",
        "[RESOLVED]",
        "[RESOLVED]",
    ]

    manager.snooze("btc-silent", 600)  # until T0 + 730 s
    assert step(manager, clock, 200) == 0  # silent 75 s, snoozed: held
    runtime.last_event_ns["BTC/USD"] = T0 + 250 * S
    assert step(manager, clock, 260) == 0  # over while snoozed: nothing at all
    assert step(manager, clock, 400) == 0  # silent again 150 s, still snoozed
    assert len(receiver.posts) == 6
    assert step(manager, clock, 731) == 1  # the snooze ends with the incident open: told now
    assert len(receiver.posts) == 9 and receiver.posts[6][1]["state"] == "firing"
    assert manager.sent[("btc-silent", "slack", "firing")] == 2
    assert manager.sent[("btc-silent", "slack", "resolved")] == 1
    listed = [(n["state"], n["delivered"]) for n in manager.status()["notifications"]]
    host = receiver.url.removeprefix("http://")
    names = [f"webhook {host}", f"slack {host}", f"discord {host}"]
    assert listed[0] == ("firing", dict.fromkeys(names, "sent"))
    # Held while snoozed: the two firings (their incidents were never announced, so the end
    # of the first was not either).
    assert [s for s, d in listed if "snoozed" in d.values()] == ["firing", "firing"]


def test_a_refusing_target_is_counted_not_raised(receiver: Receiver) -> None:
    dead = f"http://127.0.0.1:{free_port()}/nobody"
    rule = AlertRule(
        name="r", when="gap", seconds=1, targets=[AlertTarget(type="webhook", webhook=dead)]
    )
    config = Config(symbols=["BTC/USD"], alerts=[rule])
    runtime = FakeRuntime(symbols={"BTC/USD": None}, last_event_ns={"BTC/USD": T0})
    clock = Clock()
    manager = AlertManager(config, runtime, clock)
    assert step(manager, clock, 5) == 1
    assert manager.failed[("r", "webhook")] == 1
    (note,) = manager.status()["notifications"]
    assert "ConnectError" in next(iter(note["delivered"].values()))
    assert "/nobody" not in json.dumps(manager.status())  # no target URL paths shown


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(envelope.content)
        return "250 OK"


def test_anomaly_alert_by_email() -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        target = AlertTarget(
            type="email",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            mail_from="mdc@example.org",
            mail_to=["ops@example.org"],
        )
        rule = AlertRule(
            name="bad-data", when="anomaly", severity="error", quiet_s=300, targets=[target]
        )
        clock = Clock()
        manager = AlertManager(Config(alerts=[rule]), None, clock)

        def finding(severity: str) -> Integrity:
            return Integrity(
                symbol="AAPL",
                venue="V",
                provider="p",
                ts_event=clock.now,
                ts_recv=clock.now,
                kind="price_spike",
                severity=severity,  # type: ignore[arg-type]
                detail="price 105 is 120 robust deviations from the median 100",
            )

        manager.observe([finding("warning")])  # below the rule's severity
        assert step(manager, clock, 1) == 0
        for at in (10, 20, 200):  # three spikes within the quiet time: one incident
            clock.now = T0 + at * S
            manager.observe([finding("error")])
            assert step(manager, clock, at) == (1 if at == 10 else 0)
        assert step(manager, clock, 499) == 0  # 299 s after the last one: still open
        assert step(manager, clock, 500) == 1  # quiet for 300 s: resolved
    finally:
        smtp.stop()
    firing, resolved = (message_from_bytes(m, policy=policy.default) for m in inbox.messages)
    assert firing["Subject"] == "[mdc] FIRING bad-data: AAPL price_spike"
    assert firing["To"] == "ops@example.org"
    body = firing.get_body()
    assert body is not None
    assert "error: price 105 is 120 robust deviations" in body.get_content()
    assert resolved["Subject"] == "[mdc] RESOLVED bad-data: AAPL price_spike"


def test_disconnected_disk_and_score_rules(receiver: Receiver) -> None:
    hook = [AlertTarget(type="webhook", webhook=f"{receiver.url}/hook")]
    rules = [
        AlertRule(name="down", when="disconnected", seconds=30, targets=hook),
        AlertRule(name="disk", when="disk", free_below_pct=99.99, targets=hook),
        AlertRule(name="score", when="score", score_below=90, symbols=["AAPL"], targets=hook),
    ]
    config = Config(symbols=["AAPL"], alerts=rules)
    provider = SimulatedProvider(config, None)  # type: ignore[arg-type]  # never run: down
    runtime = FakeRuntime(symbols={"AAPL": None}, providers={"simulated": provider})
    scores = {"AAPL": 72.5}
    asked: list[tuple[list[str], date]] = []

    def score_of(symbols: list[str], day: date) -> dict[str, float]:
        asked.append((symbols, day))
        return dict(scores)

    clock = Clock()
    manager = AlertManager(config, runtime, clock, scores=score_of)
    assert step(manager, clock, 10) == 2  # disk (any real disk has < 99.99 % free) and score
    assert step(manager, clock, 31) == 1  # down 31 s
    subjects = sorted((b["rule"], b["subject"], b["state"]) for _, b in receiver.posts)
    assert subjects == [
        ("disk", "archive disk", "firing"),
        ("down", "simulated", "firing"),
        ("score", "AAPL", "firing"),
    ]
    assert asked == [(["AAPL"], date(2024, 11, 29))]  # the day before T0, once
    provider.state.connected = True
    scores["AAPL"] = 95.0  # repaired; seen at the next re-check (15 minutes on)
    assert step(manager, clock, 60) == 1
    assert step(manager, clock, 10 + 900) == 1
    resolved = [(b["rule"], b["state"]) for _, b in receiver.posts[3:]]
    assert resolved == [("down", "resolved"), ("score", "resolved")]
    assert len(asked) == 2


def test_a_halted_symbol_is_not_a_gap(receiver: Receiver) -> None:
    rule = AlertRule(
        name="silent",
        when="gap",
        seconds=60,
        targets=[AlertTarget(type="webhook", webhook=f"{receiver.url}/hook")],
    )
    config = Config(symbols=["BTC/USD"], alerts=[rule])
    runtime = FakeRuntime(symbols={"BTC/USD": None}, last_event_ns={"BTC/USD": T0})
    clock = Clock()
    manager = AlertManager(config, runtime, clock)

    def status(state: str) -> Status:
        return Status(
            symbol="BTC/USD",
            venue="V",
            provider="p",
            ts_event=clock.now,
            ts_recv=clock.now,
            kind="trading",
            state=state,
        )

    clock.now = T0 + 10 * S
    manager.observe([status("halted")])
    assert step(manager, clock, 300) == 0  # halted for minutes: no gap
    clock.now = T0 + 400 * S
    manager.observe([status("resumed")])
    assert step(manager, clock, 450) == 0  # silence counts from the resumption
    assert step(manager, clock, 461) == 1
    assert receiver.posts[0][1]["detail"] == "no data for 61 s during the session"


def test_a_reload_changes_the_rules_live(receiver: Receiver) -> None:
    """``reconfigure`` (a hot reload): a new threshold judges the open incident, a removed
    rule takes its incident and snooze with it and sends nothing more, a new rule fires."""
    target = [AlertTarget(type="webhook", webhook=f"{receiver.url}/hook")]
    silent = AlertRule(name="silent", when="gap", seconds=60, targets=target)
    runtime = FakeRuntime(symbols={"BTC/USD": None}, last_event_ns={"BTC/USD": T0})
    clock = Clock()
    manager = AlertManager(Config(symbols=["BTC/USD"], alerts=[silent]), runtime, clock)
    assert step(manager, clock, 61) == 1
    longer = AlertRule(name="silent", when="gap", seconds=300, targets=target)
    manager.reconfigure(Config(symbols=["BTC/USD"], alerts=[longer]))
    assert step(manager, clock, 90) == 1  # silent 90 s < 300 s: resolved by the new rule
    assert [b["state"] for _, b in receiver.posts] == ["firing", "resolved"]
    assert step(manager, clock, 400) == 1  # silent 400 s: fires again under the new rule
    manager.snooze("silent", 600)
    other = AlertRule(name="disk", when="disk", free_below_pct=0.001, targets=target)
    manager.reconfigure(Config(symbols=["BTC/USD"], alerts=[other]))
    assert manager.open == {} and manager.snoozed == {}
    assert step(manager, clock, 500) == 0  # the removed rule says nothing more
    assert len(receiver.posts) == 3
    with pytest.raises(KeyError):
        manager.snooze("silent", 60)
