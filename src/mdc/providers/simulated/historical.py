"""History of the simulated market: bars, trades and quotes for any date range, every call alike.

The simulated venue trades on weekdays, 09:30–16:00 America/New_York (no holiday calendar). Each
symbol has one daily path (open and close of every session from 1990 to 2099, a random walk with
GARCH volatility anchored at its start price on 2024-01-02); each session's minute bars are a
Brownian bridge from that open to that close with a U-shaped intraday volatility and volume
profile. Coarser bars aggregate the minute bars, so a day's ``1d`` bar equals its ``1m`` bars
rolled up. Trades and quotes of a session come from the live model (``market.py``) whose fair
price follows the minute path, so they track the bars without matching them tick for tick.

Everything is derived from ``(seed, symbol, date)``: a day's data does not depend on the range it
was requested in. Historical events carry ``ts_recv == ts_event`` (nothing was received live).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import ClassVar, Final
from zoneinfo import ZoneInfo

import numpy as np

from mdc.config import Config, SymbolConfig
from mdc.domain.events import Bar, Quote, Trade
from mdc.domain.time import NS_PER_S, date_to_ns, datetime_to_ns
from mdc.providers.base import HistoricalProvider, ProviderSpec, UnsupportedRequest
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.config import SimulatedConfig, simulated_config
from mdc.providers.simulated.market import Market, start_price, symbol_seed, ticks_per_unit
from mdc.providers.simulated.parse import PROVIDER, parse_frame
from mdc.providers.simulated.wire import encode_frame

FIRST_DAY: Final = date(1990, 1, 1)
"""A Monday: weekday indices count from here."""
LAST_DAY: Final = date(2099, 12, 31)
ANCHOR_DAY: Final = date(2024, 1, 2)
"""The session that opens at the symbol's start price."""
TZ: Final = ZoneInfo("America/New_York")
SESSION_OPEN: Final = time(9, 30)
SESSION_MINUTES: Final = 390
SUBSTEPS: Final = 4
"""Path points per minute: a minute's high and low are the extremes of these."""
TRADING_DAYS_PER_YEAR: Final = 252
OVERNIGHT_VAR_SHARE: Final = 0.2
"""Share of a day's variance that happens between sessions (the opening gap)."""
GARCH_ALPHA: Final = 0.08
GARCH_BETA: Final = 0.9
INTRADAY_U: Final = 1.5
"""Volatility and volume at the open and close relative to midday: the intraday U shape."""
VOLUME_NOISE: Final = 0.5
"""Lognormal sigma of minute volumes around the profile."""
AVG_TRADE_SIZE: Final = 150
DAILY_VOLUME: Final[dict[str, float]] = {
    "SPY": 75e6,
    "QQQ": 45e6,
    "AAPL": 55e6,
    "MSFT": 22e6,
    "AMZN": 45e6,
    "NVDA": 45e6,
    "TSLA": 95e6,
}
"""Typical shares per day of busy tickers; others get 0.5M–20M from a name hash."""
DEFAULT_VOLUME_RANGE: Final = (0.5e6, 20e6)
MAX_INTRADAY_MINUTES: Final = 24 * 60
PAGE_EVENTS: Final = 10_000
"""Trades or quotes per yielded page."""

_INTERVAL = re.compile(r"^(?P<n>[1-9]\d*)(?P<unit>m|h|d)$")


class SimulatedHistory(HistoricalProvider):
    """Serves ``bars``, ``trades`` and ``quotes`` for any symbol; corporate actions: none."""

    spec: ClassVar[ProviderSpec] = SPEC

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.settings = simulated_config(config)

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        """Bars from ``start`` to ``end`` inclusive, one page per session (one page per
        month of sessions for ``1d``); ``interval`` is ``Nm``, ``Nh`` or ``1d``."""
        minutes = interval_minutes(interval)
        page: list[Bar] = []
        month: tuple[int, int] | None = None
        for day in sessions(start, end):
            bars = day_bars(self.settings, symbol, day, interval, minutes, adjusted)
            if minutes is not None:
                yield bars
                continue
            if month is not None and (day.year, day.month) != month:
                yield page
                page = []
            month = (day.year, day.month)
            page.extend(bars)
        if page:
            yield page

    async def trades(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Trade]]:
        for day in sessions(start, end):
            trades = [e for e in day_ticks(self.settings, symbol, day) if isinstance(e, Trade)]
            for i in range(0, len(trades), PAGE_EVENTS):
                yield trades[i : i + PAGE_EVENTS]

    async def quotes(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Quote]]:
        for day in sessions(start, end):
            quotes = [e for e in day_ticks(self.settings, symbol, day) if isinstance(e, Quote)]
            for i in range(0, len(quotes), PAGE_EVENTS):
                yield quotes[i : i + PAGE_EVENTS]


# -- calendar ------------------------------------------------------------------------------------


