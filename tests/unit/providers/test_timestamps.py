"""REST timestamp formats to int nanoseconds UTC (RFC 3339: tests/unit/domain/test_rfc3339.py)."""

from __future__ import annotations

from mdc.domain.interval import US_EASTERN
from mdc.providers.timestamps import local_wall_ns, parse_date_ns, rfc3339


def test_dates_and_wall_clock() -> None:
    assert parse_date_ns("2024-01-02") == 1_704_153_600_000_000_000
    assert parse_date_ns("2019-01-02T00:00:00.000Z") == 1_546_387_200_000_000_000
    # 09:30 New York is 14:30Z in winter and 13:30Z in summer.
    assert local_wall_ns("2024-01-02 09:30:00", US_EASTERN) == 1_704_205_800_000_000_000
    assert local_wall_ns("2024-07-02 09:30:00", US_EASTERN) == 1_719_927_000_000_000_000
    assert rfc3339(1_704_205_800_123_456_789) == "2024-01-02T14:30:00Z"
