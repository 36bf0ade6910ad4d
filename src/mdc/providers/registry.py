"""The providers the CLI and config know by name: one line per provider package.

Third-party packages can add providers through the ``mdc.providers`` entry-point group; the
entry point's object is a :class:`~mdc.providers.base.ProviderSpec`.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Final

from mdc.config.load import ConfigError, provider_section
from mdc.config.schema import Config
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
    "openfigi",
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


def check_config(config: Config) -> None:
    """Every provider the config names exists and can do what it is named for, and every
    ``[providers.<name>]`` section is valid: a :class:`ConfigError` naming the key otherwise.

    The config loader cannot do this (it sits below the providers); the CLI and the API call
    this before anything is created on disk, so a typo is exit 2, not a traceback mid-run.
    """
    specs = all_specs()
    for key, name, role in _named_providers(config):
        spec = specs.get(name)
        if spec is None:
            raise ConfigError(f"{key}: {_unknown(name, specs)}")
        if role == "streaming" and spec.streaming is None:
            raise ConfigError(f"{key}: {name!r} has no live stream (it serves history only)")
        if role == "historical" and spec.historical is None:
            raise ConfigError(f"{key}: {name!r} has no history (it is a live stream only)")
        if role == "search" and spec.search is None:
            raise ConfigError(f"{key}: {name!r} has no instrument list or symbol search")
    for name in config.providers:
        if name not in specs:
            raise ConfigError(f"providers.{name}: {_unknown(name, specs)}")
        provider_section(config, name, specs[name].config)


def used_providers(config: Config) -> list[str]:
    """Every provider the config names or configures, once each, in the order they appear."""
    names = [name for _, name, _ in _named_providers(config)] + list(config.providers)
    return list(dict.fromkeys(names))


def _unknown(name: str, specs: dict[str, ProviderSpec]) -> str:
    close = difflib.get_close_matches(name, specs, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown provider {name!r}; {hint}known: {', '.join(sorted(specs))}"


def _named_providers(config: Config) -> Iterator[tuple[str, str, str]]:
    """(key, provider name, role) for every place the config names a provider."""
    yield "provider", config.provider, "streaming"
    for i, name in enumerate(config.failover):
        yield f"failover[{i}]", name, "streaming"
    for r, route in enumerate(config.routes):
        yield f"routes[{r}].provider", route.provider, "streaming"
        for i, name in enumerate(route.failover):
            yield f"routes[{r}].failover[{i}]", name, "streaming"
    for i, name in enumerate(config.backfill.providers):
        yield f"backfill.providers[{i}]", name, "historical"
    for i, name in enumerate(config.instruments.providers):
        yield f"instruments.providers[{i}]", name, "search"
