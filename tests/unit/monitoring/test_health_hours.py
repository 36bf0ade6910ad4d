"""Which feeds health holds to exchange hours: the capabilities say, not a list of names."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.support.sinks import NullSink

from mdc.config.schema import Config
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.monitoring.health import HealthMonitor
from mdc.providers.registry import get_spec
from mdc.providers.simulated.stream import SimulatedProvider

SATURDAY = rfc3339_ns("2024-03-16T15:00:00Z")
TUESDAY_OPEN = rfc3339_ns("2024-03-12T14:31:00Z")  # 10:31 in New York


def market_open(provider: Any, ts: int) -> bool:
    runtime: Any = SimpleNamespace(providers={"feed": provider})
    return HealthMonitor(Config(), runtime=runtime, clock=lambda: ts)._market_open()


def test_equity_feeds_follow_the_nyse_and_the_others_never_close() -> None:
    polygon = SimpleNamespace(spec=get_spec("polygon"))
    assert not market_open(polygon, SATURDAY)
    assert market_open(polygon, TUESDAY_OPEN)
    assert market_open(SimpleNamespace(spec=get_spec("coinbase")), SATURDAY)  # crypto
    simulated = SimulatedProvider(Config(), NullSink())  # equities, but always_open
    assert simulated.spec.capabilities.asset_classes == ("equity",)
    assert market_open(simulated, SATURDAY)
