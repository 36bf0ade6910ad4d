# cython: language_level=3
"""The compiled simulated market: ``market.SymbolModel``'s order flow in typed code.

``market.py`` is the rule and the fallback; this module is the same model with its state in C:
each side of a book is a sorted array of (key, size) instead of a list and a dict, and each
symbol's random stream is the Mersenne Twister of its ``random.Random`` run here (:class:`Rand`
takes over that generator's state and yields the very doubles ``Random.random()`` would: the
same 32-bit words, combined as CPython's ``random_random`` does). Every float comes from the same
IEEE operations in the same order (``setup.py`` turns off FMA contraction) and the same libm
``log``/``sqrt``/``floor``/``ceil`` that ``math`` calls, so the same seed, symbols, call sequence
and timestamps give the same message tuples, hence byte-identical frames; differential tests
(``tests/unit/providers/simulated/test_generator_kernel.py``) hold the two paths to that.

:class:`Model` has ``SymbolModel``'s interface (``Market`` and the history generator use either)
and :func:`fill` is ``Market.messages``'s stepping loop, so a frame is built without a Python
call per step.
"""

cimport cython
from libc.math cimport ceil, floor, log, sqrt
from libc.stdint cimport int64_t, uint32_t
from libc.string cimport memmove
from cpython.mem cimport PyMem_Free, PyMem_Realloc

import random

from mdc.providers.simulated.market import (
    CANCEL_ALL_SHARE,
    DEPTH_DECAY_TICKS,
    KAPPA,
    LEVEL_LOTS_MEAN,
    LOT,
    MAX_STEP_DT_S,
    MAX_SWEEP_LEVELS,
    NORMAL,
    NORMAL_SIZE,
    ODD_LOT_SCALE,
    P_ADD,
    P_CANCEL,
    P_IMPROVE,
    P_INFORMED_TRADE,
    ROUND_LOT_SHARE,
    SPREAD_K,
    TRADING_SECONDS_PER_YEAR,
    VAR_CLAMP,
    VAR_FLOOR,
    VOL_OF_VAR,
    symbol_seed,
    ticks_per_unit,
)
from mdc.providers.simulated.wire import ASK, BID, DELTA, HALT, QUOTE, SNAPSHOT, TRADE

# -- the Mersenne Twister of CPython's _randommodule.c ------------------------------------------

cdef enum:
    MT_N = 624
    MT_M = 397
    STATE_VERSION = 3  # random.Random.getstate()'s version tag

cdef uint32_t MATRIX_A = 0x9908B0DF
cdef uint32_t UPPER_MASK = 0x80000000
cdef uint32_t LOWER_MASK = 0x7FFFFFFF
cdef uint32_t TEMPER_B = 0x9D2C5680
cdef uint32_t TEMPER_C = 0xEFC60000


