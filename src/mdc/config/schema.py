"""The configuration schema: every key, its default and its allowed values.

Sections are msgspec Structs with ``forbid_unknown_fields`` so a typo is an error that names the
key. Provider sections are free-form here and validated by the provider's own ``config.py``
(``providers/<name>/config.py``) so adding a provider touches nothing in this file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from mdc.domain.calendar import ALWAYS_OPEN
from mdc.domain.cron import parse_cron
from mdc.domain.interval import Interval

PositiveInt = Annotated[int, Meta(ge=1)]
Port = Annotated[int, Meta(ge=0, le=65535)]
DepthLevels = Annotated[int, Meta(ge=1, le=50)]
Policy = Literal["block", "drop_oldest", "drop_newest"]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class SymbolConfig(_Section):
    """One instrument to collect; a bare string in the file means all defaults."""

    symbol: Annotated[str, Meta(min_length=1, max_length=64)]
    trades: bool = True
    quotes: bool = True
    depth: bool = True
    depth_levels: DepthLevels = 10


class RouteConfig(_Section):
    """A symbol set served by its own streaming provider (and failover list)."""

    symbols: Annotated[list[str], Meta(min_length=1)]
    provider: str
    failover: list[str] = []


class PipelineConfig(_Section):
    capacity: Annotated[int, Meta(ge=1, le=100_000_000)] = 100_000
    """Events each live consumer may hold before its policy applies."""
    dashboard_policy: Policy = "drop_oldest"
    ingest_batches: Annotated[int, Meta(ge=1, le=1_000_000)] = 1024
    """Batches between the providers and the processor; a full queue slows the socket reads."""
    stale_after_s: Annotated[float, Meta(gt=0)] = 30.0
    failover_after_s: Annotated[float, Meta(gt=0)] = 10.0
    """With ``failover`` providers: switch when the active one is unhealthy this long."""
    failback: bool = True
    """Switch back to a higher-priority provider once it is healthy again."""
    failback_after_s: Annotated[float, Meta(gt=0)] = 30.0
    """How long a higher-priority provider must stay healthy before switching back."""


class WalConfig(_Section):
    """The write-ahead log (docs/durability.md)."""

    fsync: Literal["always", "interval", "off"] = "interval"
    """always: fsync before append returns; interval: group commit every fsync_interval_ms;
    off: leave it to the OS (survives a process crash, not a power loss)."""
    fsync_interval_ms: Annotated[int, Meta(ge=1, le=60_000)] = 100
    segment_max_mb: Annotated[int, Meta(ge=1, le=65_536)] = 64
    segment_max_age_s: Annotated[int, Meta(ge=1)] = 3600
    keep_segments: bool = False
    """Keep WAL segments behind the checkpoint (in _mdc/wal-archive) instead of deleting them."""


class StorageConfig(_Section):
    """The archive: where, which formats and layout, durability and housekeeping."""

    root: str = "data"
    format: Literal["jsonl", "parquet", "both"] = "jsonl"
    layout: Literal["by_symbol", "by_date", "by_type", "flat"] = "by_symbol"
    """JSONL file naming; Parquet is always Hive-style (parquet/type=/date=/symbol=)."""
    partition: Literal["none", "daily", "hourly", "monthly"] = "daily"
    compression: Literal["none", "gzip", "zstd"] = "none"
    """JSONL compression (Parquet is always zstd)."""
    provider_in_path: bool = False
    file_prefix: Annotated[str, Meta(pattern=r"^[A-Za-z0-9.+@^-]*$", max_length=64)] = ""
    max_open_files: Annotated[int, Meta(ge=1, le=100_000)] = 256
    """Open JSONL files (and, separately, Parquet writers); least recently used are closed."""
    checkpoint_interval_s: Annotated[float, Meta(gt=0, le=3600)] = 1.0
    partition_close_grace_s: Annotated[float, Meta(ge=0)] = 300.0
    """Files of a partition close this long after the partition ends (late events), at the
    first checkpoint that finds them idle since the one before."""
    parquet_row_group_rows: Annotated[int, Meta(ge=1, le=10_000_000)] = 65_536
    parquet_part_max_rows: Annotated[int, Meta(ge=1)] = 10_000_000
    parquet_part_max_age_s: Annotated[float, Meta(gt=0)] = 300.0
    """A Parquet part is finished at this age; until then the WAL keeps its rows."""
    parquet_max_buffered_rows: Annotated[int, Meta(ge=1)] = 1_000_000
    """Rows buffered across all Parquet writers before the largest buffers become row groups."""
    retention_days: Annotated[int, Meta(ge=0)] = 0
    """0 keeps everything."""
    retention_max_mb: Annotated[int, Meta(ge=0)] = 0
    """0 means no size cap; otherwise the oldest partitions go first."""
    min_free_mb: Annotated[int, Meta(ge=0)] = 100
    """Writing pauses (with a clear error) below this much free disk, and resumes above it."""
    raw_capture: bool = True
    wal: WalConfig = msgspec.field(default_factory=WalConfig)


class HttpConfig(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 8080
    api_key: str | None = None
    """Required on a non-loopback bind; prefer ``MDC_API_KEY`` (docs/configuration.md#http)."""
    require_key_for_reads: bool = False
    """Reads need the key on loopback too (on any other bind they always do)."""
    open_metrics: bool = False
    """Serve ``/metrics`` without the key even where reads need it (for a Prometheus scraper)."""
    max_body_bytes: Annotated[int, Meta(ge=1024, le=1 << 30)] = 1 << 20
    """Largest request body any route accepts; a larger one is refused with 413, unread."""

    def __post_init__(self) -> None:
        if self.require_key_for_reads and not self.api_key:
            raise ValueError("require_key_for_reads needs a key: set MDC_API_KEY (or http.api_key)")


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"
    file: str = ""
    """Also write the log to this file (``mdc collect``, ``mdc serve``), rotated by size."""
    file_max_mb: Annotated[int, Meta(ge=1, le=100_000)] = 50
    """Rotate the file at this size: ``mdc.log`` becomes ``mdc.log.1`` and so on."""
    file_backups: Annotated[int, Meta(ge=0, le=1000)] = 5
    """Rotated files kept (0: the file is truncated when it reaches its size)."""


BackfillType = Literal["bars", "trades", "quotes", "corporate_actions"]
Granularity = str
"""``1m``, ``5m``, ``1h``, ``1d`` … (``tick`` for trades and quotes); see ``check_granularity``."""


def check_granularity(text: str) -> None:
    """Raise ``ValueError`` (reported with its key) unless ``text`` is ``tick`` or an interval."""
    if text != "tick":
        Interval.parse(text)


class ScheduleConfig(_Section):
    """A recurring backfill run by ``mdc collect`` (e.g. end-of-day bars after the close)."""

    cron: str
    """Five fields, wall time in ``timezone``: ``"30 16 * * 1-5"`` = 16:30 Monday to Friday."""
    type: BackfillType = "bars"
    granularity: Granularity = "1d"
    symbols: list[str] = []
    """Empty means the subscribed symbols (the top-level ``symbols`` list)."""
    lookback_days: Annotated[int, Meta(ge=1, le=3650)] = 1
    """The job covers this many days ending today (in ``timezone``)."""
    timezone: str = "America/New_York"
    priority: int = 0

    def __post_init__(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        parse_cron(self.cron)  # CronError is a ValueError: reported with the key
        check_granularity(self.granularity)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None


class BackfillConfig(_Section):
    providers: list[str] = []
    """Priority list: the first that can serve a request serves it."""
    auto_repair: bool = False
    """Live ``Gap`` events schedule a repair job (after ``repair_delay_s``)."""
    chunk_days: Annotated[int, Meta(ge=1, le=3650)] = 30
    """Days per chunk (one request chain, one checkpoint) for bars and corporate actions."""
    tick_chunk_days: Annotated[int, Meta(ge=1, le=366)] = 1
    """Days per chunk for trades and quotes (a day of ticks is already large)."""
    calendar: str = "XNYS"
    """exchange-calendars code of the default trading calendar (``24/7`` for crypto)."""
    calendars: dict[str, str] = {}
    """Per-symbol calendar, e.g. ``{"BTC-USD" = "24/7", "VOD" = "XLON"}``."""
    gap_tolerance_s: Annotated[float, Meta(gt=0)] = 300.0
    """A stretch of a session longer than this without trades/quotes (or bars) is a hole."""
    stall_timeout_s: Annotated[float, Meta(gt=0)] = 120.0
    """A provider that delivers no page for this long (rate-limit waits included) is skipped
    for the chunk and the next provider is tried."""
    trip_after: Annotated[int, Meta(ge=1)] = 3
    """Consecutive failed chunks after which a provider is benched for ``bench_s``."""
    bench_s: Annotated[float, Meta(ge=0)] = 300.0
    repair_delay_s: Annotated[float, Meta(ge=0)] = 900.0
    """Wait this long after a live gap before repairing it (providers publish with a delay)."""
    repair_types: list[Literal["trades", "quotes"]] = msgspec.field(
        default_factory=lambda: ["trades", "quotes"]
    )
    """What a live gap repair fetches (only the kinds the symbol collects)."""
    repair_priority: int = 10
    schedules: list[ScheduleConfig] = []

    def calendar_for(self, symbol: str) -> str:
        """The calendar code ``symbol`` trades on."""
        if symbol in self.calendars:
            return self.calendars[symbol]
        if "/" in symbol:
            return ALWAYS_OPEN
        return self.calendar


class InstrumentsConfig(_Section):
    """The instrument registry in ``<root>/_mdc/instruments`` (docs/symbols.md)."""

    providers: list[str] = []
    """Providers whose full instrument lists ``mdc symbols refresh`` (and the schedule) load;
    empty means every provider with a list whose credentials are set."""
    refresh_cron: str = ""
    """When ``mdc collect`` refreshes the registry, e.g. ``"15 6 * * 1-5"``; empty: never."""
    timezone: str = "America/New_York"

    def __post_init__(self) -> None:
        from mdc.domain.cron import parse_cron

        if self.refresh_cron:
            parse_cron(self.refresh_cron)


class QualityConfig(_Section):
    """Anomaly detection thresholds (``quality/anomalies.py``; docs/quality.md)."""

    window: Annotated[int, Meta(ge=5, le=10_000)] = 50
    """Trades (and bars) in the rolling window the robust scale is taken over."""
    min_points: Annotated[int, Meta(ge=3)] = 20
    """No spike or outlier is judged before the window holds this many values."""
    spike_mads: Annotated[float, Meta(gt=0)] = 10.0
    volume_mads: Annotated[float, Meta(gt=0)] = 50.0
    volume_min_ratio: Annotated[float, Meta(ge=1)] = 50.0
    stale_quote_s: Annotated[float, Meta(gt=0)] = 60.0
    future_tolerance_s: Annotated[float, Meta(ge=0)] = 5.0
    bbo_tolerance_bps: Annotated[float, Meta(ge=0)] = 10.0
    divergence_bps: Annotated[float, Meta(gt=0)] = 50.0
    divergence_count_ratio: Annotated[float, Meta(gt=1)] = 5.0
    divergence_minutes: Annotated[int, Meta(ge=1, le=1440)] = 3
    live: bool = True
    """Run the detectors on the live stream of ``mdc collect`` and store their findings."""


class AlertTarget(_Section):
    """Where an alert goes: a generic JSON webhook, Slack or Discord incoming webhook, or email."""

    type: Literal["webhook", "slack", "discord", "email"]
    webhook: str = ""
    """The webhook URL (webhook, slack, discord): a credential, masked like keys and tokens."""
    smtp_host: str = ""
    smtp_port: Port = 25
    starttls: bool = False
    username: str = ""
    password_env: str = ""
    """Name of the environment variable holding the SMTP password (never the password)."""
    mail_from: str = ""
    mail_to: list[str] = []

    def __post_init__(self) -> None:
        if self.type == "email":
            if not self.smtp_host or not self.mail_from or not self.mail_to:
                raise ValueError("an email target needs smtp_host, mail_from and mail_to")
        elif not self.webhook.startswith(("http://", "https://")):
            raise ValueError(f'a {self.type} target needs webhook = "https://…"')


class AlertRule(_Section, kw_only=True):
    """One ``[[alerts]]`` rule: a condition, its threshold, and the targets told about it."""

    name: Annotated[str, Meta(min_length=1, max_length=100)]
    when: Literal["gap", "score", "disconnected", "disk", "anomaly"]
    """gap: a symbol silent during its session longer than ``seconds``; score: yesterday's
    completeness score below ``score_below``; disconnected: a provider down longer than
    ``seconds``; disk: free space on the archive disk below ``free_below_pct``; anomaly: an
    ``Integrity`` event of at least ``severity``."""
    seconds: Annotated[float, Meta(gt=0)] = 60.0
    score_below: Annotated[float, Meta(ge=0, le=100)] = 90.0
    free_below_pct: Annotated[float, Meta(gt=0, lt=100)] = 10.0
    severity: Literal["info", "warning", "error"] = "error"
    symbols: list[str] = []
    """Only these symbols (gap, score, anomaly); empty means all."""
    quiet_s: Annotated[float, Meta(gt=0)] = 300.0
    """An anomaly incident ends after this long without another such event."""
    targets: Annotated[list[AlertTarget], Meta(min_length=1)]


class DistributedConfig(_Section):
    """Publishing the WAL to NATS JetStream and archiving from it (docs/scaling.md)."""

    publish: bool = False
    """``mdc collect`` publishes its WAL to the stream (``--publish URL`` sets this too)."""
    servers: list[str] = msgspec.field(default_factory=lambda: ["nats://127.0.0.1:4222"])
    stream: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "MDC"
    subject_prefix: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")] = "mdc"
    collector_id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{0,64}$")] = ""
    """This collector's id in subjects and message ids; empty: the host name."""
    replicas: Annotated[int, Meta(ge=1, le=5)] = 1
    duplicate_window_s: Annotated[float, Meta(gt=0, le=86_400)] = 120.0
    """How long JetStream remembers a message id (the stream's duplicate window)."""
    max_age_s: Annotated[float, Meta(ge=0)] = 0.0
    """Stream retention by age (0 = keep until the stream's limits say otherwise)."""
    creds_file: str | None = None
    """A NATS ``.creds`` file (JWT + NKey seed)."""
    nkey_seed_file: str | None = None
    token: str | None = None
    user: str | None = None
    password: str | None = None
    tls_ca_file: str | None = None
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    publish_batch: Annotated[int, Meta(ge=1, le=100_000)] = 256
    """WAL records published concurrently before the position is checkpointed."""
    fetch_batch: Annotated[int, Meta(ge=1, le=100_000)] = 512
    """Messages an archive writer fetches per pull."""
    ack_wait_s: Annotated[float, Meta(gt=0, le=3600)] = 30.0
    """Redelivery after this long without an ack (a writer that died)."""
    live_publish: bool = False
    """``mdc collect`` publishes its live view on core NATS (``--live URL`` sets this too)."""
    live_watch: bool = False
    """The dashboard and API watch the collectors' live views (``mdc serve --live URL``)."""
    live_prefix: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")] = "mdclive"
    """Live views go to ``{live_prefix}.{collector_id}.view``: outside ``subject_prefix``, so
    the JetStream stream never stores them."""
    live_interval_s: Annotated[float, Meta(ge=0.05, le=60)] = 1.0
    """How often a collector publishes its live view."""
    live_tape: Annotated[int, Meta(ge=0, le=1000)] = 50
    """Trades of the sampled tape in each view (the last ones of the interval)."""


class SinkConfig(_Section):
    """A downstream copy of the collector's WAL, with its own checkpointed position."""

    name: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,48}$")]
    kind: Literal["postgres", "redis", "rabbitmq", "mqtt"]
    dsn: str
    """postgres: a libpq string or URL (``postgresql://user@host/db``; the password belongs in
    ``PGPASSWORD`` or ``~/.pgpass``); redis: ``redis://host:6379/0``; rabbitmq:
    ``amqp://user:password@host:5672/vhost``; mqtt: ``mqtt://[user:password@]host:1883``."""
    schema: Annotated[str, Meta(pattern=r"^[a-z_][a-z0-9_]{0,62}$")] = "public"
    """postgres: the schema of the tables."""
    table_prefix: Annotated[str, Meta(pattern=r"^[a-z_][a-z0-9_]{0,30}$")] = "mdc_"
    """postgres: tables are ``{prefix}trades`` …"""
    key_prefix: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] = "mdc"
    """redis: streams ``{prefix}:{venue}:{type}``; mqtt: topics
    ``{prefix}/{venue}/{type}/{symbol}``."""
    maxlen: Annotated[int, Meta(ge=1)] = 1_000_000
    """redis: entries each stream keeps (``XADD MAXLEN``, exact)."""
    exchange: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.:-]{1,127}$")] = "mdc"
    """rabbitmq: the durable topic exchange; routing keys ``{venue}.{type}.{symbol}``."""
    batch_records: Annotated[int, Meta(ge=1, le=100_000)] = 256
    """WAL records written per pass (one transaction or pipeline)."""


