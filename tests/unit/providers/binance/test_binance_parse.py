"""Binance combined-stream frames → events (frames from BINANCE.ws.1.0 and the docs)."""

from __future__ import annotations

import msgspec
import pytest

from mdc.config.schema import SymbolConfig
from mdc.domain.events import Bar, Quote, Trade
from mdc.providers.base import ProviderError
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.parse import BinanceParser
from mdc.providers.binance.stream import BinanceProtocol

TS = 1_700_000_000_000_000_000
AGG_TRADE = (
    '{"stream":"nknusdt@aggTrade","data":{"e":"aggTrade","E":1633998514905,"s":"NKNUSDT",'
    '"a":27592186,"p":"0.35250000","q":"1014.00000000","f":39457045,"l":39457045,'
    '"T":1633998514904,"m":false,"M":true}}'
)
BOOK_TICKER = (
    '{"stream":"nknusdt@bookTicker","data":{"u":499869768,"s":"NKNUSDT","b":"0.35210000",'
    '"B":"672.00000000","a":"0.35260000","A":"3199.00000000"}}'
)


KLINE = (  # from BINANCE.ws.1.0
    '{"stream":"nknusdt@kline_1m","data":{"e":"kline","E":1633998523963,"s":"NKNUSDT","k":'
    '{"t":1633998480000,"T":1633998539999,"s":"NKNUSDT","i":"1m","f":19862761,"L":19862790,'
    '"o":"0.35270000","c":"0.35280000","h":"0.35280000","l":"0.35220000","v":"25877.00000000",'
    '"n":30,"x":false,"q":"9116.04600000","V":"58.00000000","Q":"20.46240000","B":"0"}}}'
)


def parser() -> BinanceParser:
    return BinanceParser({"NKNUSDT": "NKN-USDT"})


def test_agg_trade() -> None:
    (trade,) = parser().parse(AGG_TRADE, TS)
    assert trade == Trade(
        symbol="NKN-USDT",
        venue="binance",
        provider="binance",
        ts_event=1633998514904_000_000,
        ts_recv=TS,
        price=0.3525,
        size=1014.0,
        side="buy",  # the buyer was not the maker: the buyer took liquidity
        trade_id="27592186",
    )


def test_raw_trade_seller_aggressor() -> None:
    frame = (
        '{"stream":"nknusdt@trade","data":{"e":"trade","E":1,"s":"NKNUSDT","t":12345,'
        '"p":"0.001","q":"100","T":2,"m":true,"M":true}}'
    )
    (trade,) = parser().parse(frame, TS)
    assert isinstance(trade, Trade)
    assert (trade.side, trade.trade_id, trade.ts_event) == ("sell", "12345", 2_000_000)


def test_book_ticker_is_a_quote() -> None:
    (quote,) = parser().parse(BOOK_TICKER, TS)
    assert quote == Quote(
        symbol="NKN-USDT",
        venue="binance",
        provider="binance",
        ts_event=TS,
        ts_recv=TS,
        bid_price=0.3521,
        bid_size=672.0,
        ask_price=0.3526,
        ask_size=3199.0,
    )


def test_acks_and_errors() -> None:
    p = parser()
    assert p.parse('{"result":null,"id":1}', TS) == []
    assert p.parse('{"stream":"nknusdt@miniTicker","data":{"e":"24hrMiniTicker"}}', TS) == []
    assert p.ignored == 2
    with pytest.raises(ProviderError, match="binance request 2 failed"):
        p.parse('{"error":{"code":2,"msg":"Invalid request"},"id":2}', TS)


def test_only_a_closed_kline_is_a_bar() -> None:
    p = parser()
    assert p.parse(KLINE, TS) == []  # the capture's frame: the minute is still running
    assert p.ignored == 1
    (bar,) = p.parse(KLINE.replace('"x":false', '"x":true'), TS)
    assert bar == Bar(
        symbol="NKN-USDT",
        venue="binance",
        provider="binance",
        ts_event=1633998480000_000_000,
        ts_recv=TS,
        interval="1m",
        open=0.3527,
        high=0.3528,
        low=0.3522,
        close=0.3528,
        volume=25877.0,
        vwap=9116.046 / 25877.0,
        trades=30,
    )
    empty = KLINE.replace('"x":false', '"x":true').replace('"v":"25877.00000000"', '"v":"0"')
    assert p.parse(empty, TS)[0].vwap is None  # type: ignore[union-attr]


def test_bars_are_subscribed_per_symbol_when_configured() -> None:
    protocol = BinanceProtocol(BinanceConfig(bars=("1m", "1h")))
    (request,) = protocol.subscribe_messages([SymbolConfig(symbol="NKN-USDT", depth=False)])
    params = msgspec.json.decode(request)["params"]
    assert params == [
        "nknusdt@aggTrade",
        "nknusdt@bookTicker",
        "nknusdt@kline_1m",
        "nknusdt@kline_1h",
    ]