@cython.final
cdef class Rand:
    """A ``random.Random``'s stream continued in C: ``random()``, ``getstate()``, ``setstate()``
    give what that object's would (``Market`` and ``Model`` draw only ``random()``)."""

    cdef uint32_t mt[MT_N]
    cdef int index
    cdef object gauss_next

    def __init__(self, seed):
        self.setstate(random.Random(seed).getstate())

    def setstate(self, state):
        version, internal, gauss_next = state
        if version != STATE_VERSION or len(internal) != MT_N + 1:
            raise ValueError(f"not a random.Random state: version {version}")
        index = internal[MT_N]
        if not 0 <= index <= MT_N:
            raise ValueError(f"state index out of range: {index}")
        for i in range(MT_N):
            self.mt[i] = internal[i]
        self.index = index
        self.gauss_next = gauss_next

    def getstate(self):
        return (STATE_VERSION, tuple([self.mt[i] for i in range(MT_N)] + [self.index]),
                self.gauss_next)

    def random(self):
        return self.next()

    cdef void _twist(self) noexcept nogil:
        cdef int kk
        cdef uint32_t y
        for kk in range(MT_N - MT_M):
            y = (self.mt[kk] & UPPER_MASK) | (self.mt[kk + 1] & LOWER_MASK)
            self.mt[kk] = self.mt[kk + MT_M] ^ (y >> 1) ^ (MATRIX_A if y & 1 else 0)
        for kk in range(MT_N - MT_M, MT_N - 1):
            y = (self.mt[kk] & UPPER_MASK) | (self.mt[kk + 1] & LOWER_MASK)
            self.mt[kk] = self.mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ (MATRIX_A if y & 1 else 0)
        y = (self.mt[MT_N - 1] & UPPER_MASK) | (self.mt[0] & LOWER_MASK)
        self.mt[MT_N - 1] = self.mt[MT_M - 1] ^ (y >> 1) ^ (MATRIX_A if y & 1 else 0)
        self.index = 0

    cdef inline uint32_t _word(self) noexcept nogil:
        cdef uint32_t y
        if self.index >= MT_N:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & TEMPER_B
        y ^= (y << 15) & TEMPER_C
        y ^= y >> 18
        return y

    cdef inline double next(self) noexcept nogil:
        """A double in [0, 1) from 53 random bits, as ``random_random`` builds it."""
        cdef uint32_t a = self._word() >> 5
        cdef uint32_t b = self._word() >> 6
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


# -- the model's constants, read from market.py (one source) -------------------------------------

if NORMAL_SIZE != 4096 or len(NORMAL) != NORMAL_SIZE:
    raise ImportError("market.NORMAL changed size; the generator kernel is out of date")
cdef double NORMAL_TABLE[4096]
for _i in range(4096):
    NORMAL_TABLE[_i] = NORMAL[_i]

cdef double C_KAPPA = KAPPA
cdef double C_VOL_OF_VAR = VOL_OF_VAR
cdef double C_VAR_FLOOR = VAR_FLOOR
cdef double C_VAR_CLAMP = VAR_CLAMP
cdef double C_SPREAD_K = SPREAD_K
cdef double C_MAX_STEP_DT_S = MAX_STEP_DT_S
cdef double C_LEVEL_LOTS_MEAN = LEVEL_LOTS_MEAN
cdef double C_DEPTH_DECAY_TICKS = DEPTH_DECAY_TICKS
cdef double C_ROUND_LOT_SHARE = ROUND_LOT_SHARE
cdef double C_ODD_LOT_SCALE = ODD_LOT_SCALE
cdef double C_P_INFORMED_TRADE = P_INFORMED_TRADE
cdef double C_P_IMPROVE = P_IMPROVE
cdef double C_P_ADD = P_ADD
cdef double C_P_CANCEL = P_CANCEL
cdef double C_CANCEL_ALL_SHARE = CANCEL_ALL_SHARE
cdef double C_TRADING_SECONDS_PER_YEAR = TRADING_SECONDS_PER_YEAR
cdef int64_t C_LOT = LOT
cdef int C_MAX_SWEEP_LEVELS = MAX_SWEEP_LEVELS


# -- one side of a book --------------------------------------------------------------------------

cdef struct Side:
    int64_t* keys  # ascending from the best price: tick for asks, -tick for bids
    int64_t* sizes
    Py_ssize_t n
    Py_ssize_t cap
    int sign


cdef int side_reserve(Side* side, Py_ssize_t cap) except -1:
    cdef int64_t* keys
    cdef int64_t* sizes
    if cap <= side.cap:
        return 0
    keys = <int64_t*>PyMem_Realloc(side.keys, cap * sizeof(int64_t))
    if keys == NULL:
        raise MemoryError()
    side.keys = keys
    sizes = <int64_t*>PyMem_Realloc(side.sizes, cap * sizeof(int64_t))
    if sizes == NULL:
        raise MemoryError()
    side.sizes = sizes
    side.cap = cap
    return 0


