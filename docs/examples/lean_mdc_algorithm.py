"""A Lean algorithm that trades on an mdc archive read directly (docs/lean.md).

Run it in Lean (``lean backtest``) with ``mdc`` installed in Lean's Python environment and
``MDC_ARCHIVE`` pointing at the archive root (uncompressed JSONL). It buys SPY when a trade
prints above the day's first trade and logs the quotes it saw.
"""

from AlgorithmImports import QCAlgorithm, Resolution, TimeZones

from mdc.integrations.lean.pythondata import MdcQuote, MdcTrade


class MdcArchiveAlgorithm(QCAlgorithm):
    def Initialize(self) -> None:
        self.SetStartDate(2024, 3, 1)
        self.SetEndDate(2024, 3, 1)
        self.SetCash(100_000)
        self.trades = self.AddData(MdcTrade, "SPY", Resolution.Tick, TimeZones.Utc).Symbol
        self.quotes = self.AddData(MdcQuote, "SPY", Resolution.Tick, TimeZones.Utc).Symbol
        self.first_price = None
        self.trade_count = 0
        self.quote_count = 0

    def OnData(self, slice) -> None:
        if slice.ContainsKey(self.trades):
            trade = slice[self.trades]
            self.trade_count += 1
            if self.first_price is None:
                self.first_price = trade.Value
            elif trade.Value > self.first_price and not self.Portfolio.Invested:
                self.SetHoldings(self.trades, 0.5)
                self.Debug(f"bought at {trade.Value} ({trade['size']} shares printed)")
        if slice.ContainsKey(self.quotes):
            self.quote_count += 1

    def OnEndOfAlgorithm(self) -> None:
        self.Log(f"trades seen: {self.trade_count}, quotes seen: {self.quote_count}")
