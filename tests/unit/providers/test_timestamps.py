"""REST timestamp formats to int nanoseconds UTC."""

from __future__ import annotations

import pytest

from mdc.providers.interval import US_EASTERN
from mdc.providers.timestamps import local_wall_ns, parse_date_ns, parse_rfc3339_ns, rfc3339


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2022-04-11T12:00:36.002951946Z", 1_649_678_436_002_951_946),
        ("2022-04-11T12:00:36.002951Z", 1_649_678_436_002_951_000),
        ("2022-04-11T12:00:36Z", 1_649_678_436_000_000_000),
        ("2022-04-11T08:00:36-04:00", 1_649_678_436_000_000_000),
        ("2022-04-11T17:30:36.5+0530", 1_649_678_436_500_000_000),
        ("2022-04-11T12:00:36", 1_649_678_436_000_000_000),
        ("2022-04-11T12:00:36.0029519461234Z", 1_649_678_436_002_951_946),
    ],
)
def test_rfc3339(text: str, ns: int) -> None:
    assert parse_rfc3339_ns(text) == ns


@pytest.mark.parametrize("bad", ["", "2022-04-11", "12:00:36Z", "2022-04-11T12:00Z", "x"])
def test_bad_rfc3339(bad: str) -> None:
    with pytest.raises(ValueError, match="not an RFC 3339"):
        parse_rfc3339_ns(bad)


def test_dates_and_wall_clock() -> None:
    assert parse_date_ns("2024-01-02") == 1_704_153_600_000_000_000
    assert parse_date_ns("2019-01-02T00:00:00.000Z") == 1_546_387_200_000_000_000
    # 09:30 New York is 14:30Z in winter and 13:30Z in summer.
    assert local_wall_ns("2024-01-02 09:30:00", US_EASTERN) == 1_704_205_800_000_000_000
    assert local_wall_ns("2024-07-02 09:30:00", US_EASTERN) == 1_719_927_000_000_000_000
    assert rfc3339(1_704_205_800_123_456_789) == "2024-01-02T14:30:00Z"