def sessions(start: date, end: date) -> Iterator[date]:
    """Weekdays from ``start`` to ``end`` inclusive, within the simulated history."""
    if start < FIRST_DAY or end > LAST_DAY:
        raise UnsupportedRequest(
            f"simulated history covers {FIRST_DAY}..{LAST_DAY}, asked for {start}..{end}"
        )
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def weekday_index(day: date) -> int:
    weeks, rest = divmod(day.toordinal() - FIRST_DAY.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def session_open_ns(day: date) -> int:
    return datetime_to_ns(datetime.combine(day, SESSION_OPEN, tzinfo=TZ))


def interval_minutes(interval: str) -> int | None:
    """Minutes per bar, or None for daily bars; rejects what the simulator cannot serve."""
    match = _INTERVAL.match(interval)
    if match is None:
        raise UnsupportedRequest(f"simulated bars: interval must be Nm, Nh or 1d, got {interval!r}")
    n, unit = int(match["n"]), match["unit"]
    if unit == "d":
        if n != 1:
            raise UnsupportedRequest(f"simulated bars: only 1d daily bars, got {interval!r}")
        return None
    minutes = n * 60 if unit == "h" else n
    if minutes > MAX_INTRADAY_MINUTES:
        raise UnsupportedRequest(f"simulated bars: intraday bars up to 24h, got {interval!r}")
    return minutes


# -- daily path ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyPath:
    """Open, close and GARCH variance of every session, by weekday index."""

    opens: list[float]
    closes: list[float]
    variances: list[float]


@lru_cache(maxsize=64)
def daily_path(seed: int, symbol: str, price: float, volatility: float) -> DailyPath:
    """The symbol's sessions 1990–2099, walked forward and backward from the anchor day."""
    count = weekday_index(LAST_DAY) + 1
    anchor = weekday_index(ANCHOR_DAY)
    long_run = volatility * volatility / TRADING_DAYS_PER_YEAR
    omega = long_run * (1.0 - GARCH_ALPHA - GARCH_BETA)
    opens = [0.0] * count
    closes = [0.0] * count
    variances = [0.0] * count
    for direction, days in ((1, range(anchor, count)), (-1, range(anchor - 1, -1, -1))):
        rng = random.Random(symbol_seed(seed, symbol, f"daily{direction}"))
        var = long_run
        level = price  # forward: the previous close; backward: the next open
        for i in days:
            gap = math.sqrt(var * OVERNIGHT_VAR_SHARE) * rng.gauss()
            move = math.sqrt(var * (1.0 - OVERNIGHT_VAR_SHARE)) * rng.gauss()
            variances[i] = var
            if direction > 0:
                opens[i] = price if i == anchor else level * math.exp(gap)
                closes[i] = level = opens[i] * math.exp(move)
            else:
                closes[i] = level * math.exp(-gap)
                opens[i] = level = closes[i] * math.exp(-move)
            ret = gap + move
            var = omega + GARCH_ALPHA * ret * ret + GARCH_BETA * var
    return DailyPath(opens, closes, variances)


def _path(settings: SimulatedConfig, symbol: str) -> DailyPath:
    return daily_path(
        settings.seed,
        symbol,
        start_price(symbol, settings.start_prices),
        settings.volatility,
    )


def _day_rng(settings: SimulatedConfig, symbol: str, day: date, what: str) -> np.random.Generator:
    digest = hashlib.sha256(symbol_seed(settings.seed, symbol, f"{what}:{day}").encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def _profile(n: int) -> np.ndarray:
    """U-shaped weights over the session, mean 1."""
    x = np.linspace(-1.0, 1.0, n)
    weights = 1.0 + (INTRADAY_U - 1.0) * x * x
    return np.asarray(weights / weights.mean())


def daily_volume(symbol: str) -> float:
    if symbol in DAILY_VOLUME:
        return DAILY_VOLUME[symbol]
    low, high = DEFAULT_VOLUME_RANGE
    fraction = int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:4], "little") / 2**32
    return low * math.pow(high / low, fraction)


def minute_path(settings: SimulatedConfig, symbol: str, day: date) -> np.ndarray:
    """Prices at every sub-minute point of the session (``SESSION_MINUTES * SUBSTEPS + 1``),
    from the day's open to its close, unrounded."""
    path = _path(settings, symbol)
    i = weekday_index(day)
    log_open = math.log(path.opens[i])
    log_close = math.log(path.closes[i])
    steps = SESSION_MINUTES * SUBSTEPS
    sigma = math.sqrt(path.variances[i] * (1.0 - OVERNIGHT_VAR_SHARE) / steps)
    shocks = _day_rng(settings, symbol, day, "minutes").standard_normal(steps)
    shocks *= sigma * np.sqrt(_profile(steps))
    walk = np.concatenate(([0.0], np.cumsum(shocks)))
    frac = np.linspace(0.0, 1.0, steps + 1)
    bridge = walk - frac * walk[-1]
    return np.asarray(np.exp(log_open + frac * (log_close - log_open) + bridge))


