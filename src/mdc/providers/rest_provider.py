"""What every REST history provider shares: one ``RestClient``, key handling, ``supports()``.

The eight REST providers differ in endpoints, paging and parsing, but not in how they set up
their client, mask their keys or answer ``supports()``; a subclass states the differences as
class attributes and one hook (:meth:`RestHistorical.check_bars`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

import httpx

from mdc.config.schema import Config
from mdc.domain.interval import IntervalError
from mdc.providers.base import DataKind, HistoricalProvider, ProviderError, UnsupportedRequest
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest import RestClient, RestSettings


class RestHistorical(HistoricalProvider):
    """A historical provider over one :class:`RestClient` named after ``spec.name``."""

    serves: ClassVar[frozenset[DataKind]]
    """The data kinds this provider answers at all; ``supports()`` is False for the others."""
    raw_bars: ClassVar[bool] = True
    """False when the provider only has adjusted prices (``adjusted=False`` is unsupported)."""

    def __init__(
        self,
        config: Config,
        limiter: RateLimiter | None,
        rest: RestSettings,
        *,
        credential_env: Sequence[str] | None = None,
        classify: Callable[[httpx.Response], ProviderError | None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``credential_env`` defaults to ``spec.credentials`` (named in credential errors);
        ``transport`` replaces httpx's own (Yahoo's browser-TLS client)."""
        super().__init__(config, limiter)
        env = self.spec.credentials if credential_env is None else credential_env
        self.client = RestClient(
            self.spec.name,
            rest,
            self.limiter,
            credential_env=env,
            classify=classify,
            transport=transport,
        )

    def supports(
        self, kind: DataKind, interval: str | None = None, adjusted: bool | None = None
    ) -> bool:
        if kind not in self.serves:
            return False
        if kind != "bars":
            return True
        if adjusted is False and not self.raw_bars:
            return False
        if interval is None:
            return True
        try:
            self.check_bars(interval, adjusted)
        except (UnsupportedRequest, IntervalError):
            return False
        return True

    @abstractmethod
    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        """Raise ``UnsupportedRequest`` for bars this provider cannot serve (no network)."""

    def credential(self, name: str) -> str:
        """The value of credential ``name``, masked from now on in every log and error."""
        return self.client.credential(self.spec, name)

    async def aclose(self) -> None:
        await self.client.aclose()
