"""The durable pull consumer archive writers and stream-fed sinks share (docs/scaling.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mdc.config.schema import DistributedConfig
from mdc.distributed.connect import BusError

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext


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
