"""What every sink shares: its position is ``sink-{name}``, a failed pass drops its client."""

from __future__ import annotations

from mdc.config.schema import SinkConfig
from mdc.storage import Store
from mdc.storage.consumer import WalConsumer


class Sink(WalConsumer):
    def __init__(self, store: Store | None, cfg: SinkConfig, id_prefix: str = "") -> None:
        """``store`` None: fed from JetStream (``sinks/stream.py``), where each record's "LSN"
        is the message's stream sequence and ``id_prefix`` names the stream."""
        super().__init__(store, f"sink-{cfg.name}", cfg.batch_records)
        self.label = f"sink {cfg.name}"
        self.cfg = cfg
        self.id_prefix = id_prefix

    def id_of(self, lsn: int, index: int) -> str:
        """The id a bus message carries for event ``index`` of record ``lsn``: the same when the
        record is sent again, so a reader can drop the repeat."""
        return f"{self.id_prefix}{lsn}:{index}"

    async def reset(self) -> None:
        await self.close()  # the next pass connects again
