"""Logging setup: human-readable lines by default, one JSON object per line with ``json``."""

from __future__ import annotations

import logging
import sys
import time
from logging.handlers import RotatingFileHandler
from typing import Final

import msgspec

_FIELDS: Final = ("provider", "symbol", "url", "error")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in _FIELDS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return msgspec.json.encode(data).decode()


def setup_logging(
    level: str = "INFO",
    fmt: str = "text",
    file: str = "",
    file_max_mb: int = 50,
    file_backups: int = 5,
) -> None:
    """Log to stderr and, with ``file``, also to that file, rotated at ``file_max_mb`` with
    ``file_backups`` old files kept (``logging.handlers.RotatingFileHandler``)."""
    if fmt == "json":
        formatter: logging.Formatter = _JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        formatter.converter = time.gmtime
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if file:
        handlers.append(
            RotatingFileHandler(
                file,
                maxBytes=file_max_mb * 1024 * 1024,
                backupCount=file_backups,
                encoding="utf-8",
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    logging.getLogger("websockets").setLevel(max(logging.INFO, root.level))
    logging.getLogger("httpx").setLevel(logging.WARNING)