cdef inline Py_ssize_t side_find(Side* side, int64_t key) noexcept nogil:
    """The index of ``key``, or -1."""
    cdef Py_ssize_t i
    for i in range(side.n):
        if side.keys[i] >= key:
            return i if side.keys[i] == key else -1
    return -1


cdef int side_insert(Side* side, int64_t key, int64_t size) except -1:
    """A new level at its sorted place (``key`` is not on the side)."""
    cdef Py_ssize_t i = 0
    if side.n >= side.cap:
        side_reserve(side, side.cap * 2 + 2)
    while i < side.n and side.keys[i] < key:
        i += 1
    memmove(&side.keys[i + 1], &side.keys[i], (side.n - i) * sizeof(int64_t))
    memmove(&side.sizes[i + 1], &side.sizes[i], (side.n - i) * sizeof(int64_t))
    side.keys[i] = key
    side.sizes[i] = size
    side.n += 1
    return 0


cdef inline void side_remove(Side* side, Py_ssize_t i) noexcept nogil:
    memmove(&side.keys[i], &side.keys[i + 1], (side.n - i - 1) * sizeof(int64_t))
    memmove(&side.sizes[i], &side.sizes[i + 1], (side.n - i - 1) * sizeof(int64_t))
    side.n -= 1


# -- the model -----------------------------------------------------------------------------------