def minute_bars(settings: SimulatedConfig, symbol: str, day: date) -> list[Bar]:
    """The session's 390 one-minute bars."""
    prices = minute_path(settings, symbol, day)
    tpu = ticks_per_unit(float(prices[0]))
    decimals = 2 if tpu == 100 else 4
    prices = np.round(prices, decimals)
    points = prices[:-1].reshape(SESSION_MINUTES, SUBSTEPS)
    opens = points[:, 0]
    closes = prices[SUBSTEPS::SUBSTEPS]
    highs = np.maximum(points.max(axis=1), closes)
    lows = np.minimum(points.min(axis=1), closes)
    rng = _day_rng(settings, symbol, day, "volume")
    noise = np.exp(VOLUME_NOISE * rng.standard_normal(SESSION_MINUTES) - VOLUME_NOISE**2 / 2)
    volumes = np.maximum(
        1, np.round(daily_volume(symbol) / SESSION_MINUTES * _profile(SESSION_MINUTES) * noise)
    )
    vwaps = np.round((opens + highs + lows + closes) / 4.0, decimals + 2)
    counts = np.maximum(1, np.round(volumes / AVG_TRADE_SIZE))
    t0 = session_open_ns(day)
    venue = settings.venue
    return [
        Bar(
            symbol=symbol,
            venue=venue,
            provider=PROVIDER,
            ts_event=t0 + m * 60 * NS_PER_S,
            ts_recv=t0 + m * 60 * NS_PER_S,
            interval="1m",
            open=o,
            high=h,
            low=lo,
            close=c,
            volume=v,
            vwap=w,
            trades=int(n),
        )
        for m, (o, h, lo, c, v, w, n) in enumerate(
            zip(
                opens.tolist(),
                highs.tolist(),
                lows.tolist(),
                closes.tolist(),
                volumes.tolist(),
                vwaps.tolist(),
                counts.tolist(),
                strict=True,
            )
        )
    ]


def day_bars(
    settings: SimulatedConfig,
    symbol: str,
    day: date,
    interval: str,
    minutes: int | None,
    adjusted: bool,
) -> list[Bar]:
    """A session's bars of ``interval``: minute bars rolled up into clock-aligned buckets
    (``ts_event`` is the bucket start; a daily bar's is midnight UTC of the session date)."""
    bars = minute_bars(settings, symbol, day)
    if minutes == 1:
        for bar in bars:
            bar.interval = interval
            bar.adjusted = adjusted
        return bars
    if minutes is None:
        return [_rollup(bars, date_to_ns(day), interval, adjusted)]
    width = minutes * 60 * NS_PER_S
    buckets: dict[int, list[Bar]] = {}
    for bar in bars:
        buckets.setdefault(bar.ts_event - bar.ts_event % width, []).append(bar)
    return [_rollup(group, start, interval, adjusted) for start, group in buckets.items()]


def _rollup(bars: list[Bar], ts: int, interval: str, adjusted: bool) -> Bar:
    volume = sum(b.volume for b in bars)
    vwap = sum((b.vwap or b.close) * b.volume for b in bars) / volume
    first = bars[0]
    return Bar(
        symbol=first.symbol,
        venue=first.venue,
        provider=first.provider,
        ts_event=ts,
        ts_recv=ts,
        interval=interval,
        open=first.open,
        high=max(b.high for b in bars),
        low=min(b.low for b in bars),
        close=bars[-1].close,
        volume=volume,
        vwap=round(vwap, 6),
        trades=sum(b.trades or 0 for b in bars),
        adjusted=adjusted,
    )


# -- ticks ---------------------------------------------------------------------------------------


def day_ticks(settings: SimulatedConfig, symbol: str, day: date) -> list[Trade | Quote]:
    """Trades and quotes of one session, in time order, from the live model driven along the
    day's minute path (``history_events_per_day`` of them, give or take a step's worth)."""
    prices = minute_path(settings, symbol, day)
    t0 = session_open_ns(day)
    market = Market(settings, ts=t0, salt=f"history:{day}")
    market.add(SymbolConfig(symbol=symbol, depth=False), t0, price=float(prices[0]))
    model = market.models[symbol]
    per_minute = max(1, settings.history_events_per_day // SESSION_MINUTES)
    messages = []
    for minute in range(SESSION_MINUTES):
        model.fair = float(prices[(minute + 1) * SUBSTEPS]) * model.tpu
        messages.extend(market.messages(per_minute, t0 + (minute + 1) * 60 * NS_PER_S - 1))
    events = parse_frame(encode_frame(messages), 0, settings.venue)
    ticks: list[Trade | Quote] = []
    for event in events:
        if isinstance(event, (Trade, Quote)):
            event.ts_recv = event.ts_event
            ticks.append(event)
    return ticks
