"""Exchange calendars: market hours for the stream watchdog, and which calendar a symbol follows."""

from datetime import date

import pytest

from mdc.config.schema import BackfillConfig
from mdc.domain import calendar
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


def test_ranges_beyond_the_known_years_are_refused_not_built() -> None:
    """A fuzzed API request asked for sessions up to 2682; building that calendar took longer
    than the request timeout. Such ranges are refused with the years that are known."""
    ahead = date.today().year + calendar.YEARS_AHEAD
    with pytest.raises(calendar.CalendarError, match=rf"known from 1900 to {ahead}; 2682 is"):
        calendar.sessions("XNYS", date(2026, 1, 1), date(2682, 10, 3))
    with pytest.raises(calendar.CalendarError, match="; 1066 is outside"):
        calendar.sessions("XNYS", date(1066, 10, 14), date(2026, 1, 1))
    assert calendar.sessions("XNYS", date(ahead, 12, 1), date(ahead, 12, 31))
