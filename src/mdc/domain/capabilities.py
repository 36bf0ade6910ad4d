"""What a provider can deliver, as plain data every layer may read.

The collectors size their trackers from it (``seq_scope``), config validation and the failover
chain check requests against it, the CLI and the dashboard show it. It lives here, below the
providers, so none of them has to import a provider to learn what one offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SeqScope = Literal["none", "symbol", "feed"]


@dataclass(frozen=True)
class Capabilities:
    """What a provider can deliver; the CLI, config validation and failover read this."""

    trades: bool = False
    quotes: bool = False
    depth: bool = False
    bars: bool = False
    max_depth_levels: int = 0
    """Deepest book the provider can deliver; 0 means the whole book."""
    asset_classes: tuple[str, ...] = ("equity",)
    always_open: bool = False
    """The feed streams around the clock whatever its asset classes (the simulated market):
    health does not hold its silence to exchange hours. Crypto feeds are always open anyway."""
    corporate_actions: bool = False
    seq_scope: SeqScope = "none"
    """Where ``seq`` is defined: per symbol, per feed (connection), or not at all."""
    seq_contiguous: bool = False
    """True when consecutive messages in the scope differ by exactly 1, so a hole is a gap.
    False when ids only increase (holes are normal and must not raise gaps)."""
