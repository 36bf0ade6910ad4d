"""Anomaly detectors over trades, quotes, bars and statuses: one code path, live and batch.

:class:`AnomalyDetector` keeps per-stream state (stream = symbol and provider) and turns a batch
of events into ``Integrity`` findings; the live pipeline feeds it each fan-out batch, the report
feeds it an archive day in receive order, and both call :meth:`AnomalyDetector.flush` at the end.
Judgement uses event time only (``ts_event`` against ``ts_recv``), never the wall clock, so a
replay of a day yields the same findings as the live run did.

Kinds (``KINDS``), each at most once per event:

* ``price_spike`` — a trade more than ``spike_mads`` robust deviations (1.4826 × median absolute
  deviation of the last ``window`` accepted prices) from their median;
* ``volume_outlier`` — a trade size or bar volume more than ``volume_mads`` robust deviations
  (at least the median itself) above its rolling median, and at least ``volume_min_ratio``
  times it;
* ``crossed_quote`` / ``locked_quote`` — bid above / equal to ask;
* ``stale_quote`` — a trade while the stream's last quote is older than ``stale_quote_s`` and
  its previous trade is not (trades go on, quotes stopped; a quiet tape is completeness's
  business): once per stale stretch, not while halted;
* ``ts_out_of_order`` — ``ts_event`` earlier than the previous one of the same stream and type;
* ``future_timestamp`` — ``ts_event`` later than ``ts_recv`` plus ``future_tolerance_s``;
* ``trade_outside_bbo`` — a trade priced outside the stream's prevailing bid/ask by more than
  ``bbo_tolerance_bps`` (crossed or stale quotes are no reference);
* ``bad_ohlc`` — a bar whose high/low do not bound its open and close, or a negative volume;
* ``provider_divergence`` — two providers' mean trade prices of one symbol apart by more than
  ``divergence_bps`` (or their trade counts by ``divergence_count_ratio``) for
  ``divergence_minutes`` minutes in a row: one finding per diverging stretch.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations
from statistics import median
from typing import Any, Final, Protocol

from mdc.collectors.emit import integrity_about
from mdc.config.schema import QualityConfig
from mdc.domain import native
from mdc.domain.events import Bar, Event, Integrity, Quote, Severity, Status, Trade
from mdc.domain.time import NS_PER_S

PRICE_SPIKE: Final = "price_spike"
VOLUME_OUTLIER: Final = "volume_outlier"
CROSSED_QUOTE: Final = "crossed_quote"
LOCKED_QUOTE: Final = "locked_quote"
STALE_QUOTE: Final = "stale_quote"
TS_OUT_OF_ORDER: Final = "ts_out_of_order"
FUTURE_TIMESTAMP: Final = "future_timestamp"
TRADE_OUTSIDE_BBO: Final = "trade_outside_bbo"
BAD_OHLC: Final = "bad_ohlc"
PROVIDER_DIVERGENCE: Final = "provider_divergence"
KINDS: Final = (
    PRICE_SPIKE,
    VOLUME_OUTLIER,
    CROSSED_QUOTE,
    LOCKED_QUOTE,
    STALE_QUOTE,
    TS_OUT_OF_ORDER,
    FUTURE_TIMESTAMP,
    TRADE_OUTSIDE_BBO,
    BAD_OHLC,
    PROVIDER_DIVERGENCE,
)
SEVERITY_RANK: Final[dict[str, int]] = {"info": 0, "warning": 1, "error": 2}

MAD_TO_SIGMA: Final = 1.4826
"""Scales a median absolute deviation to a normal distribution's standard deviation."""
PRICE_SCALE_FLOOR: Final = 1e-4
"""A price's robust scale is at least 1 bp of the median (a flat tape has a MAD of 0)."""
VOLUME_SCALE_FLOOR: Final = 1.0
"""A size's robust scale is at least the median size: sizes are heavy-tailed (round lots, a
MAD of 0), and a print a few times the usual is ordinary."""
REFRESH_EVERY: Final = 16
"""The window's median and scale are recomputed after this many accepted values (a value moves
them by little; the same sequence gives the same judgements live and in a replay)."""
SHIFT_AFTER: Final = 3
"""This many spikes in a row are a new price level: the window restarts from them."""
MINUTE_NS: Final = 60 * NS_PER_S
JUDGED: Final[frozenset[type[Event]]] = frozenset({Trade, Quote, Bar, Status})
"""The event types the detectors look at (a live consumer takes only these)."""
HALT_STATES: Final = frozenset({"halted", "paused"})
RESUME_STATES: Final = frozenset({"resumed", "quotation_resumed", "trading"})

