"""Provider names and ``[providers.*]`` sections are checked before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mdc.config import ConfigError, load_config
from mdc.providers.registry import check_config


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MDC_PROVIDER": "simulatd"}, "provider: unknown provider 'simulatd'; did you mean 'simulated'?"),  # noqa: E501
        ({"MDC_FAILOVER": "polygn"}, "failover[0]: unknown provider 'polygn'; did you mean 'polygon'?"),  # noqa: E501
        ({"MDC_BACKFILL__PROVIDERS": "yahooo"}, "backfill.providers[0]: unknown provider 'yahooo'; did you mean 'yahoo'?"),  # noqa: E501
        ({"MDC_BACKFILL__PROVIDERS": "coinbase"}, "backfill.providers[0]: 'coinbase' has no history"),  # noqa: E501
        ({"MDC_PROVIDERS__ALPACA__FEEDX": "sip"}, "providers.alpaca.feedx: unknown key"),
        ({"MDC_PROVIDERS__KRAKEN__RECONNECT_MAX_S": "-5"}, "providers.kraken.reconnect_max_s: must be greater than 0.0, got -5"),  # noqa: E501
        ({"MDC_PROVIDERS__KRAKEN_X__URL": "x"}, "providers.kraken_x: unknown provider 'kraken_x'; did you mean 'kraken'?"),  # noqa: E501
    ],
)  # fmt: skip
def test_a_bad_name_or_section_is_named_with_its_key(env: dict[str, str], message: str) -> None:
    config = load_config(env=env)
    with pytest.raises(ConfigError) as err:
        check_config(config)
    assert str(err.value).startswith(message)


def test_routes_are_checked_too() -> None:
    config = load_config(
        overrides={
            "routes": [{"symbols": ["BTC-USD"], "provider": "coinbase", "failover": ["krakn"]}]
        }
    )
    with pytest.raises(ConfigError, match=r"^routes\[0\]\.failover\[0\]: unknown provider 'krakn'"):
        check_config(config)


def test_the_defaults_pass() -> None:
    check_config(load_config(env={}))


def test_collect_with_a_typo_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mdc.cli",
            "collect",
            "--no-http",
            "--duration",
            "1",
            "-d",
            str(data),
        ],
        env={"MDC_PROVIDER": "simulatd", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "provider: unknown provider 'simulatd'; did you mean 'simulated'?" in result.stderr
    assert not data.exists()
