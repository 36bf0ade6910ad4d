"""Alpaca stream frames (JSON or msgpack) into events, and control messages into outcomes.

Formats, from the official documentation:
- https://docs.alpaca.markets/docs/streaming-market-data (connection, auth, subscription,
  message format, content types, error codes 400–410 and 500), re-read 2026-12-02
- error 411 "insufficient scope": the official Go SDK, alpacahq/alpaca-trade-api-go
  ``marketdata/stream/errors.go`` (``ErrInsufficientScope``), read 2026-12-02; 412 (msgpack only)
  and 413 (``*`` not allowed) are the option stream's endpoint errors,
  https://docs.alpaca.markets/docs/real-time-option-data#errors, read 2026-12-02
- https://docs.alpaca.markets/docs/real-time-stock-pricing-data (trades, quotes, bars,
  updated/daily bars, trade corrections, cancels/errors, LULDs, trading statuses, imbalances)
- https://docs.alpaca.markets/docs/real-time-crypto-pricing-data (crypto trades with taker
  side, quotes, bars, order books with ``r`` = reset)

Every frame is a list of messages tagged by ``T``; one ``msgspec`` decoder turns a frame into
typed structs. In msgpack the ``t`` field is the msgpack timestamp extension, in JSON an RFC 3339
string with nanoseconds; both become int ns. Mapping:

- ``t`` trade → ``Trade`` (``i`` → trade_id, ``x`` → exchange, ``c`` → conditions, ``z`` →
  tape, crypto ``tks`` B/S → side buy/sell)
- ``q`` quote → ``Quote`` (``bx``/``ax`` exchanges, ``c`` conditions, ``z`` tape)
- ``b``/``u`` (minute, updated minute) → ``Bar`` 1m, ``d`` (running daily) → ``Bar`` 1d; an
  updated or re-sent bar repeats the (symbol, interval, ts_event) key: the last one wins
- ``s`` trading status → ``Status(kind="trading_status")``, state halted/resumed/paused/… from
  the status code, every code and message kept in ``detail``
- ``l`` LULD → ``Status(kind="luld")`` with the bands; ``i`` imbalance →
  ``Status(kind="imbalance")``
- ``c`` correction / ``x`` cancel-error → ``Integrity`` (``trade_correction`` /
  ``trade_cancel`` / ``trade_error``) with every original and corrected field in ``detail``;
  the archive keeps the original print and the repair is explicit
- ``o`` crypto order book → ``BookSnapshot`` when ``r`` (reset) is true, else one ``BookDelta``
  per level (size 0 removes the level)

Alpaca has no sequence numbers: ``seq`` stays None and trade ids only identify prints.
"""

from __future__ import annotations

import struct
from typing import Final, Generic, TypeAlias, TypeVar, Union, cast

import msgspec
from msgspec.msgpack import Ext

from mdc.domain import native
from mdc.domain.events import (
    Bar,
    BookDelta,
    BookSide,
    BookSnapshot,
    Event,
    Integrity,
    Quote,
    Side,
    Status,
    Trade,
)
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.domain.time import NS_PER_S
from mdc.providers.base import CredentialsError, ProviderError
from mdc.providers.connection import Frame, Reconnect
from mdc.providers.tagged import TaggedFrames

PROVIDER: Final = "alpaca"
MSGPACK_TIMESTAMP: Final = -1

# Error codes (streaming-market-data): what each means for the session.
AUTH_FAILED: Final = 402
ALREADY_AUTHENTICATED: Final = 403
RECONNECT_CODES: Final = frozenset({401, 404, 406, 407, 500})
"""not authenticated, auth timeout, connection limit, slow client, internal error: transient."""
FATAL_HINTS: Final[dict[int, str]] = {
    400: "the server rejected a message as invalid syntax (a malformed symbol?)",
    405: "symbol limit exceeded: the plan allows fewer symbols; subscribe fewer",
    409: 'insufficient subscription: the plan does not include this feed (use feed = "iex")',
    410: "invalid subscribe action for this feed (a channel this stream does not have)",
    411: "insufficient scope: the OAuth token may not read market data (use API keys, or a "
    "token with the data scope)",
    412: 'this stream sends msgpack only: set providers.alpaca.encoding = "msgpack"',
    413: "a * (all symbols) subscription is not allowed on this channel: list the symbols",
}
RECONNECT_HINTS: Final[dict[int, str]] = {
    406: "connection limit exceeded: another client is using these keys on this feed",
    407: "slow client: the server dropped messages we did not read fast enough",
}

