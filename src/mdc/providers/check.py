"""A live credential and entitlement check: one cheap authenticated request per provider.

``mdc providers check``, ``POST /api/providers/{name}/check`` and the dashboard's Check button
all call :func:`check_provider`. The request is the smallest one that needs the key: daily bars
of :data:`PROBE_SYMBOL` over the last :data:`PROBE_DAYS` days (first page only) where the
provider has history, else a symbol search. Its failure is classified by the error family the
providers already raise (``providers/base.py``), so each outcome comes with the fix:

* ``ok`` — the key was accepted and the data came back;
* ``missing`` — no credential in the environment or keyring (nothing was sent);
* ``bad_key`` — the provider rejected the key (HTTP 401/403 without a plan note);
* ``not_in_plan`` — the key is good, its plan lacks the data (``NotInPlan``);
* ``rate_limited`` — the key is good but throttled right now;
* ``unreachable`` — the host did not answer (network, proxy, URL);
* ``no_extra`` — the provider's optional package is not installed;
* ``failed`` — any other provider error, with the provider's own words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

import httpx
import msgspec

from mdc.config.schema import Config
from mdc.domain.events import Bar
from mdc.providers.base import (
    CredentialsError,
    HistoricalProvider,
    NotInPlan,
    ProviderError,
    ProviderSpec,
    RateLimited,
    Unreachable,
)
from mdc.providers.credentials import missing_hint
from mdc.providers.registry import load_class
from mdc.providers.search import open_search

Outcome = Literal[
    "ok", "missing", "bad_key", "not_in_plan", "rate_limited", "unreachable", "no_extra", "failed"
]
PROBE_SYMBOL: Final = "SPY"
"""Listed by every equity provider and traded every session, so a week always has bars."""
PROBE_DAYS: Final = 7
CHECK_TIMEOUT_S: Final = 30.0
"""A check that has not finished by then (retries included) counts as unreachable."""


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """The answer of one check, as the CLI prints it and the API returns it."""

    provider: str
    outcome: Outcome
    message: str
    """One line: what happened and, unless ``ok``, what to do about it."""
    probe: str
    """The request that was made (or would have been)."""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


async def check_provider(
    spec: ProviderSpec, config: Config, *, today: date | None = None
) -> CheckResult:
    """Check ``spec``'s credentials and plan with one request; never raises a provider error."""
    today = today or datetime.now(UTC).date()
    request, probe = _probe(spec, config, today)

    def result(outcome: Outcome, message: str) -> CheckResult:
        return CheckResult(provider=spec.name, outcome=outcome, message=message, probe=probe)

    missing = spec.missing_credentials()
    if missing:
        return result("missing", f"{spec.name}: credentials missing; {missing_hint(missing)}")
    if request is None:
        return result("failed", f"{spec.name} has neither history nor search to check with")
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            found = await request()
    except ImportError:
        hint = f"pip install 'mdc[{spec.extra}]'" if spec.extra else "reinstall mdc"
        return result("no_extra", f"{spec.name}: its optional package is missing; {hint}")
    except NotInPlan as exc:
        return result("not_in_plan", str(exc))
    except CredentialsError as exc:
        hint = " or ".join(f"`mdc credentials set {name}`" for name in spec.credentials)
        return result("bad_key", f"{exc}; store a valid key with {hint}" if hint else str(exc))
    except RateLimited as exc:
        return result("rate_limited", f"{exc}; the key was accepted, try again later")
    except TimeoutError:  # before OSError, of which it is a subclass
        return result(
            "unreachable",
            f"{spec.name}: no answer within {CHECK_TIMEOUT_S:g} s; check the network, proxy or "
            f"[providers.{spec.name}] URLs",
        )
    except (Unreachable, httpx.TransportError, OSError) as exc:
        return result("unreachable", str(exc) or type(exc).__name__)
    except ProviderError as exc:
        return result("failed", str(exc))
    return result("ok", f"{spec.name}: ok ({probe}: {found})")


def _probe(
    spec: ProviderSpec, config: Config, today: date
) -> tuple[Callable[[], Awaitable[str]] | None, str]:
    """The cheapest authenticated request of ``spec`` and its description."""
    if (historical := spec.historical) is not None:
        start = today - timedelta(days=PROBE_DAYS)
        probe = f"daily bars of {PROBE_SYMBOL} {start.isoformat()}..{today.isoformat()}"

        async def bars() -> str:
            provider: HistoricalProvider = load_class(historical)(config)
            async with provider:
                pages = provider.bars(PROBE_SYMBOL, start, today, "1d")
                page: list[Bar] = await anext(pages, [])
            return f"{len(page)} bars"

        return bars, probe
    if spec.search is not None:
        probe = f"symbol search for {PROBE_SYMBOL!r}"

        async def search() -> str:
            provider = open_search(config, spec.name)
            try:
                return f"{len(await provider.search(PROBE_SYMBOL, limit=1))} matches"
            finally:
                await provider.aclose()

        return search, probe
    return None, "none"
