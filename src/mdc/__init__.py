"""Market Data Collector: own a complete, verified archive of market data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mdc.storage.archive import open_archive

__all__ = ["__version__", "open_archive"]


def __getattr__(name: str) -> Any:
    # Lazy: `import mdc` stays cheap (no pyarrow/duckdb) until the archive API is used.
    if name == "open_archive":
        from mdc.storage.archive import open_archive

        return open_archive
    raise AttributeError(f"module 'mdc' has no attribute {name!r}")
