"""Every historical provider package has the same shape: SPEC, a loadable class, a config whose
every key (endpoint URLs included) can be set from the environment."""

from __future__ import annotations

import asyncio
import importlib

import pytest

from mdc.config.load import ConfigError, load_config, provider_section
from mdc.providers.base import HistoricalProvider
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.registry import load_class

# provider → (URL key, credentials); alpaca and polygon keep their REST keys in a ``rest`` table
# beside the stream's keys.
PROVIDERS = {
    "alpaca": ("rest.url", ("ALPACA_KEY_ID", "ALPACA_SECRET_KEY")),
    "polygon": ("rest.url", ("POLYGON_API_KEY",)),
    "tiingo": ("base_url", ("TIINGO_API_KEY",)),
    "yahoo": ("base_url", ()),
    "stooq": ("base_url", ("STOOQ_API_KEY",)),
    "finnhub": ("base_url", ("FINNHUB_API_KEY",)),
    "alphavantage": ("base_url", ("ALPHAVANTAGE_API_KEY",)),
    "nasdaqdatalink": ("base_url", ("NASDAQ_DATA_LINK_API_KEY",)),
}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_spec_class_and_env_configurable_url(name: str) -> None:
    url_key, credentials = PROVIDERS[name]
    spec = importlib.import_module(f"mdc.providers.{name}").SPEC
    assert spec.name == name
    assert spec.credentials == credentials
    assert spec.historical is not None
    cls = load_class(spec.historical)
    assert issubclass(cls, HistoricalProvider) and cls.spec is spec

    env = {
        f"MDC_PROVIDERS__{name.upper()}__{url_key.replace('.', '__').upper()}": "http://127.0.0.1:9/x",
        f"MDC_PROVIDERS__{name.upper()}__REST__MAX_ATTEMPTS": "7",
        f"MDC_PROVIDERS__{name.upper()}__REST__RATE_LIMITS__ALL": "9/1s",
    }
    config = load_config(env=env)
    section = provider_section(config, name, spec.config)
    node = section
    for part in url_key.split("."):
        node = getattr(node, part)
    assert node == "http://127.0.0.1:9/x"
    assert section.rest.max_attempts == 7
    assert section.rest.rate_limits == {"all": "9/1s"}

    async def build() -> None:
        limiter = RateLimiter()
        provider = cls(config, limiter)
        try:
            assert provider.limiter is limiter
            assert provider.supports("bars", "1d")
        finally:
            await provider.aclose()

    asyncio.run(build())


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_default_rate_limits_parse(name: str) -> None:
    spec = importlib.import_module(f"mdc.providers.{name}").SPEC
    section = provider_section(load_config(env={}), name, spec.config)
    limiter = RateLimiter()
    limiter.configure(name, section.rest.rate_limits)
    assert section.rest.rate_limits["all"]


def test_bad_rate_limit_is_a_config_error() -> None:
    config = load_config(env={"MDC_PROVIDERS__TIINGO__REST__RATE_LIMITS__ALL": "lots"})
    cls = load_class("mdc.providers.tiingo.historical:TiingoHistorical")
    with pytest.raises(ConfigError, match=r"providers\.tiingo\.rest\.rate_limits: bad rate limit"):
        cls(config)


def test_unknown_rest_key_is_a_config_error() -> None:
    config = load_config(env={"MDC_PROVIDERS__YAHOO__REST__RETRIES": "3"})
    cls = load_class("mdc.providers.yahoo.historical:YahooHistorical")
    with pytest.raises(ConfigError, match=r"providers\.yahoo\.rest\.retries: unknown key"):
        cls(config)