@cython.final
cdef class Model:
    """``SymbolModel`` with its book in C arrays; see ``market.SymbolModel`` for every rule."""

    cdef public str symbol
    cdef readonly int levels
    cdef public bint emit_trades
    cdef public bint emit_quotes
    cdef public bint emit_depth
    cdef readonly Rand rng
    cdef readonly int64_t tpu
    cdef public double fair
    cdef public double min_fair
    cdef public double long_run_var
    cdef public double var
    cdef public int64_t last_ts
    cdef public int64_t seq
    cdef Side bids
    cdef Side asks

    def __cinit__(self):
        self.bids.keys = self.bids.sizes = NULL
        self.asks.keys = self.asks.sizes = NULL
        self.bids.n = self.bids.cap = self.asks.n = self.asks.cap = 0
        self.bids.sign = -1
        self.asks.sign = 1

    def __dealloc__(self):
        PyMem_Free(self.bids.keys)
        PyMem_Free(self.bids.sizes)
        PyMem_Free(self.asks.keys)
        PyMem_Free(self.asks.sizes)

    def __init__(self, symbol, double price, double volatility, seed, int64_t ts, str salt=""):
        self.symbol = symbol.symbol
        self.levels = symbol.depth_levels
        self.emit_trades = symbol.trades
        self.emit_quotes = symbol.quotes
        self.emit_depth = symbol.depth
        self.rng = Rand(symbol_seed(seed, symbol.symbol, salt))
        self.tpu = ticks_per_unit(price)
        self.fair = price * self.tpu
        self.min_fair = 2.0 * self.levels + 2.0
        self.long_run_var = volatility * volatility / C_TRADING_SECONDS_PER_YEAR
        self.var = self.long_run_var
        self.last_ts = ts
        self.seq = 0
        self._reserve()
        self._seed_book()

    cdef int _reserve(self) except -1:
        """Room for ``levels`` plus the one a sweep adds before taking the last level."""
        side_reserve(&self.bids, self.levels + 2)
        side_reserve(&self.asks, self.levels + 2)
        return 0

    # -- state -----------------------------------------------------------------------------------

    def options(self):
        return self.emit_trades, self.emit_quotes, self.emit_depth, self.levels

    def reconfigure(self, symbol):
        self.emit_trades = symbol.trades
        self.emit_quotes = symbol.quotes
        self.emit_depth = symbol.depth
        self.levels = symbol.depth_levels
        self.min_fair = 2.0 * self.levels + 2.0
        self._reserve()
        if self.bids.n > self.levels:
            self.bids.n = self.levels
        if self.asks.n > self.levels:
            self.asks.n = self.levels

    cdef int _seed_book(self) except -1:
        cdef int64_t best_bid = <int64_t>floor(self.fair - 0.5)
        cdef int64_t i
        if best_bid < self.levels + 1:
            best_bid = self.levels + 1
        for i in range(self.levels):
            self._rest(&self.bids, -(best_bid - i), self._lots())
            self._rest(&self.asks, best_bid + 1 + i, self._lots())
        return 0

    cdef inline int64_t _lots(self) noexcept:
        return C_LOT * (1 + <int64_t>(-log(1.0 - self.rng.next()) * C_LEVEL_LOTS_MEAN))

    cdef inline int64_t _order_size(self) noexcept:
        return C_LOT * (1 + <int64_t>(-log(1.0 - self.rng.next()) * 4.0))

    cdef int _rest(self, Side* side, int64_t key, int64_t size) except -1:
        cdef Py_ssize_t i = side_find(side, key)
        if i < 0:
            side_insert(side, key, size)
        else:
            side.sizes[i] = size
        return 0

    def bbo(self):
        """Best bid tick, bid size, best ask tick, ask size."""
        return (-self.bids.keys[0], self.bids.sizes[0], self.asks.keys[0], self.asks.sizes[0])

    def book(self):
        """Bids and asks as (price, size), best first."""
        cdef Py_ssize_t i
        cdef double tpu = <double>self.tpu
        bids = [(-self.bids.keys[i] / tpu, self.bids.sizes[i]) for i in range(self.bids.n)]
        asks = [(self.asks.keys[i] / tpu, self.asks.sizes[i]) for i in range(self.asks.n)]
        return bids, asks

    # -- messages --------------------------------------------------------------------------------

    def snapshot(self, int64_t ts, list out):
        if ts > self.last_ts:
            self.last_ts = ts
        if self.emit_depth:
            bids, asks = self.book()
            self.seq += 1
            out.append((SNAPSHOT, self.symbol, self.seq, ts, bids, asks))
        if self.emit_quotes:
            self._quote(ts, out)

    def status(self, int64_t ts, str state, list out):
        if ts > self.last_ts:
            self.last_ts = ts
        self.seq += 1
        out.append((HALT, self.symbol, self.seq, ts, state))

    cdef int _quote(self, object ts, list out) except -1:
        cdef double tpu = <double>self.tpu
        self.seq += 1
        out.append((QUOTE, self.symbol, self.seq, ts, -self.bids.keys[0] / tpu,
                    self.bids.sizes[0], self.asks.keys[0] / tpu, self.asks.sizes[0]))
        return 0

    cdef inline int _delta(self, Side* side, int64_t key, int64_t size, object ts, list out) except -1:
        if self.emit_depth:
            self.seq += 1
            out.append((DELTA, self.symbol, self.seq, ts, BID if side.sign < 0 else ASK,
                        (side.sign * key) / <double>self.tpu, size))
        return 0

    # -- order flow ------------------------------------------------------------------------------

    def step(self, int64_t ts, list out):
        self._step(ts, out)

    cdef int _step(self, int64_t ts, list out) except -1:
        cdef Rand rng = self.rng
        cdef double var = self.var
        cdef double dt, z, fair, lrv, u, half
        cdef int64_t bid_key, ask_key, bid_size = 0, ask_size = 0, best_bid, bid_target
        cdef int64_t ask_target, tick, low, lots
        cdef bint quotes = self.emit_quotes
        cdef Side* bids = &self.bids
        cdef Side* asks = &self.asks
        cdef object ts_obj
        if ts <= self.last_ts:
            ts = self.last_ts
        else:
            dt = <double>(ts - self.last_ts) * 1e-9
            if dt > C_MAX_STEP_DT_S:
                dt = C_MAX_STEP_DT_S
            self.last_ts = ts
            z = NORMAL_TABLE[<Py_ssize_t>(rng.next() * 4096)]
            fair = self.fair * (1.0 + sqrt(var * dt) * z)
            self.fair = fair if fair > self.min_fair else self.min_fair
            lrv = self.long_run_var
            var += dt * C_KAPPA * (lrv - var) + C_VOL_OF_VAR * sqrt(0.5 * dt) * (z * z - 1.0) * var
            if var < lrv * C_VAR_FLOOR:
                var = lrv * C_VAR_FLOOR
            elif var > lrv * C_VAR_CLAMP:
                var = lrv * C_VAR_CLAMP
            self.var = var
        ts_obj = ts
        fair = self.fair
        bid_key = bids.keys[0]
        ask_key = asks.keys[0]
        if quotes:
            bid_size = bids.sizes[0]
            ask_size = asks.sizes[0]
        u = rng.next()
        if <double>ask_key < fair:
            if u < C_P_INFORMED_TRADE:
                self._execute(asks, self._order_size(), ts_obj, out)
            else:
                self._cancel(asks, ask_key, asks.sizes[0], ts_obj, out)
        elif <double>(-bid_key) > fair:
            if u < C_P_INFORMED_TRADE:
                self._execute(bids, self._order_size(), ts_obj, out)
            else:
                self._cancel(bids, bid_key, bids.sizes[0], ts_obj, out)
        elif u < C_P_IMPROVE and ask_key + bid_key > 1:
            half = 0.5 * C_SPREAD_K * fair * sqrt(var)
            if not half > 0.5:
                half = 0.5
            best_bid = -bid_key
            bid_target = <int64_t>floor(fair - half)
            ask_target = <int64_t>ceil(fair + half)
            if best_bid < bid_target and (ask_key <= ask_target or u < 0.5 * C_P_IMPROVE):
                tick = bid_target if bid_target < ask_key - 1 else ask_key - 1
                tick = best_bid + 1 + <int64_t>(rng.next() * <double>(tick - best_bid))
                lots = self._lots()
                self._add(bids, -tick, lots, ts_obj, out)
            elif ask_key > ask_target:
                low = ask_target if ask_target > best_bid + 1 else best_bid + 1
                tick = low + <int64_t>(rng.next() * <double>(ask_key - low))
                lots = self._lots()
                self._add(asks, tick, lots, ts_obj, out)
            else:
                self._noise(ts_obj, out)
        else:
            self._noise(ts_obj, out)
        if bids.n < self.levels or asks.n < self.levels:
            self._refill(ts_obj, out)
        if quotes and (bids.keys[0] != bid_key or bids.sizes[0] != bid_size
                       or asks.keys[0] != ask_key or asks.sizes[0] != ask_size):
            self._quote(ts_obj, out)
        return 0

    cdef int _refill(self, object ts, list out) except -1:
        self._restock(&self.bids, ts, out)
        self._restock(&self.asks, ts, out)
        return 0

    cdef int _restock(self, Side* side, object ts, list out) except -1:
        cdef int64_t key, lots
        while side.n < self.levels:
            key = side.keys[side.n - 1] + 1 + <int64_t>(self.rng.next() * 2)
            if side.sign < 0 and key >= 0:
                break
            lots = self._lots()
            self._add(side, key, lots, ts, out)
        return 0

    cdef int _noise(self, object ts, list out) except -1:
        cdef Rand rng = self.rng
        cdef double u = rng.next()
        cdef Side* side = &self.bids if u < 0.5 else &self.asks
        cdef int64_t key, size
        cdef Py_ssize_t i
        u = (u if u < 0.5 else u - 0.5) * 2.0
        if u < C_P_ADD:
            key = side.keys[0] + <int64_t>(-log(1.0 - rng.next()) * C_DEPTH_DECAY_TICKS)
            if side.sign < 0 and key >= 0:
                return 0
            size = C_LOT * (1 + <int64_t>(rng.next() * 4))
            self._add(side, key, size, ts, out)
        elif u < C_P_ADD + C_P_CANCEL:
            i = <Py_ssize_t>(rng.next() * <double>side.n)
            key = side.keys[i]
            u = (u - C_P_ADD) / C_P_CANCEL
            if u < C_CANCEL_ALL_SHARE:
                size = side.sizes[i]
            else:
                size = C_LOT * (1 + <int64_t>(u * 3))
            self._cancel(side, key, size, ts, out)
        else:
            u = (u - C_P_ADD - C_P_CANCEL) / (1.0 - C_P_ADD - C_P_CANCEL)
            if u < C_ROUND_LOT_SHARE:
                size = C_LOT
            else:
                size = 1 + <int64_t>((u - C_ROUND_LOT_SHARE) * C_ODD_LOT_SCALE)
            self._execute(side, size, ts, out)
        return 0

    cdef int _add(self, Side* side, int64_t key, int64_t size, object ts, list out) except -1:
        cdef Py_ssize_t i = side_find(side, key)
        cdef int64_t worst
        if i >= 0:
            side.sizes[i] += size
            self._delta(side, key, side.sizes[i], ts, out)
            return 0
        if side.n >= self.levels:
            worst = side.keys[side.n - 1]
            if key > worst:
                return 0
            side.n -= 1
            self._delta(side, worst, 0, ts, out)
        side_insert(side, key, size)
        self._delta(side, key, size, ts, out)
        return 0

    cdef int _cancel(self, Side* side, int64_t key, int64_t size, object ts, list out) except -1:
        cdef Py_ssize_t i = side_find(side, key)
        cdef int64_t left = side.sizes[i] - size
        if left <= 0:
            if side.n == 1:
                return 0
            side_remove(side, i)
            self._delta(side, key, 0, ts, out)
        else:
            side.sizes[i] = left
            self._delta(side, key, left, ts, out)
        return 0

    cdef int _execute(self, Side* side, int64_t size, object ts, list out) except -1:
        cdef int sweep
        cdef int64_t key, resting, filled, lots
        cdef bint last
        cdef double tpu = <double>self.tpu
        for sweep in range(C_MAX_SWEEP_LEVELS):
            key = side.keys[0]
            resting = side.sizes[0]
            filled = size if size < resting else resting
            last = filled == resting and side.n == 1
            if last and side.sign < 0 and key >= -1:
                filled -= 1  # no price below the lowest tick to refill at: leave a share
                last = False
            if filled <= 0:
                return 0
            if self.emit_trades:
                self.seq += 1
                out.append((TRADE, self.symbol, self.seq, ts, (side.sign * key) / tpu, filled))
            size -= filled
            if filled < resting:
                side.sizes[0] = resting - filled
                self._delta(side, key, resting - filled, ts, out)
                return 0
            if last:
                lots = self._lots()
                self._rest(side, key + 1, lots)
                self._delta(side, key + 1, lots, ts, out)
            side_remove(side, 0)
            self._delta(side, key, 0, ts, out)
            if size <= 0:
                return 0
        return 0


def fill(list out, list active, Rand pick, int64_t n, int64_t ts0, int64_t span):
    """``Market.messages``'s loop: steps picked by ``pick`` until ``n`` more messages are out,
    spread over ``span`` ns from ``ts0``. The caller keeps ``span * n`` within 63 bits."""
    cdef Py_ssize_t base = len(out)
    cdef Py_ssize_t target = base + n
    cdef Py_ssize_t count = len(active)
    cdef Model model
    cdef int64_t ts
    while len(out) < target:
        ts = ts0 + span * <int64_t>(len(out) - base) // n
        model = <Model?>active[<Py_ssize_t>(pick.next() * <double>count)]
        model._step(ts, out)
