"""A minimal stand-in of Lean's Python surface (``AlgorithmImports``), because Lean itself cannot
be installed here: the types a ``PythonData`` class and a simple algorithm touch, and a
``run()`` that drives them the way Lean's engine does for custom data — ``GetSource`` once per
date, ``Reader`` once per line of a local file, points delivered to ``OnData`` in time order.
It proves our classes' logic, not Lean's acceptance of them."""

from __future__ import annotations

import sys
import types
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any


class SubscriptionTransportMedium:
    LocalFile = "LocalFile"
    RemoteFile = "RemoteFile"


class FileFormat:
    Csv = "Csv"


class Resolution:
    Tick, Second, Minute, Hour, Daily = "Tick", "Second", "Minute", "Hour", "Daily"


class TimeZones:
    Utc = "UTC"
    NewYork = "America/New_York"


class SubscriptionDataSource:
    def __init__(self, source: str, transport: str, fmt: str) -> None:
        self.Source, self.TransportMedium, self.Format = source, transport, fmt


class Symbol:
    def __init__(self, value: str) -> None:
        self.Value = value

    def __repr__(self) -> str:
        return f"Symbol({self.Value})"


class SubscriptionDataConfig:
    def __init__(self, symbol: Symbol, data_type: type, time_zone: str) -> None:
        self.Symbol, self.Type, self.DataTimeZone = symbol, data_type, time_zone


class PythonData:
    def __init__(self) -> None:
        self.Symbol: Symbol | None = None
        self.Time = datetime.min
        self.EndTime = datetime.min
        self.Value = 0.0
        self._props: dict[str, Any] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        self._props[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._props[key]


class Security:
    def __init__(self, symbol: Symbol) -> None:
        self.Symbol = symbol


class Slice:
    def __init__(self, time: datetime, points: dict[Symbol, PythonData]) -> None:
        self.Time, self._points = time, points

    def ContainsKey(self, symbol: Symbol) -> bool:
        return symbol in self._points

    def __getitem__(self, symbol: Symbol) -> PythonData:
        return self._points[symbol]


class Portfolio:
    Invested = False


class QCAlgorithm:
    def __init__(self) -> None:
        self.subscriptions: list[SubscriptionDataConfig] = []
        self.Portfolio = Portfolio()
        self.logs: list[str] = []
        self.start = self.end = datetime.min
        self.holdings: dict[str, float] = {}

    def SetStartDate(self, y: int, m: int, d: int) -> None:
        self.start = datetime(y, m, d)

    def SetEndDate(self, y: int, m: int, d: int) -> None:
        self.end = datetime(y, m, d)

    def SetCash(self, cash: float) -> None:
        self.cash = cash

    def AddData(self, cls: type, ticker: str, resolution: str, tz: str) -> Security:
        symbol = Symbol(ticker)
        self.subscriptions.append(SubscriptionDataConfig(symbol, cls, tz))
        return Security(symbol)

    def SetHoldings(self, symbol: Symbol, share: float) -> None:
        self.holdings[symbol.Value] = share
        self.Portfolio.Invested = True

    def Debug(self, message: str) -> None:
        self.logs.append(message)

    Log = Debug


def run(algorithm_cls: type) -> Any:
    """Initialize, feed every subscription's points in time order, finish."""
    algo = algorithm_cls()
    algo.Initialize()
    points: list[tuple[datetime, int, Symbol, PythonData]] = []
    for n, config in enumerate(algo.subscriptions):
        day = algo.start
        while day <= algo.end:
            factory = config.Type()
            source = factory.GetSource(config, day, False)
            assert source.TransportMedium == SubscriptionTransportMedium.LocalFile
            path = Path(source.Source)
            if path.exists():
                for line in path.read_text().splitlines():
                    point = factory.Reader(config, line, day, False)
                    if point is not None:
                        points.append((point.EndTime, n, config.Symbol, point))
            day += timedelta(days=1)
    points.sort(key=lambda p: (p[0], p[1]))
    by_time: dict[datetime, list[tuple[Symbol, PythonData]]] = defaultdict(list)
    for time, _, symbol, point in points:
        by_time[time].append((symbol, point))
    for time, items in by_time.items():
        for symbol, point in items:  # ticks: one slice per point
            algo.OnData(Slice(time, {symbol: point}))
    algo.OnEndOfAlgorithm()
    return algo


def install() -> None:
    """Make ``from AlgorithmImports import …`` resolve to this stand-in."""
    module = types.ModuleType("AlgorithmImports")
    for name, value in globals().items():
        if not name.startswith("_"):
            setattr(module, name, value)
    sys.modules["AlgorithmImports"] = module
