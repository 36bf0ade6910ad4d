from __future__ import annotations

import pytest

from mdc.domain.rfc3339 import rfc3339_ns


def test_nanoseconds_and_zones() -> None:
    assert rfc3339_ns("2021-02-22T15:51:45.335689322Z") == 1614009105335689322
    assert rfc3339_ns("2021-02-22T15:51:44.208Z") == 1614009104208000000
    assert rfc3339_ns("2021-02-22T19:15:00Z") == 1614021300000000000
    assert rfc3339_ns("2021-02-22T14:15:00-05:00") == 1614021300000000000
    assert rfc3339_ns("2021-02-22T20:15:00.5+01:00") == 1614021300500000000


@pytest.mark.parametrize("bad", ["", "2021-02-22", "2021-02-22T15:51:45.Z", "2021-02-22T15:51:45Q"])
def test_malformed_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        rfc3339_ns(bad)
