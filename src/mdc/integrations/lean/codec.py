"""Lean CSV rows ⇄ mdc events: numbers, times and the columns of every file kind.

The rules (``LeanData.GenerateLine`` / ``ToCsv``, the ``Reader`` of ``Tick``, ``TradeBar`` and
``QuoteBar``, QuantConnect/Lean commit 24863901, read 2026-12-03 via
``../shared/research/lean-format.md`` §2-§4, §10):

- no header, ``,``-separated, LF between rows and none after the last;
- decimals normalized (no exponent, no trailing zeros); equity prices ×10000 (deci-cents);
- tick/second/minute time = milliseconds since midnight in the data time zone
  (America/New_York for equity, UTC for crypto); hour/daily = ``yyyyMMdd HH:mm``;
- a quote-bar side with no quote is four empty fields and a size of 0.

mdc keeps floats, Lean decimals. Values imported from Lean go out as the shortest decimal that
reads back as the same float (``repr``): exactly the digits Lean wrote, float noise of QC's
pipeline such as ``31.115892870000003`` included. Other feeds' values go out with at most 15
significant digits (``format(x, ".15g")``): exact for every value that came in as a decimal of
≤15 digits, and binary noise of computed ones is stripped.
Lean's tick ``saleCondition`` (a hex string of flags) and ``suspicious`` flag are kept in
``conditions`` (``["20002020"]``, plus ``"suspicious"`` when flagged); the exchange code in
``exchange`` (quotes: ``bid_exchange`` and ``ask_exchange``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Final, TypedDict
from zoneinfo import ZoneInfo

from mdc.domain.events import Bar, Event, Quote, QuoteBar, Trade
from mdc.domain.time import NS_PER_DAY, NS_PER_MS, date_to_ns, datetime_to_ns
from mdc.integrations.lean.paths import BAR_INTERVALS, LeanFile, SecurityType

NEW_YORK: Final = ZoneInfo("America/New_York")
PROVIDER: Final = "lean"
SUSPICIOUS: Final = "suspicious"
EQUITY_SCALE: Final = Decimal(10000)
EXCHANGE_CODES: Final[dict[str, str]] = {
    **{c: c for c in "QPNZYKJBXCDIMWAL"},
    "T": "Q",
    "V": "IEX",
    "H": "MP",
    "IEX": "IEX",
    "MP": "MP",
}
"""Lean's ``GetPrimaryExchange`` codes (``Common/Global.cs``); an unknown code is ``""``."""


class LeanFormatError(ValueError):
    """A row that does not follow Lean's format (the message names the column)."""


def data_zone(security_type: SecurityType) -> tzinfo:
    """Lean's data time zone (``market-hours-database.json``): New York for US equity."""
    return NEW_YORK if security_type == "equity" else UTC


# -- numbers ---------------------------------------------------------------------------------
def fmt(d: Decimal) -> str:
    """.NET ``decimal.Normalize().ToString(InvariantCulture)``: no exponent, no trailing zeros."""
    s = format(d.normalize(), "f")
    return "0" if s == "-0" else s


def to_decimal(x: float, exact: bool = False) -> Decimal:
    """The decimal a float stands for: with ``exact``, the shortest string that reads back as
    the same float (for values that came in as decimals: Lean's own, noise digits included);
    otherwise at most 15 significant digits (see the module doc)."""
    return Decimal(repr(x) if exact else format(x, ".15g"))


class Numbers:
    """Prices and sizes of one event as Lean writes them."""

    __slots__ = ("exact", "scale")

    def __init__(self, security_type: SecurityType, provider: str) -> None:
        self.scale = security_type == "equity"
        self.exact = provider == PROVIDER

    def price(self, x: float) -> str:
        d = to_decimal(x, self.exact)
        return fmt(d * EQUITY_SCALE if self.scale else d)

    def size(self, x: float) -> str:
        return fmt(to_decimal(x, self.exact))


def price_in(text: str, security_type: SecurityType) -> float:
    d = _decimal(text)
    return float(d / EQUITY_SCALE if security_type == "equity" else d)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise LeanFormatError(f"not a decimal: {text!r}") from None


