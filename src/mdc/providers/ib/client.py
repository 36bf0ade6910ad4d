"""Opening an ib_async connection to TWS / IB Gateway, with errors that say what to do.

The handshake (ib_async ``client.py``, read 2026-12-02): ``API\\0`` and the client's version
range, the server's version and time, ``startApi``, then ``nextValidId`` and ``managedAccounts``
— without both, ``connectAsync`` times out. ``readonly`` with ``StartupFetchNONE`` keeps the
startup to ``reqPositions`` (sent always): market data needs no orders or account downloads.
``RaiseRequestErrors`` makes a failed request raise ``RequestError(code)`` rather than return an
empty result, so an unknown contract (200) and a pacing violation (162) are told apart from
"no data". ib_async throttles its own sends to ``MaxRequests`` per second (TWS allows 50).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from mdc.providers.base import ProviderError, Unreachable
from mdc.providers.ib.config import MARKET_DATA_TYPES, IbConfig

INSTALL_HINT: Final = "the ib provider needs the optional extra: pip install 'mdc[ib]'"
HISTORY_CLIENT: Final = 1
SEARCH_CLIENT: Final = 2
"""Offsets from ``client_id`` for the history and search connections (TWS refuses a second
connection with an id already in use)."""


class TwsUnavailable(Unreachable):
    """Nothing answered on the API port, or the handshake did not complete (retryable)."""


def load_ib_async() -> Any:
    """Import ``ib_async`` or explain how to install it."""
    try:
        import ib_async
    except ImportError as exc:
        raise ProviderError(INSTALL_HINT) from exc
    return ib_async


def no_listener(config: IbConfig) -> str:
    return f"no TWS/IB Gateway on {config.host}:{config.port} — start it and enable API connections"


async def connect(
    config: IbConfig, client_id: int, on_error: Callable[[int, int, str, Any], None] | None = None
) -> Any:
    """A ready ``ib_async.IB``; :class:`TwsUnavailable` when TWS is absent or refuses us.

    ``on_error`` is attached to ``errorEvent`` before the handshake, so it sees the farm notices
    TWS sends right after it."""
    ib_async = load_ib_async()
    ib = ib_async.IB()
    if on_error is not None:
        ib.errorEvent += on_error
    ib.RaiseRequestErrors = True
    ib.client.MaxRequests = config.max_messages_per_s
    try:
        await ib.connectAsync(
            config.host,
            config.port,
            clientId=client_id,
            timeout=config.connect_timeout_s,
            readonly=True,
            account=config.account,
            fetchFields=ib_async.StartupFetchNONE,
        )
    except ConnectionRefusedError:
        raise TwsUnavailable(no_listener(config)) from None
    except TimeoutError:
        raise TwsUnavailable(
            f"TWS/IB Gateway on {config.host}:{config.port} did not complete the API handshake "
            f"within {config.connect_timeout_s:g}s: is client_id {client_id} used by another "
            "program, or is this address missing from the API's trusted IPs?"
        ) from None
    except (OSError, ConnectionError) as exc:
        raise TwsUnavailable(f"{no_listener(config)} ({type(exc).__name__}: {exc})") from None
    ib.reqMarketDataType(MARKET_DATA_TYPES[config.market_data_type])
    return ib