class Config(_Section):
    provider: str = "simulated"
    """The streaming provider ``mdc collect`` uses (``mdc providers`` lists them)."""
    failover: list[str] = []
    """Streaming providers to fall back to, in order, when ``provider`` is unhealthy."""
    symbols: list[str | SymbolConfig] = msgspec.field(
        default_factory=lambda: ["SPY", "AAPL", "MSFT"]
    )
    routes: list[RouteConfig] = []
    """Symbol sets with their own provider and failover list (e.g. crypto on ``coinbase``,
    stocks on ``alpaca``); symbols in no route use ``provider``/``failover``."""
    pipeline: PipelineConfig = msgspec.field(default_factory=PipelineConfig)
    storage: StorageConfig = msgspec.field(default_factory=StorageConfig)
    http: HttpConfig = msgspec.field(default_factory=HttpConfig)
    logging: LoggingConfig = msgspec.field(default_factory=LoggingConfig)
    backfill: BackfillConfig = msgspec.field(default_factory=BackfillConfig)
    quality: QualityConfig = msgspec.field(default_factory=QualityConfig)
    alerts: list[AlertRule] = []
    """``[[alerts]]`` rules (docs/quality.md)."""
    providers: dict[str, dict[str, Any]] = {}
    """Per-provider settings (endpoint URLs, options), validated by each provider's config."""
    instruments: InstrumentsConfig = msgspec.field(default_factory=InstrumentsConfig)
    distributed: DistributedConfig = msgspec.field(default_factory=DistributedConfig)
    sinks: list[SinkConfig] = []
    watchlists: dict[str, list[str | SymbolConfig]] = {}
    """Named symbol lists (``[watchlists] tech = ["AAPL", "MSFT"]``), shown and subscribed
    from ``mdc symbols`` and the dashboard; entries take the same form as ``symbols``."""

    def __post_init__(self) -> None:
        import re

        for name in self.watchlists:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
                raise ValueError(
                    f"watchlists: name {name!r} must be letters, digits, '.', '_' or '-' (max 64)"
                )
        names = [rule.name for rule in self.alerts]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"alerts: two rules are named {name!r}")
        seen: set[str] = set()
        for route in self.routes:
            for symbol in route.symbols:
                if symbol in seen:
                    raise ValueError(f"routes: symbol {symbol!r} is in more than one route")
                seen.add(symbol)

    def symbol_configs(self) -> list[SymbolConfig]:
        """Every symbol to collect: ``symbols``, then route symbols not listed there."""
        configs = [
            s if isinstance(s, SymbolConfig) else SymbolConfig(symbol=s) for s in self.symbols
        ]
        listed = {s.symbol for s in configs}
        for route in self.routes:
            configs += [SymbolConfig(symbol=s) for s in route.symbols if s not in listed]
            listed.update(route.symbols)
        return configs
