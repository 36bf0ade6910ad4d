"""IB symbol search: the real ib_async ``reqMatchingSymbols`` and contract details against the
TWS stand-in, with the exact results a user gets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from tests.support.fake_tws import REQ_CONTRACT_DETAILS, REQ_MATCHING_SYMBOLS, FakeTws, search_tws
from tests.support.virtual_time import VirtualTimeLoop

from mdc.config.schema import Config
from mdc.providers.base import ProviderError, SymbolInfo
from mdc.providers.ib.search import IbSearch


def brief(found: list[SymbolInfo]) -> list[tuple[str, str, str, str, float | None]]:
    """What a user reads of each hit: symbol, name, venue, asset class, tick size."""
    return [(s.symbol, s.name, s.venue, s.asset_class, s.tick_size) for s in found]


def run(body: Callable[[IbSearch, FakeTws], Awaitable[None]]) -> None:
    async def main() -> None:
        async with search_tws() as tws:
            search = IbSearch(Config(providers={"ib": {"port": tws.port}}))
            try:
                async with asyncio.timeout(20):
                    await body(search, tws)
            finally:
                await search.aclose()

    asyncio.run(main())


def test_a_ticker_prefix_finds_the_exact_symbol_first_with_tick_sizes() -> None:
    async def body(search: IbSearch, tws: FakeTws) -> None:
        found = await search.search("aap")
        assert brief(found) == [
            ("AAP", "ADVANCE AUTO PARTS INC", "NYSE", "equity", 0.01),
            ("AAPL", "APPLE INC", "NASDAQ", "equity", 0.01),
        ]
        (matching,) = tws.requested(REQ_MATCHING_SYMBOLS)
        assert matching.fields[2] == "aap"
        # One contract-details probe per match, by conId on SMART.
        probes = tws.requested(REQ_CONTRACT_DETAILS)
        assert sorted(int(r.fields[3]) for r in probes) == [40224, 265598]
        assert {r.fields[10] for r in probes} == {"SMART"}

    run(body)


def test_a_company_name_finds_every_listing_keyed_as_the_provider_reads_symbols() -> None:
    async def body(search: IbSearch, tws: FakeTws) -> None:
        found = await search.search("Apple")
        assert brief(found) == [
            ("AAPL", "APPLE INC", "NASDAQ", "equity", 0.01),
            ("APC:STK:IBIS:EUR", "APPLE INC", "IBIS", "equity", 0.001),
        ]
        future = await search.search("ES")
        assert brief(future) == [("ES:FUT:CME:USD", "E-mini S&P 500", "CME", "future", 0.25)]
        assert await search.search("ZZZZ") == []
        assert tws.connections == 1  # the search connection is kept between queries

    run(body)


def test_limit_cuts_the_matches_before_details_are_asked() -> None:
    async def body(search: IbSearch, tws: FakeTws) -> None:
        found = await search.search("A", limit=1)
        assert [i.symbol for i in found] == ["AAPL"]
        assert len(tws.requested(REQ_CONTRACT_DETAILS)) == 1

    run(body)


def test_a_tws_that_does_not_answer_is_an_error_not_an_empty_result() -> None:
    """ib_async waits 4 s for the answer; on a virtual clock that costs no wall time."""

    async def main() -> None:
        async with search_tws(clock=asyncio.get_running_loop().time) as tws:
            tws.unanswered.add(REQ_MATCHING_SYMBOLS)
            search = IbSearch(Config(providers={"ib": {"port": tws.port}}))
            try:
                with pytest.raises(
                    ProviderError, match="did not answer the symbol search for 'AAPL'"
                ):
                    await search.search("AAPL")
            finally:
                await search.aclose()
        (asked,) = tws.requested(REQ_MATCHING_SYMBOLS)
        assert asyncio.get_running_loop().time() - asked.at >= 4.0

    loop = VirtualTimeLoop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
