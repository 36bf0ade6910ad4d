"""IB's ``reqMatchingSymbols`` search plugs into the registry like every other provider: the
real ib_async client against the TWS stand-in, its answers kept and merged by symbol with a
provider that lists FIGIs."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from tests.support.fake_tws import search_tws

from mdc.config.schema import Config
from mdc.instruments.refresh import keep_found
from mdc.instruments.registry import Registry
from mdc.providers.base import SymbolInfo
from mdc.providers.search import search_providers


def test_ib_answers_join_the_registry(tmp_path: Path) -> None:
    async def main() -> None:
        async with search_tws() as tws:
            config = Config(providers={"ib": {"port": tws.port}})
            found = await search_providers(config, ["ib", "tiingo"], "aap", 10)
        assert found.errors == {"tiingo": found.errors["tiingo"]}  # no search: named, not fatal
        assert "tiingo has no symbol search" in found.errors["tiingo"]
        hits = found.listings["ib"]
        assert [(h.symbol, h.venue, h.asset_class) for h in hits] == [
            ("AAP", "NYSE", "equity"),
            ("AAPL", "NASDAQ", "equity"),
        ]
        registry = Registry(tmp_path)
        registry.store(
            "polygon",
            [
                SymbolInfo(
                    symbol="AAPL",
                    provider="polygon",
                    provider_symbol="AAPL",
                    asset_class="equity",
                    composite_figi="BBG000B9XRY4",
                    mic="XNAS",
                )
            ],
            date(2026, 12, 3),
        )
        keep_found(registry, found.listings, date(2026, 12, 3))
        aapl = registry.get("AAPL")
        assert aapl is not None
        assert (aapl.key, aapl.spellings) == (
            "figi:BBG000B9XRY4",
            {"polygon": "AAPL", "ib": "AAPL"},
        )
        assert aapl.venues == {"ib": "NASDAQ"}
        assert [i.symbol for i in registry.search("aap")] == ["AAP", "AAPL"]

    asyncio.run(main())