# Trading status codes (CTA tapes A/B and UTP tapes C/O) that change tradability.
STATUS_STATES: Final[dict[str, str]] = {
    "2": "halted",
    "3": "resumed",
    "H": "halted",
    "T": "resumed",
    "Q": "quotation_resumed",
    "P": "paused",
}
CANCEL_KINDS: Final[dict[str, str]] = {"C": "trade_cancel", "E": "trade_error"}
TAKER_SIDES: Final[dict[str, Side]] = {"B": "buy", "S": "sell"}

TS = TypeVar("TS")


class _Msg(msgspec.Struct, Generic[TS], tag_field="T", gc=False, kw_only=True):
    pass


class _Data(_Msg[TS]):
    S: str
    t: TS


class ATrade(_Data[TS], tag="t"):
    p: float
    s: float
    i: int | None = None
    x: str | None = None
    c: list[str] = []
    z: str | None = None
    tks: str | None = None


class AQuote(_Data[TS], tag="q"):
    bp: float
    bs: float
    ap: float
    as_: float = msgspec.field(name="as")
    bx: str | None = None
    ax: str | None = None
    c: list[str] = []
    z: str | None = None


class _ABar(_Data[TS]):
    o: float
    h: float
    l: float  # noqa: E741 - the wire name
    c: float
    v: float
    vw: float | None = None
    n: int | None = None


class AMinuteBar(_ABar[TS], tag="b"):
    pass


class AUpdatedBar(_ABar[TS], tag="u"):
    pass


class ADailyBar(_ABar[TS], tag="d"):
    pass


class AStatus(_Data[TS], tag="s"):
    sc: str = ""
    sm: str = ""
    rc: str = ""
    rm: str = ""
    z: str | None = None


class ALuld(_Data[TS], tag="l"):
    u: float
    d: float
    i: str = ""
    z: str | None = None


class AImbalance(_Data[TS], tag="i"):
    p: float
    z: str | None = None


class ACorrection(_Data[TS], tag="c"):
    x: str | None = None
    oi: int | None = None
    op: float | None = None
    os: float | None = None
    oc: list[str] = []
    ci: int | None = None
    cp: float | None = None
    cs: float | None = None
    cc: list[str] = []
    z: str | None = None


class ACancel(_Data[TS], tag="x"):
    i: int | None = None
    x: str | None = None
    p: float | None = None
    s: float | None = None
    a: str = "C"
    z: str | None = None


class ALevel(msgspec.Struct, gc=False):
    p: float
    s: float


class AOrderbook(_Data[TS], tag="o"):
    b: list[ALevel] = []
    a: list[ALevel] = []
    r: bool = False


class ASuccess(_Msg[TS], tag="success"):
    msg: str = ""


class AError(_Msg[TS], tag="error"):
    code: int = 0
    msg: str = ""


class ASubscription(_Msg[TS], tag="subscription"):
    trades: list[str] = []
    quotes: list[str] = []
    bars: list[str] = []
    updatedBars: list[str] = []
    dailyBars: list[str] = []
    statuses: list[str] = []
    lulds: list[str] = []
    imbalances: list[str] = []
    orderbooks: list[str] = []
    corrections: list[str] = []
    cancelErrors: list[str] = []


_KNOWN: Final = (
    ATrade,
    AQuote,
    AMinuteBar,
    AUpdatedBar,
    ADailyBar,
    AStatus,
    ALuld,
    AImbalance,
    ACorrection,
    ACancel,
    AOrderbook,
    ASuccess,
    AError,
    ASubscription,
)
KNOWN_TAGS: Final = frozenset(str(t.__struct_config__.tag) for t in _KNOWN)

JsonMessage: TypeAlias = Union[  # noqa: UP007 - msgspec needs a runtime Union of generics
    ATrade[str],
    AQuote[str],
    AMinuteBar[str],
    AUpdatedBar[str],
    ADailyBar[str],
    AStatus[str],
    ALuld[str],
    AImbalance[str],
    ACorrection[str],
    ACancel[str],
    AOrderbook[str],
    ASuccess[str],
    AError[str],
    ASubscription[str],
]
PackMessage: TypeAlias = Union[  # noqa: UP007
    ATrade[Ext],
    AQuote[Ext],
    AMinuteBar[Ext],
    AUpdatedBar[Ext],
    ADailyBar[Ext],
    AStatus[Ext],
    ALuld[Ext],
    AImbalance[Ext],
    ACorrection[Ext],
    ACancel[Ext],
    AOrderbook[Ext],
    ASuccess[Ext],
    AError[Ext],
    ASubscription[Ext],
]
AnyMessage: TypeAlias = JsonMessage | PackMessage

_json: TaggedFrames[JsonMessage] = TaggedFrames(JsonMessage, "T", KNOWN_TAGS)
_pack: TaggedFrames[PackMessage] = TaggedFrames(PackMessage, "T", KNOWN_TAGS, msgpack=True)