StreamKey = tuple[str, str]
"""(symbol, provider)."""


@dataclass
class _Rolling:
    """The last ``size`` accepted values and a run of rejected ones."""

    size: int
    values: deque[float] = field(default_factory=deque)
    rejected: list[float] = field(default_factory=list)
    _cached: tuple[float, float] | None = None
    _age: int = 0

    def robust(self, floor: float) -> tuple[float, float]:
        """Median and robust scale of the window; the scale at least ``floor`` × median."""
        if self._cached is None or self._age >= REFRESH_EVERY:
            mid = median(self.values)
            mad = median([abs(v - mid) for v in self.values])
            self._cached, self._age = (mid, max(MAD_TO_SIGMA * mad, abs(mid) * floor)), 0
        return self._cached

    def accept(self, value: float) -> None:
        if self.rejected:
            self.rejected.clear()
        self.values.append(value)
        self._age += 1
        if len(self.values) > self.size:
            self.values.popleft()

    def reject(self, value: float) -> None:
        self.rejected.append(value)
        if len(self.rejected) >= SHIFT_AFTER:
            self.values = deque(self.rejected)
            self.rejected = []
            self._cached = None


@dataclass
class _Stream:
    prices: _Rolling
    sizes: _Rolling
    bar_volumes: _Rolling
    quote: Quote | None = None
    stale_reported: bool = False
    halted: bool = False
    last_trade_ns: int | None = None
    last_ts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Minute:
    """Trades of one provider in one minute."""

    count: int = 0
    total: float = 0.0


