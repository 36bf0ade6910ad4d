"""The providers the CLI and config know by name: one line per provider package.

Third-party packages can add providers through the ``mdc.providers`` entry-point group; the
entry point's object is a :class:`~mdc.providers.base.ProviderSpec`.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Final

from mdc.providers.base import ProviderSpec

BUILTIN: Final[tuple[str, ...]] = (
    "simulated",
    "alpaca",
    "polygon",
    "tiingo",
    "yahoo",
    "stooq",
    "finnhub",
    "alphavantage",
    "nasdaqdatalink",
    "coinbase",
    "binance",
    "kraken",
    "ccxt",
    "nyse",
    "ib",
)


class UnknownProvider(KeyError):
    def __str__(self) -> str:
        return f"unknown provider {self.args[0]!r}; known: {', '.join(sorted(all_specs()))}"


@cache
def all_specs() -> dict[str, ProviderSpec]:
    specs: dict[str, ProviderSpec] = {}
    for package in BUILTIN:
        spec = importlib.import_module(f"mdc.providers.{package}").SPEC
        specs[spec.name] = spec
    for ep in entry_points(group="mdc.providers"):
        spec = ep.load()
        specs.setdefault(spec.name, spec)
    return specs


def get_spec(name: str) -> ProviderSpec:
    try:
        return all_specs()[name]
    except KeyError:
        raise UnknownProvider(name) from None


def load_class(target: str) -> Any:
    """Import ``module:Class``."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
