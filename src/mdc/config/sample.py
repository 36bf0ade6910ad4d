"""The commented sample written by ``mdc config init`` (kept valid by a test)."""

from typing import Final

SAMPLE_CONFIG: Final = """\
# Market Data Collector configuration.
# Every key can be overridden by an environment variable: MDC_<SECTION>__<KEY>, e.g.
#   MDC_STORAGE__ROOT=/mnt/archive  MDC_PROVIDERS__ALPACA__FEED=sip  MDC_SYMBOLS=SPY,QQQ
# Credentials are never read from this file: set ALPACA_KEY_ID, POLYGON_API_KEY, ... in the
# environment (`mdc providers` lists what each provider needs).

# Streaming provider for `mdc collect` (`mdc providers` lists them).
provider = "simulated"
# Fallback streaming providers, in priority order, used when `provider` is unhealthy.
failover = []
# Symbols: plain names, or tables with per-symbol options.
symbols = [
  "SPY",
  "AAPL",
  { symbol = "MSFT", depth_levels = 20 },
]

# A symbol set with its own provider and failover list (symbols in no route use `provider`):
# [[routes]]
# symbols = ["BTC-USD", "ETH-USD"]
# provider = "coinbase"
# failover = ["kraken"]

[pipeline]
capacity = 100000              # events each live consumer may queue
dashboard_policy = "drop_oldest"  # block | drop_oldest | drop_newest
stale_after_s = 30.0           # a stream silent this long is stale

[storage]
root = "data"
format = "jsonl"               # jsonl | parquet | both
layout = "by_symbol"           # by_symbol | by_date | by_type | flat
partition = "daily"            # none | daily | hourly | monthly
compression = "none"           # none | gzip | zstd (JSONL)
retention_days = 0             # 0 keeps everything
retention_max_mb = 0           # 0: no size cap; else the oldest days go first
min_free_mb = 100              # pause writing below this much free disk
raw_capture = true             # keep raw provider frames (zstd binary records)
checkpoint_interval_s = 1.0    # how often the archive is fsynced and committed
parquet_part_max_age_s = 300   # a Parquet part is finished (readable) at this age

[storage.wal]
fsync = "interval"             # always | interval | off (docs/durability.md)
fsync_interval_ms = 100
keep_segments = false          # keep the WAL behind the checkpoint as a raw archive

[http]
enabled = true
host = "127.0.0.1"             # any other bind requires MDC_API_KEY, then for reads too
port = 8080
max_body_bytes = 1048576       # larger request bodies are refused (413) unread
open_metrics = false           # true: /metrics without the key (a Prometheus scraper)

[logging]
level = "INFO"                 # DEBUG | INFO | WARNING | ERROR
format = "text"                # text | json
# file = "/var/log/mdc/mdc.log"   # also log here, rotated at file_max_mb, file_backups kept

[backfill]
providers = []                 # priority list, e.g. ["alpaca", "polygon", "stooq"]

[instruments]                  # the instrument registry (docs/symbols.md)
providers = []                 # whose lists `mdc symbols refresh` loads; [] = all with keys
refresh_cron = ""              # e.g. "15 6 * * 1-5" to refresh while `mdc collect` runs

# Named watchlists (`mdc symbols watchlists`, the dashboard's Symbols page):
# [watchlists]
# megacaps = ["AAPL", "MSFT", { symbol = "NVDA", depth_levels = 20 }]

[quality]                       # anomaly thresholds (docs/quality.md)
live = true                     # run the detectors on the live stream and store findings
spike_mads = 10.0               # a trade this many robust deviations off the median is a spike
stale_quote_s = 60.0
divergence_bps = 50.0           # two providers' mean prices apart this much, 3 minutes running

# Alert rules: when = gap | score | disconnected | disk | anomaly; targets webhook, slack,
# discord, email (SMTP password from the environment variable password_env names).
# [[alerts]]
# name = "silent"
# when = "gap"
# seconds = 120
# targets = [{ type = "slack", webhook = "https://hooks.slack.com/services/…" }]

# Beyond one machine (docs/scaling.md): publish the WAL to NATS JetStream, and downstream sinks.
# [distributed]
# publish = true                # or `mdc collect --publish nats://HOST:4222`
# servers = ["nats://127.0.0.1:4222"]
# collector_id = "nyc-1"        # unique per collector (default: the host name)
# [[sinks]]
# name = "pg"
# kind = "postgres"             # or "redis" (dsn = "redis://127.0.0.1:6379/0")
# dsn = "host=127.0.0.1 dbname=market user=mdc"

[providers.simulated]
seed = 42
"""
