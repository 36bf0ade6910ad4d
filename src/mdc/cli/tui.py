"""``mdc tui``: a keyboard-driven terminal UI over a running collector's HTTP API (local, or
remote with ``MDC_API_KEY``): health, per-provider connections, a throughput sparkline, the
live tape and book of one symbol, recent gaps, and subscribe/unsubscribe.

Textual is the optional extra ``mdc[tui]``; only this command imports it (the app is in
``tui_app.py``). Everything shown comes
from the same routes the dashboard reads (``/health``, ``/api/providers``, ``/api/symbols``,
``/api/live/throughput``, ``/api/live/{symbol}``, ``/api/quality/events``), once a second.
Keys: ``a`` add a symbol, ``d`` drop the shown one, ``n``/``p`` next/previous symbol, ``q`` quit.
``mdc tui --nats URL`` watches a remote collector set on core NATS instead (``tui_remote.py``).
Textual docs: https://textual.textualize.io/ (read 2026-12-03).
"""

from __future__ import annotations

from typing import Annotated, Final

import typer

from mdc.cli.common import EXIT_FAILURE, ConfigOption, fail, load
from mdc.cli.remote import UrlOption, collector_url
from mdc.cli.store import check_bus
from mdc.web.security import HEADER

INSTALL_HINT: Final = "mdc tui needs the optional extra: pip install 'mdc[tui]'"


def tui(
    config_path: ConfigOption = None,
    url: UrlOption = None,
    symbol: Annotated[
        str | None, typer.Option("--symbol", "-s", help="Symbol to show first.")
    ] = None,
    nats_url: Annotated[
        str | None,
        typer.Option(
            "--nats",
            metavar="URL",
            help="Watch the remote collector set on core NATS instead, nats://HOST:PORT "
            "(collectors run with `mdc collect --live`).",
        ),
    ] = None,
) -> None:
    """Watch and steer a running collector from the terminal (needs mdc[tui])."""
    if nats_url:
        config = load(
            config_path, {"distributed.live_watch": True, "distributed.servers": [nats_url]}
        )
        check_bus(config)
        try:
            from mdc.cli.tui_remote import RemoteApp
        except ImportError:
            fail(INSTALL_HINT, EXIT_FAILURE)
        RemoteApp(config.distributed).run()
        return
    config = load(config_path)
    try:
        from mdc.cli.tui_app import CollectorApp
    except ImportError:
        fail(INSTALL_HINT, EXIT_FAILURE)
    headers = {HEADER: config.http.api_key} if config.http.api_key else {}
    CollectorApp(collector_url(config, url), headers, symbol).run()
