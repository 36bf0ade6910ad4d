"""Without the ``mdc[report]`` extra the report's plots fail with the install line, not an
ImportError traceback."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from mdc.quality.plots import PlotError, calendar_svg, timeline_svg


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    for draw in (
        lambda: calendar_svg("SPY", [], date(2026, 12, 1), date(2026, 12, 2)),
        lambda: timeline_svg("SPY", []),
    ):
        with pytest.raises(PlotError, match=r"pip install 'mdc\[report\]'"):
            draw()