@dataclass
class _SymbolMinutes:
    buckets: dict[int, dict[str, _Minute]] = field(default_factory=dict)
    latest_ns: int = 0
    venue: str = ""
    streaks: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(provider a, provider b, measure) → diverging minutes in a row."""


KERNEL: Final = "mdc.quality.kernel"


class Judge(Protocol):
    """What the live consumer, the report and the comparison use of a detector."""

    counts: dict[str, int]

    def process(self, batch: Iterable[Event]) -> list[Integrity]: ...

    def flush(self) -> list[Integrity]: ...


def detector(config: QualityConfig | None = None) -> Judge:
    """The compiled detector (``kernel.pyx``: the same rules and findings) when it is built,
    else the reference below."""
    kernel = native.load(KERNEL)
    if kernel is None:
        return AnomalyDetector(config)
    judge: Judge = kernel.Detector(config)
    return judge


class AnomalyDetector:
    """Per-stream state machines that say what looks wrong in a stream of events."""

    def __init__(self, config: QualityConfig | None = None) -> None:
        self.config = config or QualityConfig()
        self._streams: dict[StreamKey, _Stream] = {}
        self._minutes: dict[str, _SymbolMinutes] = {}
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._judges: dict[type[Event], Callable[[Any, list[Integrity]], None]] = {
            Trade: self._trade,
            Quote: self._quote,
            Bar: self._bar,
            Status: self._status,
        }

    def process(self, batch: Iterable[Event]) -> list[Integrity]:
        """Findings about ``batch``, in the order of the events that caused them."""
        out: list[Integrity] = []
        judges = self._judges
        for ev in batch:
            judge = judges.get(type(ev))
            if judge is not None:
                judge(ev, out)
        return out

    def flush(self) -> list[Integrity]:
        """Judge the minutes still open (the end of a replayed day or of a run)."""
        out: list[Integrity] = []
        for symbol, state in self._minutes.items():
            for minute in sorted(state.buckets):
                self._judge_minute(symbol, state, minute, state.latest_ns, out)
            state.buckets.clear()
        return out

    # -- per type ----------------------------------------------------------------------------
    def _stream(self, ev: Event) -> _Stream:
        key = (ev.symbol, ev.provider)
        stream = self._streams.get(key)
        if stream is None:
            size = self.config.window
            stream = self._streams[key] = _Stream(_Rolling(size), _Rolling(size), _Rolling(size))
        return stream

    def _timestamps(self, ev: Event, stream: _Stream, kind: str, out: list[Integrity]) -> bool:
        """Out-of-order and future checks; True when one of them fired."""
        tolerance = int(self.config.future_tolerance_s * NS_PER_S)
        if ev.ts_event > ev.ts_recv + tolerance:
            lead = (ev.ts_event - ev.ts_recv) / NS_PER_S
            self._find(out, ev, FUTURE_TIMESTAMP, "warning", f"{kind} {lead:.3f} s after receipt")
            return True
        last = stream.last_ts.get(kind)
        stream.last_ts[kind] = ev.ts_event if last is None else max(last, ev.ts_event)
        if last is not None and ev.ts_event < last:
            behind = (last - ev.ts_event) / NS_PER_S
            self._find(
                out, ev, TS_OUT_OF_ORDER, "warning", f"{kind} {behind:.3f} s before the previous"
            )
            return True
        return False

    def _trade(self, ev: Trade, out: list[Integrity]) -> None:
        stream = self._stream(ev)
        self._count_minute(ev, out)
        if self._timestamps(ev, stream, "trade", out):
            return
        cfg = self.config
        if len(stream.prices.values) >= cfg.min_points:
            mid, scale = stream.prices.robust(PRICE_SCALE_FLOOR)
            if abs(ev.price - mid) > cfg.spike_mads * scale:
                stream.prices.reject(ev.price)
                deviations = abs(ev.price - mid) / scale if scale else math.inf  # a flat 0 tape
                self._find(
                    out,
                    ev,
                    PRICE_SPIKE,
                    "error",
                    f"price {ev.price:g} is {deviations:.1f} robust deviations "
                    f"from the median {mid:g}",
                )
                return
        stream.prices.accept(ev.price)
        if self._outlier(stream.sizes, ev.size):
            self._find(
                out,
                ev,
                VOLUME_OUTLIER,
                "warning",
                f"size {ev.size:g} against a median of {median(stream.sizes.values):g}",
            )
            return
        stream.sizes.accept(ev.size)
        previous, stream.last_trade_ns = stream.last_trade_ns, ev.ts_event
        quote = stream.quote
        if quote is None or stream.halted:
            return
        stale_ns = cfg.stale_quote_s * NS_PER_S
        if ev.ts_event - quote.ts_event > stale_ns:
            if (
                previous is not None
                and ev.ts_event - previous <= stale_ns
                and not (stream.stale_reported)
            ):
                stream.stale_reported = True
                age = (ev.ts_event - quote.ts_event) / NS_PER_S
                self._find(out, ev, STALE_QUOTE, "warning", f"last quote {age:.1f} s old")
            return
        if quote.bid_price >= quote.ask_price or quote.bid_price <= 0:
            return
        slack = cfg.bbo_tolerance_bps / 10_000 * (quote.bid_price + quote.ask_price) / 2
        if ev.price < quote.bid_price - slack or ev.price > quote.ask_price + slack:
            self._find(
                out,
                ev,
                TRADE_OUTSIDE_BBO,
                "warning",
                f"price {ev.price:g} outside bid {quote.bid_price:g} / ask {quote.ask_price:g}",
            )

    def _outlier(self, window: _Rolling, value: float) -> bool:
        cfg = self.config
        if len(window.values) < cfg.min_points:
            return False
        mid, scale = window.robust(VOLUME_SCALE_FLOOR)
        return value > mid + cfg.volume_mads * scale and value >= cfg.volume_min_ratio * mid

    def _quote(self, ev: Quote, out: list[Integrity]) -> None:
        stream = self._stream(ev)
        if self._timestamps(ev, stream, "quote", out):
            return
        stream.quote = ev
        stream.stale_reported = False
        if ev.bid_price <= 0 or ev.ask_price <= 0:
            return  # one side empty: no spread to judge
        if ev.bid_price > ev.ask_price:
            self._find(
                out,
                ev,
                CROSSED_QUOTE,
                "error",
                f"bid {ev.bid_price:g} above ask {ev.ask_price:g}",
            )
        elif ev.bid_price == ev.ask_price:
            self._find(out, ev, LOCKED_QUOTE, "warning", f"bid equals ask {ev.ask_price:g}")

    def _bar(self, ev: Bar, out: list[Integrity]) -> None:
        stream = self._stream(ev)
        if self._timestamps(ev, stream, f"bar {ev.interval}", out):
            return
        if (
            ev.high < max(ev.open, ev.close, ev.low)
            or ev.low > min(ev.open, ev.close)
            or ev.volume < 0
        ):
            self._find(
                out,
                ev,
                BAD_OHLC,
                "error",
                f"{ev.interval} bar O {ev.open:g} H {ev.high:g} L {ev.low:g} C {ev.close:g} "
                f"V {ev.volume:g}",
            )
            return
        if self._outlier(stream.bar_volumes, ev.volume):
            self._find(
                out,
                ev,
                VOLUME_OUTLIER,
                "warning",
                f"{ev.interval} bar volume {ev.volume:g} against a median of "
                f"{median(stream.bar_volumes.values):g}",
            )
            return
        stream.bar_volumes.accept(ev.volume)

    def _status(self, ev: Status, out: list[Integrity]) -> None:
        stream = self._stream(ev)
        if ev.state in HALT_STATES:
            stream.halted = True
        elif ev.state in RESUME_STATES:
            stream.halted = False
            stream.quote = None  # quotes from before the halt are no reference after it
            stream.stale_reported = False

    # -- cross-provider ----------------------------------------------------------------------
    def _count_minute(self, ev: Trade, out: list[Integrity]) -> None:
        state = self._minutes.get(ev.symbol)
        if state is None:
            state = self._minutes[ev.symbol] = _SymbolMinutes(venue=ev.venue)
        minute = ev.ts_event // MINUTE_NS * MINUTE_NS
        bucket = state.buckets.setdefault(minute, {}).setdefault(ev.provider, _Minute())
        bucket.count += 1
        bucket.total += ev.price
        if ev.ts_event <= state.latest_ns:
            return
        state.latest_ns = ev.ts_event
        # A minute is judged once the symbol's tape is a full minute past its end, so late
        # prints of the slower provider still count.
        for done in sorted(m for m in state.buckets if m + 2 * MINUTE_NS <= ev.ts_event):
            self._judge_minute(ev.symbol, state, done, ev.ts_recv, out)

    def _judge_minute(
        self, symbol: str, state: _SymbolMinutes, minute: int, ts_recv: int, out: list[Integrity]
    ) -> None:
        judge_minute(self.config, self.counts, symbol, state, minute, ts_recv, out)

    def _find(
        self, out: list[Integrity], ev: Event, kind: str, severity: Severity, detail: str
    ) -> None:
        self.counts[kind] += 1
        out.append(integrity_about(ev, kind, severity, detail))


def _apart(a: float, b: float) -> float:
    """The distance in bp of two means whose sum is 0: none if equal, else unbounded."""
    return 0.0 if a == b else math.inf


def judge_minute(
    cfg: QualityConfig,
    counts: dict[str, int],
    symbol: str,
    state: _SymbolMinutes,
    minute: int,
    ts_recv: int,
    out: list[Integrity],
) -> None:
    """Compare the providers' trades of one closed minute and extend their diverging streaks
    (the kernel's detector calls this too: the rule is written once)."""
    providers = state.buckets.pop(minute, {})
    for a, b in combinations(sorted(providers), 2):
        ma, mb = providers[a], providers[b]
        mean_a, mean_b = ma.total / ma.count, mb.total / mb.count
        half = (mean_a + mean_b) / 2
        bps = abs(mean_a - mean_b) / half * 10_000 if half else _apart(mean_a, mean_b)
        ratio = max(ma.count, mb.count) / min(ma.count, mb.count)
        measures = {
            "price": (
                bps > cfg.divergence_bps,
                f"mean prices {a} {mean_a:g} and {b} {mean_b:g} differ by {bps:.0f} bp",
            ),
            "count": (
                ratio > cfg.divergence_count_ratio,
                f"trade counts {a} {ma.count} and {b} {mb.count} differ {ratio:.1f}×",
            ),
        }
        for measure, (diverging, detail) in measures.items():
            key = (a, b, measure)
            streak = state.streaks.get(key, 0) + 1 if diverging else 0
            state.streaks[key] = streak
            if streak == cfg.divergence_minutes:
                counts[PROVIDER_DIVERGENCE] += 1
                out.append(
                    Integrity(
                        symbol=symbol,
                        venue=state.venue,
                        provider=f"{a}+{b}",
                        ts_event=minute - (streak - 1) * MINUTE_NS,
                        ts_recv=ts_recv,
                        kind=PROVIDER_DIVERGENCE,
                        severity="warning",
                        detail=f"{measure}: {detail} for {streak} minutes in a row",
                    )
                )
