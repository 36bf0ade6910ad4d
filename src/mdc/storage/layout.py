"""Where an event goes: partitioning by ``ts_event`` and the path of each output file.

JSONL layouts (``{p}`` is ``{provider}/`` when ``provider_in_path``, ``{pre}`` the file prefix):

- ``by_symbol``: ``{p}{symbol}/{type}/{pre}{partition}.jsonl``
- ``by_date``:   ``{p}{partition}/{type}/{pre}{symbol}.jsonl``
- ``by_type``:   ``{p}{type}/{symbol}/{pre}{partition}.jsonl``
- ``flat``:      ``{p}{pre}{symbol}_{type}_{partition}.jsonl``

Parquet is always Hive-style:
``parquet/[provider={provider}/]type={type}/date={partition}/symbol={symbol}/part-*.parquet``.

Partition labels: ``2024-03-01`` (daily), ``2024-03-01T14`` (hourly), ``2024-03`` (monthly),
``all`` (none). Partitions are UTC. The layout of a root is fixed when it is created
(``_mdc/layout.json``) because the reader finds files by it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final, Literal

import msgspec

from mdc.domain.time import NS_PER_DAY, NS_PER_S
from mdc.storage.fsutil import ArchiveRootError, from_component, path_component

LayoutName = Literal["by_symbol", "by_date", "by_type", "flat"]
PartitionName = Literal["none", "daily", "hourly", "monthly"]
Compression = Literal["none", "gzip", "zstd"]

NS_PER_HOUR: Final = 3600 * NS_PER_S
EXTENSIONS: Final[dict[str, str]] = {"none": "", "gzip": ".gz", "zstd": ".zst"}
JSONL_SUFFIXES: Final = (".jsonl", ".jsonl.gz", ".jsonl.zst")
PARQUET_DIR: Final = "parquet"
CONTROL_DIR: Final = "_mdc"
RAW_DIR: Final = "_raw"
BAD_DIR: Final = "_bad"
ALL: Final = "all"
_EPOCH: Final = date(1970, 1, 1)
_NONE_BUCKET_NS: Final = 1 << 62
_LABEL_RE: Final = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2})(?:T(\d{2}))?)?$")


class LayoutSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What decides file paths; stored in ``_mdc/layout.json`` of every root."""

    layout: LayoutName = "by_symbol"
    partition: PartitionName = "daily"
    provider_in_path: bool = False
    file_prefix: str = ""


class PathInfo(msgspec.Struct, frozen=True):
    """What a path says about its content."""

    type_name: str
    symbol: str
    partition: str
    provider: str | None = None


