"""Polygon (Massive) stocks WebSocket frames into events, and status messages into outcomes.

Formats, from the official documentation:
- https://massive.com/docs/websocket/quickstart (connect, ``auth`` with ``params`` = key,
  ``status`` messages, subscribe ``T.AAPL,Q.AAPL``)
- https://massive.com/docs/websocket/stocks/trades (``T``), https://massive.com/docs/websocket/stocks/quotes
  (``Q``), https://massive.com/docs/websocket/stocks/aggregates-per-second (``A``),
  https://massive.com/docs/websocket/stocks/aggregates-per-minute (``AM``),
  https://massive.com/docs/websocket/stocks/overview (``LULD``; its fields ``T h l i z t q`` as in
  the official client, github.com/polygon-io/client-python polygon/websocket/models/models.py)
- https://massive.com/knowledge-base/article/which-timestamps-are-returned-for-polygons-stock-trades-and-nbbo-quotes
  (``t`` is the SIP time, ``trft`` the TRF time, both Unix milliseconds on the WebSocket)

Mapping:
- ``T`` → ``Trade``: ``x`` exchange id → exchange, ``i`` → trade_id, ``z`` tape 1/2/3 → A/B/C,
  ``p``, ``s`` (``ds``, the fractional size string, wins when present), ``c`` condition ids →
  conditions, ``t`` → ts_event, ``q`` → seq, ``trfi`` → trf_id, ``trft`` → trf_ts
- ``Q`` → ``Quote``: ``bx``/``ax`` exchange ids, ``bp``/``bs``/``ap``/``as``, condition ``c`` →
  conditions[0], each indicator ``i`` → ``"ind:<id>"`` in conditions, ``z`` tape, ``q`` → seq,
  ``trfi``/``trft``
- ``A``/``AM`` → ``Bar`` ``1s``/``1m`` at ``s`` (start): ``o h l c v``, ``vw`` (the bar's
  VWAP), trades = ``v / z`` (``z`` is the average trade size); ``otc`` tickers get venue
  ``OTC``. The day-level fields ``av``, ``op``, ``a`` are running totals of the day, not of the
  bar, and are not stored (the day's bars give them); ``e`` is ``s`` + the interval.
- ``LULD`` → ``Status(kind="luld")`` with bands, indicators and tape; ``q`` → seq
- ``status`` messages: ``connected``, ``auth_success``, ``auth_failed`` (→ CredentialsError),
  ``success`` (subscription acks, tracked), ``max_connections`` (→ reconnect with backoff),
  ``error`` (→ a fatal ProviderError with the server's text).

Sequence numbers ``q`` increase per ticker but skip values, so a hole is not a gap.
"""

from __future__ import annotations

from typing import Final, TypeAlias, Union

import msgspec

from mdc.domain import native
from mdc.domain.events import Bar, Event, Quote, Status, Trade
from mdc.domain.time import NS_PER_MS
from mdc.providers.base import CredentialsError, ProviderError
from mdc.providers.connection import Frame, Reconnect
from mdc.providers.tagged import TaggedFrames

PROVIDER: Final = "polygon"
VENUE: Final = "SIP"
OTC_VENUE: Final = "OTC"
TAPES: Final[dict[int, str]] = {1: "A", 2: "B", 3: "C"}
"""Polygon's tape numbers: 1 = NYSE (A), 2 = NYSE American and regionals (B), 3 = Nasdaq (C)."""
INDICATOR_PREFIX: Final = "ind:"


class _Msg(msgspec.Struct, tag_field="ev", gc=False, kw_only=True):
    pass


class PTrade(_Msg, tag="T"):
    sym: str
    p: float
    t: int
    s: float = 0.0
    x: int | None = None
    i: str | None = None
    z: int | None = None
    c: list[int] = []
    q: int | None = None
    ds: str | None = None
    trfi: int | None = None
    trft: int | None = None


class PQuote(_Msg, tag="Q"):
    sym: str
    t: int
    bp: float = 0.0
    bs: float = 0.0
    ap: float = 0.0
    as_: float = msgspec.field(name="as", default=0.0)
    bx: int | None = None
    ax: int | None = None
    c: int | None = None
    i: list[int] = []
    z: int | None = None
    q: int | None = None
    trfi: int | None = None
    trft: int | None = None


class _PAgg(_Msg):
    sym: str
    o: float
    h: float
    l: float  # noqa: E741 - the wire name
    c: float
    v: float
    s: int
    e: int | None = None
    vw: float | None = None
    z: float | None = None
    av: float | None = None
    op: float | None = None
    a: float | None = None
    otc: bool = False


class PSecondAgg(_PAgg, tag="A"):
    pass


class PMinuteAgg(_PAgg, tag="AM"):
    pass


class PLuld(_Msg, tag="LULD"):
    T: str
    h: float
    l: float  # noqa: E741 - the wire name
    t: int
    i: list[int] = []
    z: int | None = None
    q: int | None = None


class PStatus(_Msg, tag="status"):
    status: str
    message: str = ""


Message: TypeAlias = Union[PTrade, PQuote, PSecondAgg, PMinuteAgg, PLuld, PStatus]  # noqa: UP007
KNOWN_TAGS: Final = frozenset(
    str(t.__struct_config__.tag) for t in (PTrade, PQuote, PSecondAgg, PMinuteAgg, PLuld, PStatus)
)

_frames: TaggedFrames[Message] = TaggedFrames(Message, "ev", KNOWN_TAGS)


