"""NYSE direct feeds: the Pillar XDP Integrated feed (UDP multicast or a capture) and Daily TAQ.

- ``messages.py`` — every XDP layout, once (XDP Common Client Spec v2.3c, XDP Integrated Feed
  Client Spec v2.3a; sources and open questions in its docstring).
- ``parse.py`` — the feed handler: A/B arbitration, per-channel sequence and gaps, time,
  order-by-order books (``book.py``) → trades, L2 deltas, statuses, imbalances.
- ``stream.py`` — ``mdc collect --provider nyse``: joins the configured multicast groups.
- ``request_server.py`` / ``refresh.py`` — optional retransmission and refresh requests (TCP
  Request Server) and rebuilding stale books from refreshes.
- ``replay.py`` — ``mdc import nyse-xdp FILE.pcap[.gz|.zst]``: the same handler over a capture
  (``pcap.py`` reads pcap and pcapng).
- ``taq.py`` — ``mdc import taq FILE``: Daily TAQ trade, quote and NBBO files;
  ``taq_master.py`` the master (reference) file.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.nyse.config import NyseConfig

SPEC = ProviderSpec(
    name="nyse",
    description="NYSE XDP Integrated feed (multicast, pcap replay): order-by-order books, "
    "trades, halts, imbalances; Daily TAQ import",
    capabilities=Capabilities(
        trades=True,
        quotes=False,
        depth=True,
        max_depth_levels=0,  # the whole book, every order
        asset_classes=("equity",),
        seq_scope="symbol",
        # SymbolSeqNum counts every message of a symbol, including kinds not published: the
        # feed tracks the contiguous channel sequence itself and raises the gaps.
        seq_contiguous=False,
    ),
    config=NyseConfig,
    streaming="mdc.providers.nyse.stream:NyseStream",
)