class Layout:
    """Partitioning and naming for one root (pure computation, no I/O)."""

    def __init__(self, spec: LayoutSpec) -> None:
        self.spec = spec
        self.partition = spec.partition
        # Events are grouped by ``ts_event // bucket_ns``; monthly groups by day first.
        self.bucket_ns = {
            "none": _NONE_BUCKET_NS,
            "daily": NS_PER_DAY,
            "hourly": NS_PER_HOUR,
            "monthly": NS_PER_DAY,
        }[spec.partition]
        self._labels: dict[int, str] = {}
        self._prefix = spec.file_prefix

    # -- partitions ------------------------------------------------------------------------
    def label(self, bucket: int) -> str:
        """The partition label of a ``ts_event // bucket_ns`` value (cached: called per group)."""
        label = self._labels.get(bucket)
        if label is None:
            label = self._labels[bucket] = self._make_label(bucket)
        return label

    def _make_label(self, bucket: int) -> str:
        if self.partition == "none":
            return ALL
        if self.partition == "hourly":
            day, hour = divmod(bucket, 24)
            return f"{(_EPOCH + timedelta(days=day)).isoformat()}T{hour:02d}"
        day_label = (_EPOCH + timedelta(days=bucket)).isoformat()
        return day_label[:7] if self.partition == "monthly" else day_label

    def label_of(self, ts_event: int) -> str:
        return self.label(ts_event // self.bucket_ns)

    # -- JSONL -----------------------------------------------------------------------------
    def jsonl_path(
        self, type_name: str, symbol: str, label: str, provider: str | None, compression: str
    ) -> str:
        """Path relative to the root (``/``-separated)."""
        sym = path_component(symbol)
        name_ext = ".jsonl" + EXTENSIONS[compression]
        pre = self._prefix
        layout = self.spec.layout
        if layout == "by_symbol":
            rel = f"{sym}/{type_name}/{pre}{label}{name_ext}"
        elif layout == "by_date":
            rel = f"{label}/{type_name}/{pre}{sym}{name_ext}"
        elif layout == "by_type":
            rel = f"{type_name}/{sym}/{pre}{label}{name_ext}"
        else:
            rel = f"{pre}{sym}_{type_name}_{label}{name_ext}"
        if self.spec.provider_in_path:
            rel = f"{path_component(provider or '')}/{rel}"
        return rel

    def parse_jsonl(self, rel: str) -> PathInfo | None:
        """Inverse of :meth:`jsonl_path`; ``None`` for a path this layout did not make."""
        parts = rel.split("/")
        provider = None
        if self.spec.provider_in_path:
            if len(parts) < 2:
                return None
            provider = from_component(parts[0])
            parts = parts[1:]
        name = parts[-1]
        for suffix in JSONL_SUFFIXES:
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                break
        else:
            return None
        if not stem.startswith(self._prefix):
            return None
        stem = stem[len(self._prefix) :]
        layout = self.spec.layout
        if layout == "flat":
            if len(parts) != 1 or stem.count("_") < 2:
                return None
            sym, rest = stem.split("_", 1)
            type_name, label = rest.rsplit("_", 1)
        elif len(parts) != 3:
            return None
        elif layout == "by_symbol":
            sym, type_name, label = parts[0], parts[1], stem
        elif layout == "by_date":
            label, type_name, sym = parts[0], parts[1], stem
        else:
            type_name, sym, label = parts[0], parts[1], stem
        if not self.valid_label(label):
            return None
        return PathInfo(type_name, from_component(sym), label, provider)

    # -- Parquet ---------------------------------------------------------------------------
    def parquet_dir(self, type_name: str, symbol: str, label: str, provider: str | None) -> str:
        rel = f"type={type_name}/date={label}/symbol={path_component(symbol)}"
        if self.spec.provider_in_path:
            rel = f"provider={path_component(provider or '')}/{rel}"
        return f"{PARQUET_DIR}/{rel}"

    def parse_parquet_dir(self, rel: str) -> PathInfo | None:
        parts = rel.split("/")
        if not parts or parts[0] != PARQUET_DIR:
            return None
        fields: dict[str, str] = {}
        for part in parts[1:]:
            key, sep, value = part.partition("=")
            if not sep:
                return None
            fields[key] = value
        if {"type", "date", "symbol"} - fields.keys() or not self.valid_label(fields["date"]):
            return None
        provider = from_component(fields["provider"]) if "provider" in fields else None
        return PathInfo(fields["type"], from_component(fields["symbol"]), fields["date"], provider)

    def valid_label(self, label: str) -> bool:
        if label == ALL:
            return True
        try:
            label_range(label)
        except ValueError:
            return False
        return True


def label_range(label: str) -> tuple[int, int]:
    """``[start, end)`` in ns of a partition label (``all`` spans everything)."""
    if label == ALL:
        return (-(1 << 63), (1 << 63) - 1)
    match = _LABEL_RE.match(label)
    if not match:
        raise ValueError(f"not a partition label: {label!r}")
    year, month, day, hour = match.groups()
    if day is None:
        start = datetime(int(year), int(month), 1, tzinfo=UTC)
        nxt = datetime(int(year) + int(month) // 12, int(month) % 12 + 1, 1, tzinfo=UTC)
    elif hour is None:
        start = datetime(int(year), int(month), int(day), tzinfo=UTC)
        nxt = start + timedelta(days=1)
    else:
        start = datetime(int(year), int(month), int(day), int(hour), tzinfo=UTC)
        nxt = start + timedelta(hours=1)
    return (_dt_ns(start), _dt_ns(nxt))


def _dt_ns(dt: datetime) -> int:
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S


def read_spec(root: Path) -> LayoutSpec | None:
    """The layout the root was created with; ``None`` for a new root."""
    path = root / CONTROL_DIR / "layout.json"
    try:
        return msgspec.json.decode(path.read_bytes(), type=LayoutSpec)
    except FileNotFoundError:
        return None
    except (msgspec.DecodeError, IsADirectoryError, NotADirectoryError) as exc:
        # Guessing the layout could hide or misplace files: the user restores or rewrites it.
        raise ArchiveRootError(
            f"{path} is unreadable ({exc}); restore it from a backup, or delete it to have "
            "`mdc collect` write the config's storage layout — only if layout, partition, "
            "provider_in_path and file_prefix are the ones this root was created with"
        ) from None