_u32 = struct.Struct(">I").unpack
_u64 = struct.Struct(">Q").unpack
_ts96 = struct.Struct(">Iq").unpack


def msgpack_time_ns(ext: Ext) -> int:
    """The msgpack timestamp extension (32, 64 or 96 bit) as int ns."""
    if ext.code != MSGPACK_TIMESTAMP:
        raise ValueError(f"msgpack extension {ext.code} is not a timestamp")
    data = cast(bytes, ext.data)
    size = len(data)
    if size == 12:
        nanos, seconds = _ts96(data)
        return int(seconds) * NS_PER_S + int(nanos)
    if size == 8:
        value = int(_u64(data)[0])
        return (value & 0x3_FFFF_FFFF) * NS_PER_S + (value >> 34)
    if size == 4:
        return int(_u32(data)[0]) * NS_PER_S
    raise ValueError(f"msgpack timestamp of {size} bytes")


def decode_frame(frame: Frame) -> list[AnyMessage]:
    """Typed messages of one frame; unknown message types are skipped, not fatal."""
    if isinstance(frame, bytes):
        return _pack.decode(frame)  # type: ignore[return-value]
    return _json.decode(frame)  # type: ignore[return-value]


class AlpacaParser:
    """Maps one stream's messages into events; ``venue`` names the feed (IEX, SIP, ALPACA)."""

    def __init__(self, venue: str, *, compiled: bool = True) -> None:
        """``compiled=False`` keeps the Python reference even when the kernel is built."""
        self.venue = venue
        self._kernel = _kernel if compiled else None
        self.subscribed: dict[str, list[str]] = {}
        """The server's last acknowledged subscription set, per channel."""
        self.unknown = 0

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        messages = decode_frame(frame)
        if self._kernel is not None:
            return self._kernel.events(messages, self.venue, ts_recv, self._event)  # type: ignore[no-any-return]
        out: list[Event] = []
        for msg in messages:
            self._event(msg, ts_recv, out)
        return out

    def _event(self, msg: AnyMessage, ts_recv: int, out: list[Event]) -> None:
        """The reference mapping of one message into ``out`` (the kernel hands back every
        message it does not map itself)."""
        venue = self.venue
        if isinstance(msg, ATrade):
            out.append(
                Trade(
                    symbol=msg.S,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=_ts(msg.t),
                    ts_recv=ts_recv,
                    price=msg.p,
                    size=msg.s,
                    side=TAKER_SIDES.get(msg.tks or "", "unknown"),
                    trade_id=None if msg.i is None else str(msg.i),
                    exchange=msg.x,
                    conditions=msg.c,
                    tape=msg.z,
                )
            )
        elif isinstance(msg, AQuote):
            out.append(
                Quote(
                    symbol=msg.S,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=_ts(msg.t),
                    ts_recv=ts_recv,
                    bid_price=msg.bp,
                    bid_size=msg.bs,
                    ask_price=msg.ap,
                    ask_size=msg.as_,
                    bid_exchange=msg.bx,
                    ask_exchange=msg.ax,
                    conditions=msg.c,
                    tape=msg.z,
                )
            )
        elif isinstance(msg, _ABar):
            out.append(self._bar(msg, ts_recv))
        elif isinstance(msg, AOrderbook):
            out.extend(self._book(msg, ts_recv))
        elif isinstance(msg, AStatus):
            out.append(
                _status(
                    msg,
                    venue,
                    ts_recv,
                    "trading_status",
                    STATUS_STATES.get(msg.sc, "other"),
                    f"status {msg.sc} ({msg.sm}); reason {msg.rc} ({msg.rm}); tape {msg.z}",
                )
            )
        elif isinstance(msg, ALuld):
            out.append(
                _status(
                    msg,
                    venue,
                    ts_recv,
                    "luld",
                    msg.i or "bands",
                    f"limit up {msg.u}; limit down {msg.d}; indicator {msg.i}; tape {msg.z}",
                )
            )
        elif isinstance(msg, AImbalance):
            out.append(
                _status(
                    msg,
                    venue,
                    ts_recv,
                    "imbalance",
                    "indicative",
                    f"price {msg.p}; tape {msg.z}",
                )
            )
        elif isinstance(msg, ACorrection):
            out.append(
                _notice(
                    msg,
                    venue,
                    ts_recv,
                    "trade_correction",
                    f"exchange {msg.x}; tape {msg.z}; original id {msg.oi} price "
                    f"{msg.op} size {msg.os} conditions {msg.oc}; corrected id {msg.ci} "
                    f"price {msg.cp} size {msg.cs} conditions {msg.cc}",
                )
            )
        elif isinstance(msg, ACancel):
            out.append(
                _notice(
                    msg,
                    venue,
                    ts_recv,
                    CANCEL_KINDS.get(msg.a, "trade_cancel"),
                    f"id {msg.i}; exchange {msg.x}; price {msg.p}; size {msg.s}; "
                    f"action {msg.a}; tape {msg.z}",
                )
            )
        else:
            self.control(msg)

    def control(self, msg: AnyMessage) -> bool:
        """Handle a control message; True when it acknowledges authentication."""
        if isinstance(msg, ASuccess):
            return msg.msg == "authenticated"
        if isinstance(msg, ASubscription):
            self.subscribed = {
                name: list(getattr(msg, name))
                for name in msg.__struct_fields__
                if getattr(msg, name)
            }
            return False
        if isinstance(msg, AError):
            raise_for_error(msg.code, msg.msg)
        return False

    def check_auth(self, frame: Frame) -> bool:
        """True once authenticated; raises on an auth failure or another error."""
        return any(self.control(msg) for msg in decode_frame(frame))

    def _bar(self, msg: _ABar[str] | _ABar[Ext], ts_recv: int) -> Bar:
        return Bar(
            symbol=msg.S,
            venue=self.venue,
            provider=PROVIDER,
            ts_event=_ts(msg.t),
            ts_recv=ts_recv,
            interval="1d" if isinstance(msg, ADailyBar) else "1m",
            open=msg.o,
            high=msg.h,
            low=msg.l,
            close=msg.c,
            volume=msg.v,
            vwap=msg.vw,
            trades=msg.n,
        )

    def _book(self, msg: AOrderbook[str] | AOrderbook[Ext], ts_recv: int) -> list[Event]:
        ts = _ts(msg.t)
        if msg.r:
            return [
                BookSnapshot(
                    symbol=msg.S,
                    venue=self.venue,
                    provider=PROVIDER,
                    ts_event=ts,
                    ts_recv=ts_recv,
                    bids=sorted(((lv.p, lv.s) for lv in msg.b), reverse=True),
                    asks=sorted((lv.p, lv.s) for lv in msg.a),
                )
            ]
        sym, venue = msg.S, self.venue
        deltas: list[Event] = []
        sides: tuple[tuple[BookSide, list[ALevel]], ...] = (("bid", msg.b), ("ask", msg.a))
        for side, levels in sides:
            deltas += [
                BookDelta(
                    symbol=sym,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=ts,
                    ts_recv=ts_recv,
                    side=side,
                    price=lv.p,
                    size=lv.s,
                )
                for lv in levels
            ]
        return deltas


