"""``[providers.nyse]``: the multicast channels of an XDP Integrated feed and how to read them.

Each channel is published on two lines (A and B) with the same packets; a channel lists the
``group:port`` of each line it should join. The addresses of the production and certification
feeds are in NYSE's IP address list (https://www.nyse.com/publicdocs/nyse/data/IP_Addresses.xls);
nothing here defaults to them, since joining them needs a cross-connect.

Example::

    [providers.nyse]
    interface = "10.1.2.3"            # the NIC's address that receives the feed
    [[providers.nyse.channels]]
    id = 1
    lines = ["224.0.59.76:11076", "224.0.59.204:11076"]   # A, B

    [providers.nyse.request_server]   # optional: retransmissions and refreshes
    address = "10.1.2.9:9000"         # the Source ID comes from $NYSE_SOURCE_ID

Every key is also an env var: ``MDC_PROVIDERS__NYSE__<KEY>``.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Final

import msgspec
from msgspec import Meta

from mdc.providers.nyse.messages import MARKET_VENUES, PRODUCT_IDS
from mdc.providers.nyse.request_server import parse_address

DEFAULT_GAP_TIMEOUT_MS: Final = 50.0


class ChannelConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One XDP channel and the lines (multicast ``group:port``) that carry it."""

    id: Annotated[int, Meta(ge=0, le=255)]
    """The ChannelID (as in Sequence Number Reset); names the channel in counters and gaps."""
    lines: Annotated[list[str], Meta(min_length=1, max_length=4)]
    """``group:port`` of line A, then line B (and retransmission lines, if any)."""
    venue: str = ""
    """MIC of the channel's market; empty uses the product's market."""

    def __post_init__(self) -> None:
        for index, line in enumerate(self.lines):
            parse_line(line, f"lines[{index}]")


class RequestServerConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The XDP Request Server to ask for retransmissions and refreshes (needs an NYSE login:
    a Source ID, read from the environment variable ``source_id_env`` or the keyring)."""

    address: str
    """``host:port`` of the Request Server (TCP)."""
    source_id_env: str = "NYSE_SOURCE_ID"
    """Where the Source ID NYSE assigned comes from (never written to config or logs)."""
    retransmit: bool = True
    """Ask for the packets of a sequence hole before declaring it a gap."""
    refresh: bool = True
    """Ask for a refresh of every published book that went stale."""
    retransmission_timeout_ms: Annotated[float, Meta(gt=0, le=60_000)] = 1000.0
    """How long a requested hole waits for its retransmission before it is a ``Gap``."""
    heartbeat_timeout_s: Annotated[float, Meta(gt=0, le=600)] = 15.0
    """A server silent this long (no heartbeat) is reconnected."""

    def __post_init__(self) -> None:
        parse_address(self.address)


class NyseConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The feed's channels, the interface that receives them and the arbitration rules."""

    product_id: int = 11
    """Integrated feed product (11 NYSE, 59 American, 109 National, 157 Arca, 209 Chicago)."""
    channels: list[ChannelConfig] = []
    """The channels to join (``mdc collect``) or to recognise by destination in a capture."""
    interface: str = "0.0.0.0"
    """IPv4 address of the local interface to join the groups on (``0.0.0.0``: the kernel's
    choice by route)."""
    receive_buffer_mb: Annotated[int, Meta(ge=1, le=1024)] = 16
    """SO_RCVBUF per socket: a burst the read loop cannot absorb is dropped by the kernel."""
    gap_timeout_ms: Annotated[float, Meta(gt=0, le=60_000)] = DEFAULT_GAP_TIMEOUT_MS
    """How long a hole may wait for the other line's copy before it is a ``Gap`` (a hole that
    every line has passed is a gap at once)."""
    max_pending_packets: Annotated[int, Meta(ge=1, le=1_000_000)] = 10_000
    """Packets held behind a hole per channel before the hole is declared a gap."""
    symbols_all: bool = False
    """Publish every symbol of the feed, not only the configured ones (captures, research)."""
    order_events: bool = False
    """Also publish every order message (add/modify/replace/delete/execute) as an
    ``OrderUpdate`` (L3, archive type ``order_updates``). Off by default: it multiplies the
    events stored by about the number of messages."""
    request_server: RequestServerConfig | None = None
    """Retransmission and refresh requests; off (``None``) by default, since they need an NYSE
    Request Server connection. The packets come on the channel's retransmission and refresh
    lines: list them in ``channels[].lines`` after lines A and B."""

    def __post_init__(self) -> None:
        if self.product_id not in PRODUCT_IDS:
            known = ", ".join(f"{k} ({v})" for k, v in PRODUCT_IDS.items())
            raise ValueError(f"product_id: unknown Integrated feed product; known: {known}")
        ids = [c.id for c in self.channels]
        if len(set(ids)) != len(ids):
            raise ValueError("channels: each channel id may appear only once")
        ipaddress.IPv4Address(self.interface)

    @property
    def venue(self) -> str:
        """The MIC of the configured product's market."""
        market = {11: 1, 59: 9, 109: 10, 157: 3, 209: 11}[self.product_id]
        return MARKET_VENUES[market]


def parse_line(text: str, where: str = "line") -> tuple[str, int]:
    """``(group, port)`` of a ``group:port`` line, the group an IPv4 multicast address."""
    group, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{where}: expected group:port such as 239.1.1.1:5000, got {text!r}")
    try:
        address = ipaddress.IPv4Address(group)
    except ValueError:
        raise ValueError(f"{where}: {group!r} is not an IPv4 address") from None
    if not address.is_multicast:
        raise ValueError(f"{where}: {group} is not a multicast group (224.0.0.0/4)")
    return group, int(port_text)
