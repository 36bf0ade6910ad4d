"""The embedded default feed: a realistic, deterministic simulated market for any symbols.

Live (``stream.py``): trades, quotes and L2 depth at a configurable rate, with gaps and trading
halts on demand. History (``historical.py``): the same market's bars, trades and quotes for any
date range, identical on every call. No network, no credentials: ``mdc collect`` works out of the
box with it, and the benchmarks replay its frames.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.simulated.config import SimulatedConfig

SPEC = ProviderSpec(
    name="simulated",
    description="Simulated market (random walk with volatility clustering, L2 book), no network",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        bars=True,
        max_depth_levels=50,
        asset_classes=("equity",),
        always_open=True,
        seq_scope="symbol",
        seq_contiguous=True,
    ),
    config=SimulatedConfig,
    streaming="mdc.providers.simulated.stream:SimulatedProvider",
    historical="mdc.providers.simulated.historical:SimulatedHistory",
)

__all__ = ["SPEC", "SimulatedConfig"]
