"""Lean factor files and map files (US equity) from the archive's corporate actions.

Format (``Common/Data/Auxiliary/{CorporateFactorRow,FactorFile,MapFileRow}.cs``, QuantConnect/Lean
commit 24863901, read 2026-12-03 via ``../shared/research/lean-format.md`` §7):

- ``equity/usa/factor_files/<ticker>.csv``: rows ``yyyyMMdd,priceFactor,splitFactor,refPrice``
  oldest first; a row's factors apply to every date up to and including its own date after the
  previous row's date; the last row is the sentinel ``20501231,1,1,0``. Adjusted price = raw ×
  priceFactor × splitFactor. A split of ``r`` new shares per old, effective (ex-date) on E,
  divides the split factor of every date before E by ``r``; a cash dividend ``D`` with ex-date E
  multiplies the price factor before E by ``1 - D / close``, where ``close`` is the close of the
  last trading day before E (that row's reference price). Factors are written as Lean does:
  ``Math.Round(pf, 7)``, ``Math.Round(sf, 8)`` keeping the decimal's scale (``1``, ``0.25``),
  the reference price rounded to 4 places and normalized.
- ``equity/usa/map_files/<ticker>.csv``: ``yyyyMMdd,ticker[,exchange]`` rows, the mapped ticker
  of a date being the first row dated on or after it. mdc stores no ticker changes, so the map
  file says the ticker was the same from its first date in the archive to the sentinel.

Trading days are the dates of the archive's daily bars (else weekdays); a dividend whose
reference close is not in the archive cannot be turned into a factor and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from mdc.domain.events import Bar, CorporateAction
from mdc.integrations.lean.codec import fmt, to_decimal

SENTINEL = date(2050, 12, 31)
ONE = Decimal(1)


@dataclass
class FactorRow:
    day: date
    price_factor: Decimal
    split_factor: Decimal
    reference: Decimal

    def line(self) -> str:
        pf, sf = _round(self.price_factor, 7), _round(self.split_factor, 8)
        return f"{self.day:%Y%m%d},{pf},{sf},{_ref(self.reference)}"


@dataclass
class FactorResult:
    rows: list[FactorRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _round(value: Decimal, places: int) -> str:
    """.NET ``Math.Round(d, places)``: rounds half-even only past ``places`` and keeps the
    scale otherwise (an exact ``1 / 4`` is ``0.25``, an untouched factor ``1``)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return format(value, "f")


def _ref(value: Decimal) -> str:
    return fmt(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))


def _day(ts: int) -> date:
    return datetime.fromtimestamp(ts // 1_000_000_000, tz=UTC).date()


def factor_rows(
    actions: list[CorporateAction], daily: list[Bar], first_day: date | None = None
) -> FactorResult:
    """The factor file rows of one symbol (see the module doc)."""
    closes = {_day(b.ts_event): to_decimal(b.close) for b in daily if b.interval == "1d"}
    sessions = sorted(closes)
    result = FactorResult()
    by_ex: dict[date, list[CorporateAction]] = {}
    for a in actions:
        by_ex.setdefault(_day(a.ts_event), []).append(a)
    pf, sf = ONE, ONE
    rows = [FactorRow(SENTINEL, ONE, ONE, Decimal(0))]
    for ex in sorted(by_ex, reverse=True):
        prev = _previous_session(ex, sessions)
        close = closes.get(prev)
        for a in by_ex[ex]:
            if a.kind == "split" and a.ratio:
                sf = sf / to_decimal(a.ratio)
            elif a.kind == "dividend" and a.amount:
                if close is None or close == 0:
                    result.problems.append(
                        f"dividend {a.amount} ex {ex}: no daily close for {prev} in the archive"
                    )
                    continue
                pf = pf * (ONE - to_decimal(a.amount) / close)
        rows.append(FactorRow(prev, pf, sf, close if close is not None else Decimal(0)))
    start = first_day or (sessions[0] if sessions else None)
    if start is not None and (len(rows) == 1 or start < rows[-1].day):
        rows.append(FactorRow(start, pf, sf, closes.get(start, Decimal(0))))
    result.rows = rows[::-1]
    return result


def _previous_session(ex: date, sessions: list[date]) -> date:
    earlier = [d for d in sessions if d < ex]
    if earlier:
        return earlier[-1]
    d = ex - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def factor_file(result: FactorResult) -> bytes:
    """The file body (no final newline, like Lean's repository files)."""
    return "\n".join(r.line() for r in result.rows).encode("ascii")


def map_file(ticker: str, first_day: date, exchange: str = "") -> bytes:
    """A map file for a ticker that never changed (ends with a newline, like Lean's)."""
    suffix = f",{exchange}" if exchange else ""
    rows = [f"{first_day:%Y%m%d},{ticker}{suffix}", f"{SENTINEL:%Y%m%d},{ticker}{suffix}"]
    return ("\n".join(rows) + "\n").encode("ascii")
