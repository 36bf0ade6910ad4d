"""The durable pull consumer archive writers and stream-fed sinks share (docs/scaling.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from mdc.config.schema import DistributedConfig
from mdc.distributed.connect import BusError

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S: Final = 0.5
LAG_POLL_S: Final = 1.0


async def subscribe_durable(
    js: JetStreamContext, cfg: DistributedConfig, durable: str, filter_subject: str
) -> Any:
    """Pull-subscribe as ``durable`` (created when missing: explicit acks, ``ack_wait_s``,
    from the stream's start, one filter subject)."""
    from nats.js import api

    config = api.ConsumerConfig(
        durable_name=durable,
        ack_policy=api.AckPolicy.EXPLICIT,
        deliver_policy=api.DeliverPolicy.ALL,
        ack_wait=cfg.ack_wait_s,
        max_ack_pending=max(cfg.fetch_batch * 64, 10_000),
        filter_subject=filter_subject,
    )
    try:
        return await js.pull_subscribe(
            filter_subject, durable=durable, stream=cfg.stream, config=config
        )
    except Exception as exc:
        raise BusError(
            f"cannot consume {filter_subject!r} as durable {durable!r} on stream "
            f"{cfg.stream}: {exc}; an existing durable keeps the filter it was made "
            "with: use another --durable name or the same --filter"
        ) from exc


class DurableReader:
    """What a consumer of one durable tracks around its fetches: the batches it fetched and
    JetStream's view of what is left (pending, awaiting ack), for ``/metrics``."""

    def __init__(self, cfg: DistributedConfig, durable: str, filter_subject: str | None) -> None:
        self.cfg = cfg
        self.durable = durable
        self.filter = filter_subject or f"{cfg.subject_prefix}.>"
        self._stop = asyncio.Event()
        self.fetched = 0
        self.connected = False
        self.lag_messages: int | None = None
        """The durable's ``num_pending`` (in the stream, not yet delivered), polled."""
        self.ack_pending: int | None = None
        self._last_info = 0.0

    def stop(self) -> None:
        self._stop.set()

    async def fetch(self, psub: Any) -> list[Msg]:
        """The next batch, or none after ``FETCH_TIMEOUT_S``; a failed fetch (a server restart:
        the client reconnects) is logged and retried by the next call."""
        from nats.errors import TimeoutError as NatsTimeout

        try:
            msgs: list[Msg] = await psub.fetch(self.cfg.fetch_batch, timeout=FETCH_TIMEOUT_S)
        except (TimeoutError, NatsTimeout):
            return []
        except Exception as exc:
            log.warning("fetch from %s failed: %s; retrying", self.cfg.stream, exc)
            await asyncio.sleep(FETCH_TIMEOUT_S)
            return []
        self.fetched += len(msgs)
        return msgs

    async def poll_lag(self, psub: Any) -> None:
        """The durable's pending counts from JetStream, at most every ``LAG_POLL_S``."""
        now = time.monotonic()
        if now - self._last_info < LAG_POLL_S:
            return
        self._last_info = now
        try:
            info = await psub.consumer_info()
        except Exception as exc:  # an outage: the figures keep their last value
            log.debug("consumer info failed: %s", exc)
            return
        self.lag_messages = int(info.num_pending or 0)
        self.ack_pending = int(info.num_ack_pending or 0)
