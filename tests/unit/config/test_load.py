from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.support.cli import run_mdc

from mdc.config import Config, ConfigError, load_config, to_dict
from mdc.config.load import convert
from mdc.config.sample import SAMPLE_CONFIG


def test_defaults_collect_spy_aapl_msft_into_data() -> None:
    config = load_config(env={})
    assert [s.symbol for s in config.symbol_configs()] == ["SPY", "AAPL", "MSFT"]
    assert config.provider == "simulated"
    assert config.storage.root == "data"
    assert config.http.host == "127.0.0.1"


def test_file_then_env_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('symbols = ["A"]\n[storage]\nroot = "x"\nformat = "parquet"\n')
    env = {"MDC_STORAGE__ROOT": "from-env", "MDC_PIPELINE__CAPACITY": "7", "OTHER": "1"}
    config = load_config(path, env=env, overrides={"symbols": ["B", "C"]})
    assert config.storage.root == "from-env"
    assert config.storage.format == "parquet"
    assert config.pipeline.capacity == 7
    assert [s.symbol for s in config.symbol_configs()] == ["B", "C"]


def test_env_list_and_aliases() -> None:
    config = load_config(
        env={"MDC_SYMBOLS": "SPY, QQQ", "MDC_API_KEY": "k", "MDC_LOG_LEVEL": "DEBUG"}
    )
    assert config.symbols == ["SPY", "QQQ"]
    assert config.http.api_key == "k"
    assert config.logging.level == "DEBUG"


def test_provider_sections_are_free_form_until_the_provider_validates() -> None:
    env = {"MDC_PROVIDERS__ALPACA__STREAM_URL": "ws://127.0.0.1:1/v2/iex"}
    config = load_config(env=env)
    assert config.providers == {"alpaca": {"stream_url": "ws://127.0.0.1:1/v2/iex"}}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"symbols": ["A", "B", "C", {"symbol": "X", "depth_levels": 80}]},
            "symbols[3].depth_levels: must be at most 50, got 80",
        ),
        (
            {"storage": {"format": "csv"}},
            "storage.format: not one of the allowed values (one of: jsonl, parquet, both),"
            ' got "csv"',
        ),
        ({"storage": {"bogus": 1}}, "storage.bogus: unknown key"),
        ({"pipeline": {"capacity": "many"}}, 'pipeline.capacity: must be int, got "many"'),
        ({"symbols": [{"depth_levels": 3}]}, "symbols[0].symbol: required"),
        ({"http": {"port": 70000}}, "http.port: must be at most 65535, got 70000"),
    ],
)
def test_errors_name_the_key_and_value(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        convert(raw, Config)
    assert str(info.value) == message


def test_env_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^storage.wal.fsync: not one of"):
        load_config(env={"MDC_STORAGE__WAL__FSYNC": "sometimes"})


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("symbols = [\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_config(path, env={})
    with pytest.raises(ConfigError, match=r"missing\.toml: config file not found"):
        load_config(tmp_path / "missing.toml", env={})


def test_secrets_are_masked() -> None:
    config = load_config(env={"MDC_API_KEY": "hunter2", "MDC_PROVIDERS__X__SECRET_KEY": "s3cret"})
    shown = to_dict(config)
    assert shown["http"]["api_key"] == "****"
    assert shown["providers"]["x"]["secret_key"] == "****"
    assert "hunter2" not in repr(shown) and "s3cret" not in repr(shown)


def test_sample_config_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "mdc.toml"
    path.write_text(SAMPLE_CONFIG)
    config = load_config(path, env={})
    assert config.symbol_configs()[2].depth_levels == 20


def _mdc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_mdc(*args, env=env, timeout=60)


def test_cli_validate_exit_code_2_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('symbols = ["A", {symbol = "B", depth_levels = 80}]\n')
    result = _mdc("config", "validate", "--config", str(path))
    assert result.returncode == 2
    assert "symbols[1].depth_levels: must be at most 50, got 80" in result.stderr
    ok = _mdc("config", "validate")
    assert ok.returncode == 0, ok.stderr


def test_cli_show_masks_secrets(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "MDC_API_KEY": "hunter2"}
    result = _mdc("config", "show", env=env)
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert 'api_key = "****"' in result.stdout


def test_cli_unknown_command_is_usage_error() -> None:
    assert _mdc("no-such-command").returncode == 2


def test_env_list_keys_take_a_single_value() -> None:
    config = load_config(env={"MDC_SYMBOLS": "SPY", "MDC_FAILOVER": "polygon"})
    assert config.symbols == ["SPY"]
    assert config.failover == ["polygon"]
    assert load_config(env={"MDC_SYMBOLS": '["A", "B"]'}).symbols == ["A", "B"]


def test_mdc_pure_python_is_not_a_config_key() -> None:
    """``MDC_PURE_PYTHON=1 mdc collect`` runs the Python reference paths, not a config error."""
    config = load_config(env={"MDC_PURE_PYTHON": "1", "MDC_PROVIDERS__SIMULATED__RATE": "5"})
    assert to_dict(config) == to_dict(load_config(env={"MDC_PROVIDERS__SIMULATED__RATE": "5"}))
