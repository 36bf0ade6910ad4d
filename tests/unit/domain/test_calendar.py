"""Exchange calendars: market hours for the stream watchdog, and which calendar a symbol follows."""

from mdc.config.schema import BackfillConfig
from mdc.domain.calendar import ALWAYS_OPEN, MarketHours
from mdc.domain.rfc3339 import rfc3339_ns


def test_market_hours_follow_the_nyse_calendar() -> None:
    hours = MarketHours("XNYS")
    assert hours.is_open(rfc3339_ns("2024-03-12T14:31:00Z"))  # Tuesday 10:31 New York
    assert not hours.is_open(rfc3339_ns("2024-03-12T21:01:00Z"))  # after the close
    assert not hours.is_open(rfc3339_ns("2024-03-16T15:00:00Z"))  # Saturday
    assert not hours.is_open(rfc3339_ns("2024-12-25T15:00:00Z"))  # Christmas
    assert hours.is_open(rfc3339_ns("2024-03-13T13:30:00Z"))  # the open, next day


def test_calendar_for_prefers_explicit_config_then_crypto_pairs_then_the_default() -> None:
    config = BackfillConfig(calendar="XLON", calendars={"BTC-USD": "24/7", "SPY": "XNYS"})
    assert config.calendar_for("SPY") == "XNYS"
    assert config.calendar_for("BTC-USD") == ALWAYS_OPEN
    assert config.calendar_for("ETH/USDT") == ALWAYS_OPEN
    assert config.calendar_for("VOD") == "XLON"
