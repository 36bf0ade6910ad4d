"""Corporate actions read off daily price rows, as Tiingo, Alpha Vantage and Nasdaq Data Link
send them: one row per day with a split ratio and a dividend amount in columns of their own."""

from __future__ import annotations

from mdc.domain.events import CorporateAction


def day_actions(
    provider: str,
    symbol: str,
    venue: str,
    ts_event: int,
    ts_recv: int,
    *,
    ratio: float | None,
    amount: float | None,
) -> list[CorporateAction]:
    """The split (when ``ratio`` is given) then the cash dividend (when ``amount`` is) of one day.

    Each provider decides which column values mean "no split" / "no dividend" and passes None.
    """
    out = []
    if ratio is not None:
        out.append(
            CorporateAction(
                symbol=symbol,
                venue=venue,
                provider=provider,
                ts_event=ts_event,
                ts_recv=ts_recv,
                kind="split",
                ratio=ratio,
            )
        )
    if amount is not None:
        out.append(
            CorporateAction(
                symbol=symbol,
                venue=venue,
                provider=provider,
                ts_event=ts_event,
                ts_recv=ts_recv,
                kind="dividend",
                amount=amount,
            )
        )
    return out
