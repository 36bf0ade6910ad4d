"""Settings of the simulated feed: the ``[providers.simulated]`` section.

Depth per symbol is not set here but by ``symbols[i].depth_levels`` (1..50), like for every
provider; the simulator models and publishes exactly that many levels per side.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from msgspec import Meta

from mdc.config import Config, provider_section

MAX_RATE: Final = 10_000_000
"""Events per second across all symbols the config accepts (generation speed is the real cap)."""


class SimulatedConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Everything that shapes the simulated market; the same values give the same data."""

    seed: int = 42
    rate: Annotated[float, Meta(gt=0, le=MAX_RATE)] = 2000.0
    """Events per second across all symbols, paced in real time."""
    batch_ms: Annotated[int, Meta(ge=1, le=10_000)] = 50
    """A frame is emitted every ``batch_ms`` holding the events due since the last one."""
    venue: Annotated[str, Meta(min_length=1, max_length=32)] = "SIM"
    start_prices: dict[str, Annotated[float, Meta(gt=0)]] = {}
    """Overrides of the built-in start prices (``{ SPY = 450.0 }``)."""
    volatility: Annotated[float, Meta(gt=0, le=5)] = 0.25
    """Long-run annualised volatility of each symbol's mid price; clustering moves around it."""
    gap_every_s: Annotated[float, Meta(ge=0)] = 0.0
    """Skip sequence numbers of a random symbol this often (0 = never): exercises gap repair."""
    halt_every_s: Annotated[float, Meta(ge=0)] = 0.0
    """Halt a random symbol this often (0 = never), for ``halt_duration_s``."""
    halt_duration_s: Annotated[float, Meta(gt=0)] = 5.0
    history_events_per_day: Annotated[int, Meta(ge=10, le=10_000_000)] = 20_000
    """Trades plus quotes per symbol and day served by the historical side."""


def simulated_config(config: Config) -> SimulatedConfig:
    """The validated section; errors name the key (``providers.simulated.rate: …``)."""
    return provider_section(config, "simulated", SimulatedConfig)
