"""Binance REST through the shared client: request weights, the statuses that end a sync.

Read 2026-12-02: https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-api-information
(HTTP 4XX is the sender's fault; 403 is the WAF limit; 429 a broken rate limit, with
``Retry-After``; 418 an IP auto-banned after ignoring 429s, also with ``Retry-After``; 5XX is
Binance's side), https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits
(``REQUEST_WEIGHT`` 6000 per minute per IP, in ``/api/v3/exchangeInfo``'s ``rateLimits``), and
the official SDK binance/binance-connector-python ``clients/spot/src/binance_sdk_spot/rest_api/
api/market_api.py`` (``/api/v3/depth`` weight 5/25/50/250 for limits up to 100/500/1000/5000,
``exchangeInfo`` weight 20). binance.com answers HTTP 451 to clients in restricted locations
(the United States among them): that is not retried — the message names Binance.US.

Binance.US, read 2026-12-03 in its official docs (https://docs.binance.us, source
github.com/binance-us/binance-us-api-docs at 6b62304: ``rest-api.md`` "Rate limiters" and
"Order book", ``web-socket-streams.md``): the same protocol on ``api.binance.us`` and
``stream.binance.us:9443``, but ``REQUEST_WEIGHT`` 1200 per minute, ``/api/v3/depth`` weight
1/5/10/50 for limits up to 100/500/1000/5000 and ``exchangeInfo`` weight 10; streams as on
binance.com (5 incoming messages per second per connection, 1024 streams per connection,
connections closed after 24 h).

Every request goes through one :class:`~mdc.providers.rest.RestClient` whose limiter counts
weight, so snapshots of many symbols (several connections) and symbol search share the budget.
"""

from __future__ import annotations

from typing import Final

import httpx
import msgspec

from mdc.providers.base import ProviderError
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest import RETRY_STATUSES, RestClient

PROVIDER: Final = "binance"
EXCHANGE_INFO_WEIGHT: Final[dict[str, int]] = {"binance": 20, "market-data": 20, "binance-us": 10}
"""``/api/v3/exchangeInfo``'s weight on each site."""
DEPTH_WEIGHTS: Final[dict[str, tuple[int, int, int, int]]] = {
    "binance": (5, 25, 50, 250),
    "market-data": (5, 25, 50, 250),
    "binance-us": (1, 5, 10, 50),
}
"""``/api/v3/depth``'s weight on each site for limits up to 100, 500, 1000 and 5000."""
RETRIED: Final = RETRY_STATUSES | {418}
"""Binance's 418 (IP banned for a while) is waited out like a 429, per its Retry-After."""

SHARED_LIMITER: Final = RateLimiter()
"""Binance limits by IP: every Binance client in this process shares one budget."""


class BinanceRejected(ProviderError):
    """A 4xx the venue will answer again however often it is asked: fatal for a sync."""


def depth_weight(limit: int, site: str = "binance") -> int:
    """Request weight of ``/api/v3/depth`` with ``limit`` levels on ``site``."""
    weights = DEPTH_WEIGHTS[site]
    bands = (100, 500, 1000)
    return next((w for top, w in zip(bands, weights, strict=False) if limit <= top), weights[-1])


def classify(response: httpx.Response) -> ProviderError | None:
    """The fatal 4xx answers, each with what to do; None leaves 429/418/5xx to the retries."""
    status = response.status_code
    if status == 451:
        return BinanceRejected(
            "binance: HTTP 451: binance.com refuses requests from this location; US users "
            'set providers.binance.site = "binance-us" (Binance.US)'
        )
    if status == 403:
        return BinanceRejected(
            "binance: HTTP 403: the request broke Binance's web application firewall limit; "
            "wait, and lower snapshot_limit or the number of depth symbols"
        )
    if 400 <= status < 500 and status not in RETRIED:
        detail = response.text[:200].strip()
        return BinanceRejected(
            f"binance: HTTP {status} from {response.request.url.path}: {detail}; check the "
            "symbols and providers.binance.snapshot_limit"
        )
    return None


def binance_client(config: BinanceConfig, limiter: RateLimiter | None = None) -> RestClient:
    """A REST client for ``config``'s site whose limits are in request weight."""
    settings = config.rest
    limits = config.rate_limits()
    if limits != settings.rate_limits:
        settings = msgspec.structs.replace(settings, rate_limits=limits)
    return RestClient(
        PROVIDER,
        settings,
        limiter or SHARED_LIMITER,
        classify=classify,
        retry_statuses=RETRIED,
    )
