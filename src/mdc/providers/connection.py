"""The WebSocket connection layer every streaming provider shares.

A provider supplies only its wire format, as a :class:`WireProtocol` (URL, auth and subscribe
messages, the acknowledgement check, the frame parser). :class:`StreamSession` does everything
else, the same way for every provider — the split databento makes between ``protocol.py`` and
``session.py``:

- **connect** (``websockets``), send ``auth_messages()`` and read frames until ``check_auth``
  accepts (returns True) or rejects (raises :class:`CredentialsError`, which ``run`` re-raises:
  retrying a rejected key cannot help). No reply within ``auth_timeout_s`` is a transient error.
- **subscribe** every symbol (``subscribe_messages``), then the **read loop**: it only receives,
  records the raw frame (``sink.raw``), skips heartbeats, parses (``parse(frame, ts_recv)``) and
  ``await sink.publish(events)``. A frame whose parse raises anything but the control exceptions
  below goes to ``sink.bad_frame`` and is counted; the loop goes on.
- **control exceptions** a protocol raises from ``check_auth``/``parse``: :class:`Reconnect`
  (drop the connection and reconnect with backoff, e.g. a slow-client error),
  :class:`~mdc.providers.base.CredentialsError` and :class:`~mdc.providers.base.ProviderError`
  (fatal: ``run`` raises it, e.g. symbol limit or an insufficient subscription).
- **heartbeats**: WebSocket pings (``ping_interval_s``/``ping_timeout_s``) and, if the protocol
  has one, an application heartbeat every ``heartbeat_interval_s``.
- **staleness watchdog**: no frame for ``stale_after_s`` reconnects — for equities only while
  the protocol's exchange calendar (``calendar = "XNYS"``) is in session, because a silent feed
  outside market hours is normal. The watchdog never fires while ``publish`` is waiting
  (backpressure is not staleness).
- **reconnect** with jittered exponential backoff (``reconnect_initial_s`` doubling up to
  ``reconnect_max_s``, ``reconnect_jitter`` fraction of randomness); the backoff resets once a
  connection delivers data; ``max_retries`` consecutive failures (0 = never give up) end
  ``run`` with a :class:`ProviderError`. Every subscription is sent again after a reconnect.
- **planned reconnects**: ``max_connection_age_s`` on the protocol (Binance's 24 h limit) or
  :meth:`StreamSession.request_reconnect` reconnect at once, without backoff.
- **gaps**: for every outage and every subscribed symbol one ``Gap`` with ``from_ts`` = the last
  event's ``ts_event`` before the outage (or when the subscription started, if there was none)
  and ``to_ts`` = the first event's ``ts_event`` after it; it is published in the same batch as
  that event. Repeated failures before data returns form one outage. An outage still open when
  ``run`` ends (cancelled or fatal error) is published with ``to_ts`` = now.
- **subscriptions** may be added and removed while running (:meth:`StreamSession.subscribe`,
  :meth:`StreamSession.unsubscribe`).
- ``ConnectionState`` (``providers/base.py``) is kept current for metrics and ``/status``.

A provider's ``stream.py`` is usually just::

    class AcmeStream(WebSocketProvider):
        spec = SPEC
        def make_protocol(self) -> WireProtocol: return AcmeProtocol(...)
        def stream_options(self) -> StreamOptions: return provider_section(...)

and its config struct subclasses :class:`StreamOptions` so every tunable here is a config key
(``[providers.acme] reconnect_max_s = 10``, ``MDC_PROVIDERS__ACME__RECONNECT_MAX_S=10``).
"""

from __future__ import annotations

import asyncio
import logging
import operator
import socket
import ssl
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Annotated, Any, Final, TypeAlias
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.backoff import backoff_delay
from mdc.domain.calendar import MarketHours
from mdc.domain.events import Event, Gap
from mdc.domain.time import NS_PER_S, now_ns
from mdc.providers.base import (
    ConnectionState,
    CredentialsError,
    ProviderError,
    StreamingProvider,
    StreamSink,
)

log = logging.getLogger(__name__)
_symbol = operator.attrgetter("symbol")
_ts_event = operator.attrgetter("ts_event")
wire_log = logging.getLogger(f"{__name__}.wire")
"""The websockets library's logger: held at INFO so that --log-level DEBUG never prints frames
(the auth frame carries the API key)."""
wire_log.setLevel(logging.INFO)

