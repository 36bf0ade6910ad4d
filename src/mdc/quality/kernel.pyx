# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled ``AnomalyDetector`` (``anomalies.py``): the same rules and findings, in C.

``Detector`` keeps each stream's rolling windows in C arrays (median and scale by a stable sort
of a copy, as ``statistics.median`` sorts) and its last quote, halt and stale flags in C fields,
so a trade or quote costs a few attribute reads and no Python code. Timestamps stay Python ints
(their comparisons with the config's float thresholds are exact, as in the reference). A window
holding a NaN or an infinity takes its median from ``statistics.median`` over the same values
in the same order, so even then the result is the reference's. Minutes are counted into the
reference's own buckets and judged by ``anomalies.judge_minute``; findings are made by
``collectors.emit.integrity_about``; a finding's detail is formatted from the event's own
Python values.
``tests/unit/quality/test_quality_kernel.py`` holds the two identical, finding by finding.
"""

from statistics import median

from libc.math cimport fabs, isfinite
from libc.stdlib cimport free, malloc, qsort

from mdc.collectors.emit import integrity_about
from mdc.domain.events import Bar, Quote, Status, Trade
from mdc.domain.time import NS_PER_S
from mdc.quality import anomalies as a

cdef int REFRESH_EVERY = a.REFRESH_EVERY
cdef int SHIFT_AFTER = a.SHIFT_AFTER
cdef double MAD_TO_SIGMA = a.MAD_TO_SIGMA
cdef double PRICE_SCALE_FLOOR = a.PRICE_SCALE_FLOOR
cdef double VOLUME_SCALE_FLOOR = a.VOLUME_SCALE_FLOOR
MINUTE_NS = a.MINUTE_NS
HALT_STATES = a.HALT_STATES
RESUME_STATES = a.RESUME_STATES


cdef struct Ranked:
    double value
    int order


cdef int _by_value(const void* x, const void* y) noexcept nogil:
    """Ascending; equal values keep their window order (a stable sort, as ``sorted``)."""
    cdef const Ranked* p = <const Ranked*>x
    cdef const Ranked* q = <const Ranked*>y
    if p.value < q.value:
        return -1
    if p.value > q.value:
        return 1
    return (p.order > q.order) - (p.order < q.order)


cdef double _median(double* values, int n, Ranked* scratch) noexcept:
    """``statistics.median`` of ``n`` finite values (``n`` ≥ 1)."""
    cdef int i
    for i in range(n):
        scratch[i].value = values[i]
        scratch[i].order = i
    qsort(scratch, n, sizeof(Ranked), _by_value)
    if n % 2 == 1:
        return scratch[n // 2].value
    return (scratch[n // 2 - 1].value + scratch[n // 2].value) / 2


cdef class _Rolling:
    """``anomalies._Rolling``: a ring of the last ``size`` accepted values and a run of
    rejected ones."""

    cdef int size, start, n, nrejected, age, nonfinite
    cdef bint cached
    cdef double mid, scale
    cdef double* values
    cdef double* rejected
    cdef double* work
    cdef Ranked* scratch

    def __cinit__(self, int size):
        self.size = size
        self.values = <double*>malloc(size * sizeof(double))
        self.rejected = <double*>malloc(SHIFT_AFTER * sizeof(double))
        self.work = <double*>malloc(size * sizeof(double))
        self.scratch = <Ranked*>malloc(size * sizeof(Ranked))
        if not (self.values and self.rejected and self.work and self.scratch):
            raise MemoryError()

    def __dealloc__(self):
        free(self.values)
        free(self.rejected)
        free(self.work)
        free(self.scratch)

    cdef inline double at(self, int i) noexcept:
        return self.values[(self.start + i) % self.size]

    cdef list as_list(self):
        return [self.at(i) for i in range(self.n)]

    cdef double median_now(self):
        """The median of the window as it is (not the cached one)."""
        cdef int i
        if self.nonfinite:
            return median(self.as_list())
        for i in range(self.n):
            self.work[i] = self.at(i)
        return _median(self.work, self.n, self.scratch)

    cdef void robust(self, double floor):
        """Median and robust scale into ``mid`` and ``scale`` (``_Rolling.robust``)."""
        cdef int i
        cdef double mid, mad, low, high
        if self.cached and self.age < REFRESH_EVERY:
            return
        if self.nonfinite:
            values = self.as_list()
            mid = median(values)
            mad = median([abs(v - mid) for v in values])
        else:
            mid = self.median_now()
            for i in range(self.n):
                self.work[i] = fabs(self.at(i) - mid)
            mad = _median(self.work, self.n, self.scratch)
        low, high = MAD_TO_SIGMA * mad, fabs(mid) * floor
        self.mid = mid
        self.scale = high if high > low else low  # max(low, high): the first of equals
        self.cached = True
        self.age = 0

    cdef void push(self, double value) noexcept:
        if self.n == self.size:
            if not isfinite(self.values[self.start]):
                self.nonfinite -= 1
            self.start = (self.start + 1) % self.size
            self.n -= 1
        self.values[(self.start + self.n) % self.size] = value
        self.n += 1
        if not isfinite(value):
            self.nonfinite += 1

    cdef void accept(self, double value) noexcept:
        self.nrejected = 0
        self.push(value)
        self.age += 1

    cdef void reject(self, double value) noexcept:
        cdef int i
        self.rejected[self.nrejected] = value
        self.nrejected += 1
        if self.nrejected >= SHIFT_AFTER:
            self.start = self.n = self.nonfinite = 0
            for i in range(self.nrejected):
                self.push(self.rejected[i])
            self.nrejected = 0
            self.cached = False


cdef class _Stream:
    cdef _Rolling prices, sizes, bar_volumes
    cdef bint has_quote, stale_reported, halted
    cdef object quote_ts, last_trade_ns, last_trade_ts, last_quote_ts
    cdef double bid, ask
    cdef dict last_bar_ts

    def __cinit__(self, int size):
        self.prices = _Rolling(size)
        self.sizes = _Rolling(size)
        self.bar_volumes = _Rolling(size)
        self.last_bar_ts = {}


cdef class _Minute:
    """``anomalies._Minute`` (``judge_minute`` reads ``count`` and ``total``)."""

    cdef public long count
    cdef public double total


cdef class _Symbol:
    """A symbol's minutes: the reference's ``_SymbolMinutes`` and where its oldest and its
    current minute are, so most trades find their bucket without a dict of minutes."""

    cdef object state, current, oldest
    cdef dict current_providers


cdef class Detector:
    """``AnomalyDetector``: ``process``, ``flush`` and ``counts``, for the same config."""

    cdef public object config
    cdef public dict counts
    cdef dict _streams
    cdef dict _minutes
    cdef object tolerance, stale_ns
    cdef int window, min_points
    cdef double spike_mads, volume_mads, volume_min_ratio, bbo_tolerance_bps

    def __init__(self, config=None):
        cfg = config or a.QualityConfig()
        self.config = cfg
        self.counts = dict.fromkeys(a.KINDS, 0)
        self._streams = {}
        self._minutes = {}
        self.tolerance = int(cfg.future_tolerance_s * NS_PER_S)
        self.stale_ns = cfg.stale_quote_s * NS_PER_S
        self.window = cfg.window
        self.min_points = cfg.min_points
        self.spike_mads = cfg.spike_mads
        self.volume_mads = cfg.volume_mads
        self.volume_min_ratio = cfg.volume_min_ratio
        self.bbo_tolerance_bps = cfg.bbo_tolerance_bps

    def process(self, batch):
        """Findings about ``batch``, in the order of the events that caused them."""
        cdef list out = []
        for ev in batch:
            kind = type(ev)
            if kind is Trade:
                self._trade(ev, out)
            elif kind is Quote:
                self._quote(ev, out)
            elif kind is Bar:
                self._bar(ev, out)
            elif kind is Status:
                self._status(ev)
        return out

    def flush(self):
        """Judge the minutes still open (the end of a replayed day or of a run)."""
        cdef list out = []
        cdef _Symbol sym
        for symbol, sym in self._minutes.items():
            state = sym.state
            for minute in sorted(state.buckets):
                a.judge_minute(self.config, self.counts, symbol, state, minute, state.latest_ns, out)
            state.buckets.clear()
            sym.current = sym.oldest = None
        return out

    cdef _Stream _stream(self, ev):
        by_symbol = self._streams.get(ev.provider)
        if by_symbol is None:
            by_symbol = self._streams[ev.provider] = {}
        stream = (<dict>by_symbol).get(ev.symbol)
        if stream is None:
            stream = (<dict>by_symbol)[ev.symbol] = _Stream(self.window)
        return <_Stream>stream

    cdef void _find(self, list out, ev, str kind, str severity, str detail):
        self.counts[kind] += 1
        out.append(integrity_about(ev, kind, severity, detail))

    cdef bint _timestamps(self, ev, _Stream stream, int which, str kind, list out):
        """Out-of-order and future checks (``which``: 0 trade, 1 quote, 2 a bar ``kind``)."""
        ts_event = ev.ts_event
        ts_recv = ev.ts_recv
        if ts_event > ts_recv + self.tolerance:
            lead = (ts_event - ts_recv) / NS_PER_S
            self._find(out, ev, a.FUTURE_TIMESTAMP, "warning", f"{kind} {lead:.3f} s after receipt")
            return True
        if which == 0:
            last = stream.last_trade_ts
        elif which == 1:
            last = stream.last_quote_ts
        else:
            last = stream.last_bar_ts.get(kind)
        latest = ts_event if last is None or ts_event > last else last
        if which == 0:
            stream.last_trade_ts = latest
        elif which == 1:
            stream.last_quote_ts = latest
        else:
            stream.last_bar_ts[kind] = latest
        if last is not None and ts_event < last:
            behind = (last - ts_event) / NS_PER_S
            self._find(
                out, ev, a.TS_OUT_OF_ORDER, "warning", f"{kind} {behind:.3f} s before the previous"
            )
            return True
        return False

    cdef void _trade(self, ev, list out):
        cdef _Stream stream = self._stream(ev)
        cdef _Rolling prices = stream.prices
        cdef double price = ev.price
        cdef double size
        cdef double slack
        self._count_minute(ev, price, out)
        if self._timestamps(ev, stream, 0, "trade", out):
            return
        if prices.n >= self.min_points:
            prices.robust(PRICE_SCALE_FLOOR)
            if fabs(price - prices.mid) > self.spike_mads * prices.scale:
                prices.reject(price)
                deviations = fabs(price - prices.mid) / prices.scale  # inf when the scale is 0
                self._find(
                    out,
                    ev,
                    a.PRICE_SPIKE,
                    "error",
                    f"price {ev.price:g} is {deviations:.1f} robust deviations from the median "
                    f"{prices.mid:g}",
                )
                return
        prices.accept(price)
        size = ev.size
        if self._outlier(stream.sizes, size):
            self._find(
                out,
                ev,
                a.VOLUME_OUTLIER,
                "warning",
                f"size {ev.size:g} against a median of {stream.sizes.median_now():g}",
            )
            return
        stream.sizes.accept(size)
        ts_event = ev.ts_event
        previous, stream.last_trade_ns = stream.last_trade_ns, ts_event
        if not stream.has_quote or stream.halted:
            return
        stale_ns = self.stale_ns
        if ts_event - stream.quote_ts > stale_ns:
            if (
                previous is not None
                and ts_event - previous <= stale_ns
                and not stream.stale_reported
            ):
                stream.stale_reported = True
                age = (ts_event - stream.quote_ts) / NS_PER_S
                self._find(out, ev, a.STALE_QUOTE, "warning", f"last quote {age:.1f} s old")
            return
        if stream.bid >= stream.ask or stream.bid <= 0:
            return
        slack = self.bbo_tolerance_bps / 10_000 * (stream.bid + stream.ask) / 2
        if price < stream.bid - slack or price > stream.ask + slack:
            self._find(
                out,
                ev,
                a.TRADE_OUTSIDE_BBO,
                "warning",
                f"price {ev.price:g} outside bid {stream.bid:g} / ask {stream.ask:g}",
            )

    cdef bint _outlier(self, _Rolling window, double value):
        if window.n < self.min_points:
            return False
        window.robust(VOLUME_SCALE_FLOOR)
        return (
            value > window.mid + self.volume_mads * window.scale
            and value >= self.volume_min_ratio * window.mid
        )

    cdef void _quote(self, ev, list out):
        cdef _Stream stream = self._stream(ev)
        cdef double bid, ask
        if self._timestamps(ev, stream, 1, "quote", out):
            return
        bid = ev.bid_price
        ask = ev.ask_price
        stream.has_quote = True
        stream.quote_ts = ev.ts_event
        stream.bid = bid
        stream.ask = ask
        stream.stale_reported = False
        if bid <= 0 or ask <= 0:
            return  # one side empty: no spread to judge
        if bid > ask:
            self._find(
                out, ev, a.CROSSED_QUOTE, "error", f"bid {ev.bid_price:g} above ask {ev.ask_price:g}"
            )
        elif bid == ask:
            self._find(out, ev, a.LOCKED_QUOTE, "warning", f"bid equals ask {ev.ask_price:g}")

    cdef void _bar(self, ev, list out):
        cdef _Stream stream = self._stream(ev)
        cdef str kind = f"bar {ev.interval}"
        if self._timestamps(ev, stream, 2, kind, out):
            return
        if (
            ev.high < max(ev.open, ev.close, ev.low)
            or ev.low > min(ev.open, ev.close)
            or ev.volume < 0
        ):
            self._find(
                out,
                ev,
                a.BAD_OHLC,
                "error",
                f"{ev.interval} bar O {ev.open:g} H {ev.high:g} L {ev.low:g} C {ev.close:g} "
                f"V {ev.volume:g}",
            )
            return
        if self._outlier(stream.bar_volumes, ev.volume):
            self._find(
                out,
                ev,
                a.VOLUME_OUTLIER,
                "warning",
                f"{ev.interval} bar volume {ev.volume:g} against a median of "
                f"{stream.bar_volumes.median_now():g}",
            )
            return
        stream.bar_volumes.accept(ev.volume)

    cdef void _status(self, ev):
        cdef _Stream stream = self._stream(ev)
        if ev.state in HALT_STATES:
            stream.halted = True
        elif ev.state in RESUME_STATES:
            stream.halted = False
            stream.has_quote = False  # quotes from before the halt are no reference after it
            stream.stale_reported = False

    cdef void _count_minute(self, ev, double price, list out):
        cdef _Symbol sym
        cdef _Minute bucket
        found = self._minutes.get(ev.symbol)
        if found is None:
            sym = _Symbol()
            sym.state = a._SymbolMinutes(venue=ev.venue)
            self._minutes[ev.symbol] = sym
        else:
            sym = <_Symbol>found
        state = sym.state
        ts_event = ev.ts_event
        minute = ts_event // MINUTE_NS * MINUTE_NS
        if sym.current is None or minute != sym.current:
            providers = state.buckets.get(minute)
            if providers is None:
                providers = state.buckets[minute] = {}
                if sym.oldest is None or minute < sym.oldest:
                    sym.oldest = minute
            sym.current = minute
            sym.current_providers = providers
        found = sym.current_providers.get(ev.provider)
        if found is None:
            bucket = _Minute()
            sym.current_providers[ev.provider] = bucket
        else:
            bucket = <_Minute>found
        bucket.count += 1
        bucket.total += price
        if ts_event <= state.latest_ns:
            return
        state.latest_ns = ts_event
        # A minute is judged once the symbol's tape is a full minute past its end, so late
        # prints of the slower provider still count.
        if sym.oldest is None or sym.oldest + 2 * MINUTE_NS > ts_event:
            return
        for done in sorted(m for m in state.buckets if m + 2 * MINUTE_NS <= ts_event):
            a.judge_minute(self.config, self.counts, ev.symbol, state, done, ev.ts_recv, out)
        sym.oldest = min(state.buckets) if state.buckets else None
