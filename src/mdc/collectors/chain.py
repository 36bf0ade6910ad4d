"""All per-symbol collectors run over each batch, in order (placeholder: pass-through)."""

from __future__ import annotations

from mdc.domain.events import Event


class Collectors:
    """Runs book, BBO, trade and sequence state machines over batches."""

    def process(self, batch: list[Event]) -> list[Event]:
        return batch