def raise_for_error(code: int, message: str) -> None:
    """Turn an Alpaca error message into the session's outcome (see the module docstring)."""
    text = f"alpaca: error {code} {message!r}"
    if code == AUTH_FAILED:
        raise CredentialsError(
            f"{text}: the key was rejected; check ALPACA_KEY_ID and ALPACA_SECRET_KEY "
            "(paper and live keys differ)"
        )
    if code == ALREADY_AUTHENTICATED:
        return
    if code in FATAL_HINTS:
        raise ProviderError(f"{text}: {FATAL_HINTS[code]}")
    if code in RECONNECT_CODES:
        raise Reconnect(f"{text}: {RECONNECT_HINTS.get(code, 'reconnecting')}")
    raise ProviderError(f"{text}: unknown error code")


def _status(
    msg: _Data[str] | _Data[Ext], venue: str, ts_recv: int, kind: str, state: str, detail: str
) -> Status:
    """A trading status, LULD band or imbalance of ``msg``'s symbol."""
    return Status(
        symbol=msg.S,
        venue=venue,
        provider=PROVIDER,
        ts_event=_ts(msg.t),
        ts_recv=ts_recv,
        kind=kind,
        state=state,
        detail=detail,
    )


def _notice(
    msg: _Data[str] | _Data[Ext], venue: str, ts_recv: int, kind: str, detail: str
) -> Integrity:
    """A correction or cancel of an earlier print: kept as information, not as a trade."""
    return Integrity(
        symbol=msg.S,
        venue=venue,
        provider=PROVIDER,
        ts_event=_ts(msg.t),
        ts_recv=ts_recv,
        kind=kind,
        severity="info",
        detail=detail,
    )


def _ts(value: str | Ext) -> int:
    return rfc3339_ns(value) if isinstance(value, str) else msgpack_time_ns(value)


_kernel = native.load("mdc.providers.alpaca.kernel")
if _kernel is not None:
    _kernel.bind(ATrade, AQuote, AMinuteBar, AUpdatedBar, ADailyBar, TAKER_SIDES, _ts)