Frame: TypeAlias = str | bytes
PositiveSeconds = Annotated[float, Meta(gt=0)]

WATCHDOG_TICK_MAX_S: Final = 1.0
"""The watchdog checks at least this often (and 4x per ``stale_after_s`` when that is shorter)."""
AUTH_REJECTED_STATUS: Final = frozenset({401, 403})
"""HTTP statuses of a refused WebSocket upgrade that mean the credentials were refused."""
MAX_ERROR_TEXT: Final = 300
"""Longest server text quoted in an error message."""
ERROR_AFTER_FAILURES: Final = 3
"""Consecutive failed connections logged at WARNING; from this many on, at ERROR."""
MAX_QUEUED_FRAMES: Final = 4096
"""Frames the socket buffers while ``publish`` waits; beyond it, TCP backpressure reaches the
server (which may then drop us as a slow client — reported and reconnected, never hidden)."""


class StreamOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Connection tunables; each provider's config struct subclasses this (one key each)."""

    reconnect_initial_s: PositiveSeconds = 0.5
    reconnect_max_s: PositiveSeconds = 30.0
    reconnect_jitter: Annotated[float, Meta(ge=0, le=1)] = 0.5
    """Fraction of each delay that is random (0 = fixed delays, 1 = anywhere in 0..delay)."""
    max_retries: Annotated[int, Meta(ge=0)] = 0
    """Consecutive failed connections before giving up; 0 retries forever."""
    connect_timeout_s: PositiveSeconds = 10.0
    auth_timeout_s: PositiveSeconds = 10.0
    ping_interval_s: Annotated[float, Meta(ge=0)] = 20.0
    """WebSocket ping cadence; 0 disables pings."""
    ping_timeout_s: PositiveSeconds = 20.0
    close_timeout_s: PositiveSeconds = 2.0
    stale_after_s: PositiveSeconds | None = None
    """No frame for this long means the stream is dead; None uses ``pipeline.stale_after_s``."""
    stale_market_hours_only: bool = True
    """Watch equities only while their exchange is in session (False: watch around the clock)."""
    max_frame_mb: Annotated[int, Meta(ge=1, le=1024)] = 16
    compression: bool = True
    """permessage-deflate (RFC 7692): less bandwidth for some CPU."""


class Reconnect(Exception):
    """Raised by a protocol to drop the connection and reconnect with backoff."""


class WireProtocol(ABC):
    """One provider's wire format: what to send, what replies mean, how frames become events.

    The session calls these from one task, so a protocol may keep per-connection state (reset
    it in :meth:`reset`, called before every connection).
    """

    provider: str
    """Provider name for events, raw capture and bad frames."""
    calendar: str | None = None
    """exchange_calendars name (``"XNYS"``) whose sessions bound the staleness watchdog;
    None for markets that never close."""
    max_connection_age_s: float | None = None
    """Reconnect (planned) before the server's connection lifetime limit, if it has one."""
    heartbeat_interval_s: float | None = None
    """Send :meth:`heartbeat_message` this often, for servers that want app-level pings."""
    send_interval_s: float | None = None
    """Least time between two frames the session sends, for servers that limit incoming
    messages (Binance: 5 per second); None sends at once."""

    @abstractmethod
    def url(self) -> str:
        """The WebSocket URL to connect to (may change between connections)."""

    def headers(self) -> dict[str, str]:
        """Extra HTTP headers for the upgrade request (header-based auth)."""
        return {}

    def auth_messages(self) -> list[Frame]:
        """Messages that authenticate; none means no authentication step."""
        return []

    def check_auth(self, frame: Frame) -> bool:
        """True once ``frame`` acknowledges authentication; False for frames that do not
        decide it (a greeting); raise :class:`CredentialsError` when the key is rejected."""
        return True

    @abstractmethod
    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        """Messages that subscribe ``symbols`` (channels per the symbol's flags)."""

    @abstractmethod
    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        """Messages that end the subscriptions of ``symbols``."""

    @abstractmethod
    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        """The events in ``frame``. Raise :class:`Reconnect`/:class:`ProviderError` for
        server errors; any other exception marks the frame as bad."""

    def is_heartbeat(self, frame: Frame) -> bool:
        """True for frames that only prove liveness (skipped before ``parse``)."""
        return False

    def heartbeat_message(self) -> Frame | None:
        return None

    def reset(self) -> None:  # noqa: B027 - optional hook
        """Forget per-connection state (sequence numbers, buffered book deltas)."""

    async def on_connected(self, session: StreamSession) -> None:  # noqa: B027 - optional hook
        """Runs beside the read loop once subscribed (e.g. REST book snapshots, published with
        ``session.publish``); cancelled when the connection ends. An exception ends the
        connection like a read error."""

    def venue(self, symbol: str) -> str:
        """The venue written on ``Gap`` events for ``symbol``."""
        return self.provider