def decode_frame(frame: Frame) -> list[Message]:
    """Typed messages of one frame; unknown event types are skipped, not fatal."""
    return _frames.decode(frame)


class PolygonParser:
    def __init__(self, *, compiled: bool = True) -> None:
        """``compiled=False`` keeps the Python reference even when the kernel is built."""
        self.subscribed: set[str] = set()
        """Channels the server acknowledged (``T.AAPL``)."""
        self._kernel = _kernel if compiled else None

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        messages = decode_frame(frame)
        if self._kernel is not None:
            return self._kernel.events(messages, ts_recv, self._event)  # type: ignore[no-any-return]
        out: list[Event] = []
        for msg in messages:
            self._event(msg, ts_recv, out)
        return out

    def _event(self, msg: Message, ts_recv: int, out: list[Event]) -> None:
        """The reference mapping of one message into ``out`` (the kernel hands back every
        message it does not map itself)."""
        if isinstance(msg, PTrade):
            out.append(
                Trade(
                    symbol=msg.sym,
                    venue=VENUE,
                    provider=PROVIDER,
                    ts_event=msg.t * NS_PER_MS,
                    ts_recv=ts_recv,
                    seq=msg.q,
                    price=msg.p,
                    size=float(msg.ds) if msg.ds else msg.s,
                    trade_id=msg.i,
                    exchange=None if msg.x is None else str(msg.x),
                    conditions=[str(c) for c in msg.c],
                    tape=_tape(msg.z),
                    trf_id=None if msg.trfi is None else str(msg.trfi),
                    trf_ts=None if msg.trft is None else msg.trft * NS_PER_MS,
                )
            )
        elif isinstance(msg, PQuote):
            conditions = [] if msg.c is None else [str(msg.c)]
            if msg.i:
                conditions += [f"{INDICATOR_PREFIX}{i}" for i in msg.i]
            out.append(
                Quote(
                    symbol=msg.sym,
                    venue=VENUE,
                    provider=PROVIDER,
                    ts_event=msg.t * NS_PER_MS,
                    ts_recv=ts_recv,
                    seq=msg.q,
                    bid_price=msg.bp,
                    bid_size=msg.bs,
                    ask_price=msg.ap,
                    ask_size=msg.as_,
                    bid_exchange=None if msg.bx is None else str(msg.bx),
                    ask_exchange=None if msg.ax is None else str(msg.ax),
                    conditions=conditions,
                    tape=_tape(msg.z),
                    trf_id=None if msg.trfi is None else str(msg.trfi),
                    trf_ts=None if msg.trft is None else msg.trft * NS_PER_MS,
                )
            )
        elif isinstance(msg, _PAgg):
            out.append(
                Bar(
                    symbol=msg.sym,
                    venue=OTC_VENUE if msg.otc else VENUE,
                    provider=PROVIDER,
                    ts_event=msg.s * NS_PER_MS,
                    ts_recv=ts_recv,
                    interval="1m" if isinstance(msg, PMinuteAgg) else "1s",
                    open=msg.o,
                    high=msg.h,
                    low=msg.l,
                    close=msg.c,
                    volume=msg.v,
                    vwap=msg.vw,
                    trades=round(msg.v / msg.z) if msg.z else None,
                )
            )
        elif isinstance(msg, PLuld):
            out.append(
                Status(
                    symbol=msg.T,
                    venue=VENUE,
                    provider=PROVIDER,
                    ts_event=msg.t * NS_PER_MS,
                    ts_recv=ts_recv,
                    seq=msg.q,
                    kind="luld",
                    state="bands",
                    detail=f"limit up {msg.h}; limit down {msg.l}; indicators "
                    f"{msg.i}; tape {_tape(msg.z)}",
                )
            )
        else:
            self.status(msg)

    def status(self, msg: PStatus) -> bool:
        """Handle a status message; True when it confirms authentication."""
        state = msg.status
        if state == "auth_success":
            return True
        if state == "auth_failed":
            raise CredentialsError(
                f"polygon: authentication failed ({msg.message!r}); check POLYGON_API_KEY "
                "and that the plan includes WebSocket access to this cluster"
            )
        if state == "success":
            self._track(msg.message)
        elif state == "max_connections":
            raise Reconnect(
                f"polygon: {msg.message or 'maximum number of connections exceeded'} "
                "(another client is using this key on this cluster)"
            )
        elif state in ("auth_timeout", "disconnected"):
            raise Reconnect(f"polygon: {state}: {msg.message}")
        elif state == "error":
            raise ProviderError(f"polygon: the server reported an error: {msg.message!r}")
        return False

    def check_auth(self, frame: Frame) -> bool:
        return any(self.status(m) for m in decode_frame(frame) if isinstance(m, PStatus))

    def _track(self, message: str) -> None:
        verb, _, channels = message.partition(":")
        names = {c.strip() for c in channels.split(",") if c.strip()}
        if verb.strip() == "subscribed to":
            self.subscribed |= names
        elif verb.strip() == "unsubscribed to":
            self.subscribed -= names


def _tape(z: int | None) -> str | None:
    return None if z is None else TAPES.get(z, str(z))


_kernel = native.load("mdc.providers.polygon.kernel")
if _kernel is not None:
    _kernel.bind(PTrade, PQuote, PMinuteAgg, PSecondAgg, VENUE, OTC_VENUE, TAPES, INDICATOR_PREFIX)
