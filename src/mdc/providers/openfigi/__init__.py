"""OpenFIGI (Bloomberg's open symbology): FIGI search and identifier mapping, no market data.

https://www.openfigi.com/api/documentation (read 2026-12-03): ``POST /v3/search`` (keywords,
paged by ``start``/``next``) and ``POST /v3/mapping`` (a list of jobs: ``idType`` ``TICKER`` /
``ID_ISIN`` / ``ID_CUSIP`` …, ``idValue``, ``exchCode``). Works without a key; a free key
(``OPENFIGI_API_KEY``, sent as ``X-OPENFIGI-APIKEY``) loosens the limits (``config.py``).
"""

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.openfigi.config import OpenFigiConfig

SPEC = ProviderSpec(
    name="openfigi",
    description="OpenFIGI: FIGI search and ticker/ISIN/CUSIP → FIGI mapping (reference data)",
    plan_notes=(
        "no key needed; OPENFIGI_API_KEY (free) raises mapping to 25 requests/6 s with 100 "
        "jobs each and search to 20/min"
    ),
    capabilities=Capabilities(asset_classes=("equity", "etf", "future", "option", "index")),
    config=OpenFigiConfig,
    search="mdc.providers.openfigi.search:OpenFigiSearch",
)
