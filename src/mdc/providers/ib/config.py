"""``[providers.ib]``: where TWS / IB Gateway listens and what to ask it for.

Every key is also an env var: ``MDC_PROVIDERS__IB__<KEY>`` (``MDC_PROVIDERS__IB__PORT=4002``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

PositiveSeconds = Annotated[float, Meta(gt=0)]
MarketDataType = Literal["live", "frozen", "delayed", "delayed_frozen"]

MARKET_DATA_TYPES: dict[str, int] = {"live": 1, "frozen": 2, "delayed": 3, "delayed_frozen": 4}
"""``reqMarketDataType`` codes (https://interactivebrokers.github.io/tws-api/market_data_type.html)."""


class IbConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535)] = 7497
    """TWS: 7497 paper, 7496 live; IB Gateway: 4002 paper, 4001 live."""
    client_id: Annotated[int, Meta(ge=0)] = 17
    """Unique per API connection to one TWS; the history and search clients use
    ``client_id + 1`` and ``client_id + 2`` so they can run beside ``mdc collect``."""
    account: str = ""
    """Account to report on when the login manages several (empty: IB's default)."""
    market_data_type: MarketDataType = "live"
    """``delayed`` works without market-data subscriptions (15-20 min late)."""
    tick_by_tick: bool = True
    """Trades and quotes from tick-by-tick ``AllLast``/``BidAsk``; false (or when the account's
    tick-by-tick lines run out, error 10190) uses ``reqMktData`` (250 ms snapshots) instead."""
    depth_rows: Annotated[int, Meta(ge=1, le=50)] = 10
    """Rows per side of ``reqMktDepth`` (a symbol's ``depth_levels`` caps it further)."""
    smart_depth: bool = True
    """SmartDepth: one book aggregated over the exchanges (needs TWS 974+ and the venues'
    depth subscriptions); false asks the contract's own exchange."""
    default_exchange: str = "SMART"
    default_currency: str = "USD"
    connect_timeout_s: PositiveSeconds = 10.0
    """Handshake and startup requests (ib_async's own default is 4 s)."""
    request_timeout_s: PositiveSeconds = 60.0
    """Contract details, history and symbol search requests."""
    reconnect_initial_s: PositiveSeconds = 1.0
    reconnect_max_s: PositiveSeconds = 30.0
    max_messages_per_s: Annotated[int, Meta(ge=1, le=50)] = 45
    """ib_async queues requests beyond this per second; TWS disconnects clients above 50/s
    (error 100)."""
    what_to_show: Literal["TRADES", "MIDPOINT", "BID_ASK"] = "TRADES"
    """What backfilled bars are made of; adjusted bars (the default request) are always
    ``ADJUSTED_LAST``, i.e. trades."""
    use_rth: bool = True
    """History from regular trading hours only (false: include pre- and post-market)."""
    history_limits: str = "60/10m"
    """Historical requests across the whole account (IB's pacing: 60 in any 10 minutes)."""
    history_per_contract: str = "5/2s"
    """Per contract and data type (IB: six or more within 2 s is a violation)."""
    history_identical_s: Annotated[float, Meta(ge=0)] = 15.0
    """An identical request is not repeated within this many seconds (IB: 15 s)."""