class _Outage(msgspec.Struct, gc=False):
    from_ts: int
    reason: str
    detail: str


class StreamSession:
    """Runs one :class:`WireProtocol` over a WebSocket until cancelled or a fatal error."""

    def __init__(
        self,
        protocol: WireProtocol,
        sink: StreamSink,
        options: StreamOptions,
        stale_after_s: float,
        state: ConnectionState | None = None,
    ) -> None:
        self.protocol = protocol
        self.sink = sink
        self.options = options
        self.stale_after_s = options.stale_after_s or stale_after_s
        self.state = state if state is not None else ConnectionState()
        self.bad_frames = 0
        self.events = 0
        self.gaps = 0
        self._subs: dict[str, SymbolConfig] = {}
        self._since: dict[str, int] = {}
        self._last_ts: dict[str, int] = {}
        self._outages: dict[str, _Outage] = {}
        self._ws: ClientConnection | None = None
        self._streaming = False
        self._publishing = False
        self._delivered = False
        self._restart = asyncio.Event()
        self._restart_reason = ""
        self._hours: MarketHours | None = None
        self._last_send = -1e18
        """Event-loop time of the last frame sent (for ``send_interval_s``)."""

    # -- public API ------------------------------------------------------------------------

    @property
    def subscriptions(self) -> list[SymbolConfig]:
        return list(self._subs.values())

    def is_stale(self, now: int | None = None) -> bool:
        """No frame for ``stale_after_s`` while the market (if any) is open."""
        now = now_ns() if now is None else now
        if self._publishing or not self._streaming:
            return False
        if (now - self.state.last_message_ns) < self.stale_after_s * NS_PER_S:
            return False
        return self._hours is None or self._hours.is_open(now)

    async def run(self, symbols: Sequence[SymbolConfig] = ()) -> None:
        """Connect and stream until cancelled; raise only errors retrying cannot fix."""
        self._add(symbols)
        if self.protocol.calendar and self.options.stale_market_hours_only:
            self._hours = await asyncio.to_thread(MarketHours, self.protocol.calendar)
        failures = 0
        try:
            while True:
                reason, detail, planned = await self._connection()
                self._mark_outage(reason, detail)
                if self._delivered:
                    failures = 0
                if planned:
                    delay = 0.0
                else:
                    failures += 1
                    if self.options.max_retries and failures > self.options.max_retries:
                        raise ProviderError(
                            f"{self.protocol.provider}: giving up after {failures - 1} "
                            f"reconnect attempt(s); last error: {detail}"
                        )
                    delay = self.backoff(failures)
                self.state.state = "backoff"
                # A few failures are routine (a server restart); more in a row need a person.
                level = logging.ERROR if failures >= ERROR_AFTER_FAILURES else logging.WARNING
                log.log(
                    level,
                    "%s: %s (%s); reconnecting in %.2fs%s",
                    self.protocol.provider,
                    detail,
                    reason,
                    delay,
                    f" ({failures} failed attempts in a row)" if failures > 1 else "",
                )
                await asyncio.sleep(delay)
                self.state.reconnects += 1
        except (ProviderError, asyncio.CancelledError) as exc:
            # Only outages already open become gaps: stopping is not an outage.
            self.state.connected = False
            self.state.state = "failed" if isinstance(exc, ProviderError) else "stopped"
            if isinstance(exc, ProviderError):
                self.state.last_error = str(exc)
            await self._publish_open_gaps()
            raise

    async def subscribe(self, symbols: Sequence[SymbolConfig]) -> None:
        """Add (or change) subscriptions; sent now if streaming, else on the next connect."""
        added = self._add(symbols)
        if added and self._streaming:
            now = now_ns()
            for sub in added:
                self._since.setdefault(sub.symbol, now)
            await self._send_all(self.protocol.subscribe_messages(added))

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        removed = [self._subs.pop(s) for s in symbols if s in self._subs]
        for sub in removed:
            self._since.pop(sub.symbol, None)
            self._outages.pop(sub.symbol, None)
            self.state.subscribed.discard(sub.symbol)
        if removed and self._streaming:
            await self._send_all(self.protocol.unsubscribe_messages(removed))

    async def send(self, frame: Frame) -> None:
        """Send one message on the current connection (dropped when there is none)."""
        await self._send_all([frame])

    async def publish(self, events: list[Event]) -> None:
        """Publish events produced outside the read loop (``on_connected`` hooks)."""
        if events:
            await self._deliver(events)

    def request_reconnect(self, reason: str) -> None:
        """Reconnect now, without backoff (a planned reconnect)."""
        self._restart_reason = reason
        self._restart.set()

    def backoff(self, failures: int) -> float:
        """Delay before attempt ``failures`` (1-based): capped doubling with jitter."""
        opts = self.options
        return backoff_delay(
            failures, opts.reconnect_initial_s, opts.reconnect_max_s, opts.reconnect_jitter
        )

    # -- one connection ----------------------------------------------------------------------

    async def _connection(self) -> tuple[str, str, bool]:
        """Run one connection to its end: (gap reason, detail, planned?)."""
        proto = self.protocol
        opts = self.options
        url = proto.url()
        self.state.url = url
        self.state.state = "connecting"
        self._delivered = False
        self._restart.clear()
        try:
            async with connect(
                url,
                additional_headers=proto.headers() or None,
                open_timeout=opts.connect_timeout_s,
                ping_interval=opts.ping_interval_s or None,
                ping_timeout=opts.ping_timeout_s or None,
                close_timeout=opts.close_timeout_s,
                max_size=opts.max_frame_mb * 1024 * 1024,
                max_queue=MAX_QUEUED_FRAMES,
                compression="deflate" if opts.compression else None,
                logger=wire_log,
            ) as ws:
                self._ws = ws
                self.state.connected = True
                self.state.since_ns = now_ns()
                proto.reset()
                await self._authenticate(ws)
                await self._subscribe_all()
                return await self._stream(ws)
        except (CredentialsError, ProviderError):
            raise
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in AUTH_REJECTED_STATUS:
                raise CredentialsError(
                    f"{proto.provider}: the server refused the connection with HTTP {status}; "
                    "check the API credentials"
                ) from None
            return self._failed("disconnect", f"HTTP {status} on connect")
        except Reconnect as exc:
            return self._failed("reconnect", str(exc))
        except ConnectionClosed as exc:
            return self._failed("disconnect", _close_text(exc))
        except (OSError, TimeoutError, WebSocketException) as exc:
            connected = self.state.connected
            return self._failed("disconnect", describe_error(exc, url, opts, connected))
        finally:
            self._ws = None
            self._streaming = False
            self.state.connected = False

    def _failed(self, reason: str, detail: str) -> tuple[str, str, bool]:
        self.state.errors += 1
        self.state.last_error = detail[:MAX_ERROR_TEXT]
        return reason, detail, False

    async def _authenticate(self, ws: ClientConnection) -> None:
        messages = self.protocol.auth_messages()
        if not messages:
            return
        self.state.state = "authenticating"
        try:
            for message in messages:
                await ws.send(message)
        except ConnectionClosed:
            pass  # the server may have said why before closing: read what it sent
        try:
            async with asyncio.timeout(self.options.auth_timeout_s):
                while True:
                    frame = await ws.recv()
                    ts = now_ns()
                    self._seen(frame, ts)
                    if self.protocol.check_auth(frame):
                        return
        except TimeoutError:
            raise Reconnect(
                f"no authentication reply within {self.options.auth_timeout_s:g}s"
            ) from None

    async def _subscribe_all(self) -> None:
        """Send every subscription, including any added while these sends were awaited."""
        sent: dict[str, SymbolConfig] = {}
        now = now_ns()  # also with no subscriptions at all (the last symbol was removed)
        while pending := [s for s in self._subs.values() if sent.get(s.symbol) != s]:
            now = now_ns()
            for sub in pending:
                self._since.setdefault(sub.symbol, now)
                sent[sub.symbol] = sub
            await self._send_all(self.protocol.subscribe_messages(pending), raise_closed=True)
        self.state.subscribed.update(self._subs)
        self.state.state = "streaming"
        self.state.last_message_ns = now
        self._streaming = True

    async def _stream(self, ws: ClientConnection) -> tuple[str, str, bool]:
        """Read until the connection fails or a helper ends it; helpers return the outcome."""
        tasks = [
            asyncio.create_task(self._read(ws), name="reader"),
            asyncio.create_task(self._watchdog(), name="watchdog"),
            asyncio.create_task(self._restart_wait(), name="restart"),
            asyncio.create_task(self._hook(), name="on_connected"),
        ]
        if self.protocol.heartbeat_interval_s:
            tasks.append(asyncio.create_task(self._heartbeat(ws), name="heartbeat"))
        if self.protocol.max_connection_age_s:
            tasks.append(asyncio.create_task(self._age_limit(), name="age"))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            # The reader first: its error (a fatal server message) outranks a helper's outcome.
            finished = tasks[0] if tasks[0] in done else done.pop()
            outcome = finished.result()  # raises what ended the connection
            if not outcome[2]:
                self.state.errors += 1
                self.state.last_error = outcome[1]
            return outcome
        finally:
            self._streaming = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self, ws: ClientConnection) -> tuple[str, str, bool]:
        """The read loop: receive, record, parse, publish — nothing else."""
        proto = self.protocol
        sink = self.sink
        async for frame in ws:
            ts_recv = now_ns()
            self._seen(frame, ts_recv)
            if proto.is_heartbeat(frame):
                continue
            try:
                events = proto.parse(frame, ts_recv)
            except (Reconnect, ProviderError):
                raise
            except Exception as exc:  # a bad frame must never stop the stream
                self.bad_frames += 1
                self.state.bad_frames += 1
                sink.bad_frame(proto.provider, ts_recv, frame, f"{type(exc).__name__}: {exc}")
                continue
            if events:
                await self._deliver(events)
        code = ws.close_code
        reason = f": {ws.close_reason}" if ws.close_reason else ""
        return "disconnect", f"server closed the connection (code {code}{reason})", False

    async def _hook(self) -> tuple[str, str, bool]:
        """Run ``on_connected``; its failure spoils this connection's data, so reconnect."""
        try:
            await self.protocol.on_connected(self)
        except (ProviderError, Reconnect):
            raise
        except Exception as exc:
            raise Reconnect(f"on_connected failed: {type(exc).__name__}: {exc}") from exc
        await asyncio.Event().wait()  # done: leave the connection to the others
        raise AssertionError("unreachable")

    async def _deliver(self, events: list[Event]) -> None:
        """Publish (with any Gap this batch closes), then commit the tracking state."""
        outages = self._outages
        closing: dict[str, Gap] = {}
        if outages:
            for ev in events:
                sym = ev.symbol
                if sym in outages and sym not in closing and not isinstance(ev, Gap):
                    out = outages[sym]
                    closing[sym] = self._gap(sym, out, ev.ts_event)
        batch: list[Event] = [*closing.values(), *events] if closing else events
        self._publishing = True
        try:
            await self.sink.publish(batch)
        finally:
            self._publishing = False
        self._last_ts.update(zip(map(_symbol, events), map(_ts_event, events), strict=True))
        for sym in closing:
            del outages[sym]
        self.gaps += len(closing)
        self.state.gaps += len(closing)
        self.events += len(events)
        self.state.events += len(events)
        self._delivered = True

    def _gap(self, symbol: str, outage: _Outage, to_ts: int, note: str = "") -> Gap:
        return Gap(
            symbol=symbol,
            venue=self.protocol.venue(symbol),
            provider=self.protocol.provider,
            ts_event=outage.from_ts,
            ts_recv=now_ns(),
            from_ts=outage.from_ts,
            to_ts=max(to_ts, outage.from_ts),
            reason=outage.reason,
            detail=(outage.detail + note)[:MAX_ERROR_TEXT],
        )

    def _seen(self, frame: Frame, ts_recv: int) -> None:
        self.state.messages += 1
        self.state.last_message_ns = ts_recv
        self.sink.raw(self.protocol.provider, ts_recv, frame)

    async def _send_all(self, frames: list[Frame], raise_closed: bool = False) -> None:
        ws = self._ws
        if ws is None:
            return
        interval = self.protocol.send_interval_s
        try:
            for frame in frames:
                if interval:
                    await self._pace(interval)
                await ws.send(frame)
        except ConnectionClosed:
            if raise_closed:
                raise
            # Resubscription on the next connection covers what was not sent.

    async def _pace(self, interval: float) -> None:
        """Wait until ``interval`` has passed since the last frame sent."""
        loop = asyncio.get_running_loop()
        wait = self._last_send + interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_send = loop.time()

    # -- helpers that end a connection -------------------------------------------------------

    async def _watchdog(self) -> tuple[str, str, bool]:
        tick = min(WATCHDOG_TICK_MAX_S, self.stale_after_s / 4)
        while True:
            await asyncio.sleep(tick)
            if self.is_stale():
                return "stale", f"no data for {self.stale_after_s:g}s", False

    async def _restart_wait(self) -> tuple[str, str, bool]:
        await self._restart.wait()
        return "planned_reconnect", self._restart_reason, True

    async def _age_limit(self) -> tuple[str, str, bool]:
        age = self.protocol.max_connection_age_s or 0.0
        await asyncio.sleep(age)
        return "planned_reconnect", f"connection lifetime limit ({age:g}s)", True

    async def _heartbeat(self, ws: ClientConnection) -> tuple[str, str, bool]:
        interval = self.protocol.heartbeat_interval_s or 0.0
        while True:
            await asyncio.sleep(interval)
            message = self.protocol.heartbeat_message()
            if message is not None:
                await ws.send(message)

    # -- bookkeeping -----------------------------------------------------------------------

    def _add(self, symbols: Sequence[SymbolConfig]) -> list[SymbolConfig]:
        added = [s for s in symbols if self._subs.get(s.symbol) != s]
        for sub in added:
            self._subs[sub.symbol] = sub
        self.state.subscribed.update(self._subs)  # update: sessions may share one state
        return added

    def _mark_outage(self, reason: str, detail: str) -> None:
        """Open an outage for every live subscription not already in one."""
        for symbol, since in self._since.items():
            if symbol not in self._outages:
                start = self._last_ts.get(symbol, since)
                self._outages[symbol] = _Outage(start, reason, detail)

    async def _publish_open_gaps(self) -> None:
        if not self._outages:
            return
        now = now_ns()
        note = "; still open when the stream ended"
        gaps: list[Event] = [self._gap(sym, out, now, note) for sym, out in self._outages.items()]
        self._outages.clear()
        self.gaps += len(gaps)
        self.state.gaps += len(gaps)
        await self.sink.publish(gaps)


