"""What every sink shares: its position is ``sink-{name}``, a failed pass drops its client."""

from __future__ import annotations

from mdc.config.schema import SinkConfig
from mdc.storage import Store
from mdc.storage.consumer import WalConsumer


class Sink(WalConsumer):
    def __init__(self, store: Store, cfg: SinkConfig) -> None:
        super().__init__(store, f"sink-{cfg.name}", cfg.batch_records)
        self.label = f"sink {cfg.name}"
        self.cfg = cfg

    async def reset(self) -> None:
        await self.close()  # the next pass connects again
