"""What TWS error codes mean for a collector, in words a user can act on.

Codes and texts from https://interactivebrokers.github.io/tws-api/message_codes.html and
https://interactivebrokers.github.io/tws-api/historical_limitations.html (read 2026-12-02); how
ib_async reports them (``Wrapper.error``: codes 2100-2199 and a few others are warnings, every
code reaches ``IB.errorEvent(reqId, code, text, contract)``) from its ``wrapper.py``.
"""

from __future__ import annotations

from typing import Final

CONNECTIVITY_LOST: Final = 1100
RESTORED_DATA_LOST: Final = 1101
RESTORED_DATA_KEPT: Final = 1102
FARM_CODES: Final = frozenset({2103, 2104, 2105, 2106, 2107, 2108, 2157, 2158})
"""Data-farm notices: broken (2103 market data, 2105 HMDS, 2157 sec-def), OK (2104, 2106, 2158),
inactive but available on demand (2107, 2108)."""
FARM_OK: Final = frozenset({2104, 2106, 2158})
FARM_INACTIVE: Final = frozenset({2107, 2108})
TICK_BY_TICK_LINES: Final = 10190
DEPTH_LINES: Final = 309
DEPTH_RESET: Final = 317
NO_SECURITY: Final = 200
HISTORICAL_ERROR: Final = 162
NOT_SUBSCRIBED: Final = 354
COMPETING_SESSION: Final = 10197
MESSAGE_RATE: Final = 100

HINTS: Final[dict[int, str]] = {
    CONNECTIVITY_LOST: "TWS lost its connection to IB's servers; data resumes when it is back",
    RESTORED_DATA_LOST: "TWS reconnected to IB but dropped the subscriptions; resubscribing",
    RESTORED_DATA_KEPT: "TWS reconnected to IB with the subscriptions kept",
    COMPETING_SESSION: (
        "no market data while another session of this login is live (TWS, the mobile app or "
        "the web portal elsewhere): log out there or use a second username for the API"
    ),
    NOT_SUBSCRIBED: (
        "the account has no market-data subscription for this contract: subscribe in Client "
        'Portal (Settings > Market Data Subscriptions) or set market_data_type = "delayed"'
    ),
    NO_SECURITY: (
        "IB knows no contract by this key: check the symbol, or spell it "
        "SYMBOL:SECTYPE:EXCHANGE:CURRENCY[:EXPIRY] (ES:FUT:CME:USD:202403)"
    ),
    HISTORICAL_ERROR: (
        "historical data service error (pacing violation, no data, or an invalid "
        "duration/bar-size step)"
    ),
    MESSAGE_RATE: (
        "more than 50 API messages per second; TWS disconnects clients that keep it up "
        "(lower max_messages_per_s)"
    ),
    TICK_BY_TICK_LINES: "no tick-by-tick lines left; this symbol falls back to reqMktData",
    DEPTH_LINES: "no market-depth lines left for this symbol (lines / 100, at least 3)",
    DEPTH_RESET: "TWS reset the depth book; it is rebuilt from the next rows",
}


def describe(code: int, text: str) -> str:
    """``error <code>: <TWS text> — <what it means>`` for logs, status and exceptions."""
    hint = HINTS.get(code)
    return f"error {code}: {text}" + (f" — {hint}" if hint else "")


def is_pacing(code: int, text: str) -> bool:
    """162 covers several historical failures; only this text is a pacing violation."""
    return code == HISTORICAL_ERROR and "pacing violation" in text.lower()


def is_no_data(code: int, text: str) -> bool:
    return code == HISTORICAL_ERROR and "returned no data" in text.lower()