# -- times -----------------------------------------------------------------------------------
class Day:
    """Clock of one file date in the data time zone: ms-since-midnight ⇄ int ns UTC."""

    def __init__(self, day: date, zone: tzinfo) -> None:
        self.day = day
        self.zone = zone
        self.wall0 = date_to_ns(day)  # local midnight read as if it were UTC
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        end = start + timedelta(days=1)
        self._offset = _offset_ns(start)
        self._constant = _offset_ns(end) == self._offset
        self.start_ns = self.wall0 - self._offset
        self.end_ns = self.wall0 + NS_PER_DAY - _offset_ns(end)

    def ns(self, wall_ns: int) -> int:
        """UTC ns of ``wall_ns`` after local midnight."""
        if self._constant:
            return self.wall0 + wall_ns - self._offset
        local = datetime(self.day.year, self.day.month, self.day.day) + timedelta(
            microseconds=wall_ns // 1000
        )
        return datetime_to_ns(local.replace(tzinfo=self.zone)) + wall_ns % 1000

    def wall(self, ts: int) -> int:
        """ns after local midnight of the instant ``ts``."""
        if self._constant:
            return ts + self._offset - self.wall0
        dt = datetime.fromtimestamp(ts // 1000 / 1e6, tz=UTC).astimezone(self.zone)
        return ts + _offset_ns(dt) - self.wall0

    def ms_in(self, text: str) -> int:
        if text.isdigit():
            return self.ns(int(text) * NS_PER_MS)
        return self.ns(int(_decimal(text) * NS_PER_MS))

    def ms_out(self, ts: int) -> str:
        wall = self.wall(ts)
        if wall % NS_PER_MS == 0:
            return str(wall // NS_PER_MS)
        return fmt(Decimal(wall) / NS_PER_MS)


def _offset_ns(dt: datetime) -> int:
    offset = dt.utcoffset()
    return 0 if offset is None else int(offset.total_seconds()) * 1_000_000_000


def local_date(ts: int, zone: tzinfo) -> date:
    return datetime.fromtimestamp(ts // 1_000_000_000, tz=UTC).astimezone(zone).date()


def long_time_out(bar: Bar | QuoteBar, zone: tzinfo) -> str:
    """``yyyyMMdd HH:mm`` of an hour or daily bar (mdc stamps daily bars at midnight UTC of
    their session date)."""
    if bar.interval == "1d":
        return f"{datetime.fromtimestamp(bar.ts_event // 1_000_000_000, tz=UTC):%Y%m%d} 00:00"
    local = datetime.fromtimestamp(bar.ts_event // 1_000_000_000, tz=UTC).astimezone(zone)
    return f"{local:%Y%m%d %H:%M}"


def long_time_in(text: str, daily: bool, zone: tzinfo) -> int:
    try:
        local = datetime.strptime(text, "%Y%m%d %H:%M")
    except ValueError:
        raise LeanFormatError(f"time {text!r}: expected yyyyMMdd HH:mm") from None
    if daily:
        return date_to_ns(local.date())
    return datetime_to_ns(local.replace(tzinfo=zone))


# -- symbols ---------------------------------------------------------------------------------
CRYPTO_QUOTES: Final = ("USDT", "USDC", "BUSD", "USD", "EUR", "GBP", "JPY", "BTC", "ETH", "DAI")


def lean_ticker(symbol: str, security_type: SecurityType) -> str:
    """``SPY`` → ``spy``, ``BRK.B`` → ``brk.b``; crypto ``BTC/USD`` / ``BTC-USD`` → ``btcusd``."""
    if security_type == "crypto":
        return re.sub(r"[^a-z0-9]", "", symbol.lower())
    return symbol.lower()


def mdc_symbol(ticker: str, security_type: SecurityType) -> str:
    """The archive's symbol for a Lean ticker (crypto pairs split at a known quote currency)."""
    upper = ticker.upper()
    if security_type == "crypto":
        for q in CRYPTO_QUOTES:
            if upper.endswith(q) and len(upper) > len(q):
                return f"{upper[: -len(q)]}/{q}"
    return upper


# -- rows out --------------------------------------------------------------------------------
def _condition_out(provider: str, conditions: list[str]) -> str:
    """Lean's own condition verbatim; other feeds' codes mean other things, so ``0`` (none)."""
    if provider == PROVIDER:
        return next((c for c in conditions if c != SUSPICIOUS), "")
    return "0"


def _exchange_out(provider: str, code: str | None) -> str:
    if provider == PROVIDER:
        return code or ""
    return EXCHANGE_CODES.get((code or "").upper(), "")


def trade_tick_out(t: Trade, day: Day, sec: SecurityType) -> str:
    n = Numbers(sec, t.provider)
    suspicious = "1" if SUSPICIOUS in t.conditions else "0"
    head = f"{day.ms_out(t.ts_event)},{n.price(t.price)},{n.size(t.size)}"
    if sec == "crypto":
        return f"{head},{suspicious}"
    ex = _exchange_out(t.provider, t.exchange)
    return f"{head},{ex},{_condition_out(t.provider, t.conditions)},{suspicious}"


def quote_tick_out(q: Quote, day: Day, sec: SecurityType) -> str:
    n = Numbers(sec, q.provider)
    suspicious = "1" if SUSPICIOUS in q.conditions else "0"
    row = (
        f"{day.ms_out(q.ts_event)},{n.price(q.bid_price)},{n.size(q.bid_size)},"
        f"{n.price(q.ask_price)},{n.size(q.ask_size)}"
    )
    if sec == "crypto":
        return f"{row},{suspicious}"
    ex = _exchange_out(q.provider, q.bid_exchange or q.ask_exchange)
    return f"{row},{ex},{_condition_out(q.provider, q.conditions)},{suspicious}"


def _bar_time(bar: Bar | QuoteBar, day: Day | None, zone: tzinfo) -> str:
    return day.ms_out(bar.ts_event) if day is not None else long_time_out(bar, zone)


def trade_bar_out(b: Bar, day: Day | None, sec: SecurityType) -> str:
    n = Numbers(sec, b.provider)
    p = [n.price(x) for x in (b.open, b.high, b.low, b.close)]
    return f"{_bar_time(b, day, data_zone(sec))},{','.join(p)},{n.size(b.volume)}"


def _side_out(prices: tuple[float | None, ...], size: float, n: Numbers) -> str:
    if all(p is None for p in prices):
        return ",,,,0"
    p = ["" if x is None else n.price(x) for x in prices]
    return f"{','.join(p)},{n.size(size)}"


def quote_bar_out(b: QuoteBar, day: Day | None, sec: SecurityType) -> str:
    n = Numbers(sec, b.provider)
    bid = _side_out((b.bid_open, b.bid_high, b.bid_low, b.bid_close), b.bid_size, n)
    ask = _side_out((b.ask_open, b.ask_high, b.ask_low, b.ask_close), b.ask_size, n)
    return f"{_bar_time(b, day, data_zone(sec))},{bid},{ask}"


# -- rows in ---------------------------------------------------------------------------------
class Header(TypedDict):
    """The fields every event starts with (``Trade(**header, price=…)``)."""

    symbol: str
    venue: str
    provider: str
    ts_event: int
    ts_recv: int
    seq: int | None


def header_like(e: Event, ts: int) -> Header:
    """``e``'s symbol, venue and provider at ``ts`` (a bar built from ``e``'s ticks)."""
    return {
        "symbol": e.symbol,
        "venue": e.venue,
        "provider": e.provider,
        "ts_event": ts,
        "ts_recv": ts,
        "seq": None,
    }


class RowReader:
    """Turns the rows of one Lean file into mdc events (``seq`` = the row's number, so two
    identical prints in one millisecond stay two rows and a re-import dedups exactly)."""

    def __init__(self, file: LeanFile) -> None:
        self.file = file
        self.sec: SecurityType = file.security_type
        self.zone = data_zone(self.sec)
        self.day = Day(file.day, self.zone) if file.day is not None else None
        self.symbol = mdc_symbol(file.ticker, self.sec)
        self.venue = file.market
        self.interval = BAR_INTERVALS.get(file.resolution, "")

    def _ts(self, text: str) -> int:
        if self.day is not None:
            return self.day.ms_in(text)
        return long_time_in(text, self.file.resolution == "daily", self.zone)

    def read(self, row: list[str], number: int) -> Trade | Quote | Bar | QuoteBar:
        """One row (already split on ``,``); raises :class:`LeanFormatError` when malformed."""
        try:
            if self.file.resolution == "tick":
                if self.file.tick_type == "trade":
                    return self._trade(row, number)
                return self._quote(row, number)
            if self.file.tick_type == "trade":
                return self._bar(row)
            return self._quote_bar(row)
        except (IndexError, ArithmeticError, ValueError) as exc:
            if isinstance(exc, LeanFormatError):
                raise
            raise LeanFormatError(f"{type(exc).__name__}: {exc}") from None

    def _common(self, ts: int, seq: int | None) -> Header:
        return {
            "symbol": self.symbol,
            "venue": self.venue,
            "provider": PROVIDER,
            "ts_event": ts,
            "ts_recv": ts,
            "seq": seq,
        }

    def _conditions(self, row: list[str], index: int) -> list[str]:
        out = [row[index]] if len(row) > index and row[index] != "" else []
        if len(row) > index + 1 and row[index + 1].strip() == "1":
            out.append(SUSPICIOUS)
        return out

    def _trade(self, row: list[str], number: int) -> Trade:
        ts = self._ts(row[0])
        price, size = price_in(row[1], self.sec), float(_decimal(row[2]))
        if self.sec == "crypto":
            susp = [SUSPICIOUS] if len(row) > 3 and row[3].strip() == "1" else []
            return Trade(**self._common(ts, number), price=price, size=size, conditions=susp)
        exchange = row[3] if len(row) > 3 and row[3] != "" else None
        return Trade(
            **self._common(ts, number),
            price=price,
            size=size,
            exchange=exchange,
            conditions=self._conditions(row, 4),
        )

    def _quote(self, row: list[str], number: int) -> Quote:
        common = self._common(self._ts(row[0]), number)
        bid, bid_size = price_in(row[1], self.sec), float(_decimal(row[2]))
        ask, ask_size = price_in(row[3], self.sec), float(_decimal(row[4]))
        if self.sec == "crypto":
            susp = [SUSPICIOUS] if len(row) > 5 and row[5].strip() == "1" else []
            return Quote(
                **common,
                bid_price=bid,
                bid_size=bid_size,
                ask_price=ask,
                ask_size=ask_size,
                conditions=susp,
            )
        exchange = row[5] if len(row) > 5 and row[5] != "" else None
        return Quote(
            **common,
            bid_price=bid,
            bid_size=bid_size,
            ask_price=ask,
            ask_size=ask_size,
            bid_exchange=exchange,
            ask_exchange=exchange,
            conditions=self._conditions(row, 6),
        )

    def _bar(self, row: list[str]) -> Bar:
        if len(row) < 6:
            raise LeanFormatError(f"trade bar: 6 columns expected, got {len(row)}")
        o, h, low, c = (price_in(x, self.sec) for x in row[1:5])
        return Bar(
            **self._common(self._ts(row[0]), None),
            interval=self.interval,
            open=o,
            high=h,
            low=low,
            close=c,
            volume=float(_decimal(row[5])),
        )

    def _side(self, fields: list[str]) -> tuple[list[float | None], float]:
        if all(f == "" for f in fields[:4]):
            return [None] * 4, float(_decimal(fields[4] or "0"))
        return [price_in(f, self.sec) for f in fields[:4]], float(_decimal(fields[4]))

    def _quote_bar(self, row: list[str]) -> QuoteBar:
        if len(row) < 11:
            raise LeanFormatError(f"quote bar: 11 columns expected, got {len(row)}")
        bid, bid_size = self._side(row[1:6])
        ask, ask_size = self._side(row[6:11])
        return QuoteBar(
            **self._common(self._ts(row[0]), None),
            interval=self.interval,
            bid_open=bid[0],
            bid_high=bid[1],
            bid_low=bid[2],
            bid_close=bid[3],
            bid_size=bid_size,
            ask_open=ask[0],
            ask_high=ask[1],
            ask_low=ask[2],
            ask_close=ask[3],
            ask_size=ask_size,
        )