class WebSocketProvider(StreamingProvider):
    """A :class:`StreamingProvider` made of a :class:`WireProtocol` and a :class:`StreamSession`."""

    def __init__(self, config: Config, sink: StreamSink) -> None:
        super().__init__(config, sink)
        self.session = StreamSession(
            self.make_protocol(),
            sink,
            self.stream_options(),
            stale_after_s=config.pipeline.stale_after_s,
            state=self.state,
        )

    @abstractmethod
    def make_protocol(self) -> WireProtocol:
        """The provider's protocol; raise :class:`CredentialsError` when keys are missing."""

    @abstractmethod
    def stream_options(self) -> StreamOptions:
        """The provider's config section (a :class:`StreamOptions` subclass)."""

    async def run(self, symbols: list[SymbolConfig]) -> None:
        await self.session.run(symbols)

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        await self.session.subscribe(symbols)

    async def unsubscribe(self, symbols: list[str]) -> None:
        await self.session.unsubscribe(symbols)


def describe_error(
    exc: BaseException, url: str, options: StreamOptions, connected: bool = False
) -> str:
    """What went wrong with a connection, in words that say what to check.

    The causes a newcomer meets first (no network, nothing listening, TLS in the way, no
    answer) are named with the host; anything else keeps its exception type and text.
    """
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {host} — check the network/DNS/proxy ({exc.strerror or exc})"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {host}:{port} — is the URL right and the server up?"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate of {host} not trusted ({exc.verify_message}) — "
            "check the system clock, CA certificates or an intercepting proxy"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake with {host} failed ({exc.reason or exc}) — check the proxy"
    if isinstance(exc, TimeoutError) and not connected:
        return (
            f"no answer from {host}:{port} within {options.connect_timeout_s:g}s — "
            "check the network/firewall/proxy"
        )
    text = f"{type(exc).__name__}: {exc}"
    return text if connected else f"cannot connect to {host}:{port}: {text}"


def _close_text(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "connection lost without a close frame"
    reason = f": {frame.reason}" if frame.reason else ""
    return f"closed with code {frame.code}{reason}"[:MAX_ERROR_TEXT]


def short(frame: Any) -> str:
    """A frame cut to a length fit for an error message."""
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else str(frame)
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "…"
