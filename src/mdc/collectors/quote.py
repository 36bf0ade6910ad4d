"""The prevailing best bid and offer of each stream, as its provider's ``Quote`` events say.

The last ``Quote`` is kept as is (no copy): trade aggressor inference and the dashboard read it.
Quotes flagged by the sequence tracker (duplicates, late ones) never replace it.
"""

from __future__ import annotations

from mdc.collectors.emit import StreamKey
from mdc.domain.events import Quote


class QuoteCollector:
    """Last quote per (symbol, venue, provider)."""

    def __init__(self) -> None:
        self.quotes: dict[StreamKey, Quote] = {}
        self._by_symbol: dict[str, list[StreamKey]] = {}

    def on_quote(self, ev: Quote, key: StreamKey) -> None:
        if self.quotes.get(key) is None:
            self._by_symbol.setdefault(ev.symbol, []).append(key)
        self.quotes[key] = ev

    def latest(self, symbol: str, venue: str | None = None) -> Quote | None:
        """The newest quote of ``symbol`` (on ``venue``, when given) across providers."""
        best: Quote | None = None
        for key in self._by_symbol.get(symbol, ()):
            if venue is not None and key[1] != venue:
                continue
            quote = self.quotes[key]
            if best is None or quote.ts_event > best.ts_event:
                best = quote
        return best

    def forget(self, symbol: str | None = None, provider: str | None = None) -> None:
        """Drop quotes (all, one symbol's, one provider's)."""
        for key in list(self.quotes):
            if (symbol is None or key[0] == symbol) and (provider is None or key[2] == provider):
                del self.quotes[key]
                same = self._by_symbol[key[0]]
                same.remove(key)
                if not same:
                    del self._by_symbol[key[0]]

    def __len__(self) -> int:
        return len(self.quotes)
