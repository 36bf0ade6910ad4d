"""``instruments.refresh_cron``: the refresh waits for the next cron time in its zone (clock
and sleep injected) and records the providers' lists dated that day."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mdc.config import load_config
from mdc.instruments import refresh as refresh_module
from mdc.instruments.refresh import RefreshReport, ScheduledRefresh
from mdc.instruments.registry import Registry


def test_waits_for_the_cron_time_then_refreshes_that_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(tmp_path),
            "MDC_INSTRUMENTS__REFRESH_CRON": "15 6 * * 1-5",
            "MDC_INSTRUMENTS__PROVIDERS": "polygon",
        }
    )
    zone = ZoneInfo("America/New_York")
    # Friday 2026-12-04 18:00 New York: next run Monday 06:15
    clock = [datetime(2026, 12, 4, 18, 0, tzinfo=zone)]
    slept: list[float] = []
    calls: list[tuple[list[str], str]] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) > 1:
            raise asyncio.CancelledError

    async def fake_refresh(cfg, registry, providers, day):  # type: ignore[no-untyped-def]
        calls.append((list(providers), day.isoformat()))
        return RefreshReport()

    monkeypatch.setattr(refresh_module, "refresh", fake_refresh)
    job = ScheduledRefresh(config, Registry(tmp_path), now=lambda z: clock[0], sleep=sleep)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(job.run())
    assert slept[0] == 60 * 3600 + 15 * 60  # Fri 18:00 → Mon 06:15
    assert calls == [(["polygon"], "2026-12-07")]
    assert job.last == RefreshReport()


def test_a_bad_cron_is_a_config_error(tmp_path: Path) -> None:
    from mdc.config import ConfigError

    with pytest.raises(ConfigError, match="instruments: minute: '61' is outside 0-59"):
        load_config(env={"MDC_INSTRUMENTS__REFRESH_CRON": "61 * * * *"})
