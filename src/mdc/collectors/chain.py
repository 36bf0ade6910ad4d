"""All per-symbol collectors run over each batch, in order (placeholder: pass-through)."""

from __future__ import annotations

from mdc.domain.events import Event
from mdc.providers.base import Capabilities


class Collectors:
    """Runs book, BBO, trade and sequence state machines over batches."""

    def __init__(self, depth_levels: int = 10, stale_after_ns: int = 0) -> None:
        self.depth_levels = depth_levels

    def register_provider(self, name: str, capabilities: Capabilities) -> None:
        pass

    def process(self, batch: list[Event]) -> list[Event]:
        return batch

    def stats(self) -> dict[str, int]:
        return {}
