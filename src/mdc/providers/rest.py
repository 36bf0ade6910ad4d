"""The HTTP client every historical provider uses: rate limits, retries, clear errors, no leaks.

* Each attempt first takes a token from the shared :class:`~mdc.providers.ratelimit.RateLimiter`.
* 429, 408, 5xx, timeouts and connection failures are retried up to ``max_attempts`` with
  jittered exponential backoff; a ``Retry-After`` header (delta-seconds or HTTP-date, RFC 9110
  §10.2.3) replaces the backoff. A Retry-After beyond ``max_retry_after_s`` is not waited out:
  :class:`~mdc.providers.base.RateLimited` is raised at once so a failover chain can move on.
  Without Retry-After, a 429's ``X-Ratelimit-Reset`` (epoch seconds, as Alpaca and Finnhub send,
  https://forum.alpaca.markets/t/executing-orders/12029) gives the wait instead.
* 401/403 → ``CredentialsError`` naming the environment variables to check, 404 → ``NotFound``,
  other 4xx → ``ProviderError`` with the provider's own message; a body that does not decode →
  ``ProviderError`` saying what was expected and how the body starts.
* Secrets never leave: query parameters such as ``apiKey``/``token``/``apikey`` are masked in every
  URL that reaches a log line or an exception (httpx's own request log included), and credential
  values are masked wherever they might be echoed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, Final, TypeVar

import httpx
import msgspec
from msgspec import Meta

from mdc.config.load import ConfigError
from mdc.domain.backoff import backoff_delay
from mdc.domain.time import Sleep
from mdc.providers.base import (
    CredentialsError,
    NotFound,
    ProviderError,
    ProviderSpec,
    RateLimited,
    Unreachable,
)
from mdc.providers.credentials import read_credentials
from mdc.providers.ratelimit import ALL, RateLimiter, RateSpecError

T = TypeVar("T")
Params = Mapping[str, str | int | float]
"""Query parameters as providers build them."""

SECRET_PARAMS: Final = frozenset(
    {"apikey", "api_key", "token", "access_token", "key", "secret", "password", "api_token"}
)
MASK: Final = "****"
RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
SNIPPET_CHARS: Final = 160
UNREACHABLE_HINT: Final = (
    "check the network, proxy or firewall, or point providers.{provider} at a reachable host"
)
EPOCH_THRESHOLD_S: Final = 1_000_000_000.0
"""A reset header value above this is a Unix time, below it a number of seconds."""
DETAIL_KEYS: Final = (
    "message",
    "error",
    "Error Message",
    "detail",
    "description",
    "Note",
    "Information",
)
_SECRET_QUERY: Final = re.compile(
    r"(?P<key>[?&;](?:" + "|".join(sorted(SECRET_PARAMS)) + r")=)[^&#\s\"'<>]*",
    re.IGNORECASE,
)

log = logging.getLogger("mdc.providers.rest")


class RestSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ``[providers.<name>.rest]`` table: timeouts, retries and rate limits of one provider."""

    timeout_s: Annotated[float, Meta(gt=0)] = 30.0
    max_attempts: Annotated[int, Meta(ge=1, le=20)] = 5
    backoff_base_s: Annotated[float, Meta(ge=0)] = 0.5
    """First retry waits about this long; each further retry doubles it (with jitter)."""
    backoff_max_s: Annotated[float, Meta(ge=0)] = 30.0
    max_retry_after_s: Annotated[float, Meta(ge=0)] = 120.0
    """A Retry-After longer than this raises ``RateLimited`` instead of sleeping."""
    rate_limits: dict[str, str] = msgspec.field(default_factory=dict)
    """Endpoint → ``"<calls>/<period>[,…]"``; ``"all"`` applies to every request."""
    user_agent: str = "mdc/0.1 (market data collector)"


@dataclass
class RestStats:
    """Counters for ``/metrics`` and ``/status``."""

    requests: int = 0
    retries: int = 0
    retry_waited_s: float = 0.0
    last_retry_after_s: float | None = None
    errors: int = 0


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Mask secret query parameters in any URL inside ``text`` and every known secret value."""
    text = _SECRET_QUERY.sub(lambda m: m.group("key") + MASK, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); ``None`` if
    absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def parse_ratelimit_reset(value: str | None, now: float | None = None) -> float | None:
    """Seconds until an ``X-Ratelimit-Reset`` moment (epoch seconds; small values are deltas)."""
    if value is None:
        return None
    try:
        reset = float(value.strip())
    except ValueError:
        return None
    if reset < EPOCH_THRESHOLD_S:
        return max(0.0, reset)
    return max(0.0, reset - (time.time() if now is None else now))


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request URL at INFO; mask secret query parameters in those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(str(a)) if isinstance(a, httpx.URL | str) else a for a in record.args
            )
        return True


def _install_httpx_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactHttpxLog) for f in logger.filters):
        logger.addFilter(_RedactHttpxLog())


class RestClient:
    """One provider's HTTP session. ``get`` returns a 2xx response or raises a ``ProviderError``."""

    def __init__(
        self,
        provider: str,
        settings: RestSettings,
        limiter: RateLimiter,
        *,
        credential_env: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        classify: Callable[[httpx.Response], ProviderError | None] | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
    ) -> None:
        """``classify`` may turn a provider's own error codes (in a non-2xx body) into the
        matching error before the generic status handling applies; ``retry_statuses`` adds a
        venue's own back-off statuses (Binance's 418) to the retried ones."""
        self.provider = provider
        self._retry_statuses = retry_statuses
        self._classify = classify
        self.settings = settings
        self.stats = RestStats()
        self._limiter = limiter
        self._credential_env = tuple(credential_env)
        self._secrets: list[str] = []
        self._sleep = sleep
        self._rng = rng or random.Random()
        try:
            limiter.configure(provider, settings.rate_limits)
        except RateSpecError as exc:
            raise ConfigError(f"providers.{provider}.rest.rate_limits: {exc}") from None
        _install_httpx_log_filter()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_s),
            headers={"User-Agent": settings.user_agent, **(headers or {})},
            follow_redirects=True,
            transport=transport,
        )

    def add_secret(self, value: str) -> None:
        """A credential value to mask wherever it could appear (URLs, echoed bodies)."""
        if value and value not in self._secrets:
            self._secrets.append(value)

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def credential(self, spec: ProviderSpec, name: str) -> str:
        """The value of ``spec``'s credential ``name`` (a ``CredentialsError`` naming every
        missing one otherwise), masked from now on in every log line and error."""
        value = read_credentials(spec)[name].reveal()
        self.add_secret(value)
        return value

    async def get(
        self,
        url: str,
        params: Params | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        endpoint: str = ALL,
        weight: float = 1.0,
    ) -> httpx.Response:
        """GET with rate limiting and retries; the response is 2xx and fully read. ``weight``
        is what the request costs in the limiter's buckets."""
        return await self.request(
            "GET", url, params, headers=headers, endpoint=endpoint, weight=weight
        )

    async def post_json(
        self,
        url: str,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        endpoint: str = ALL,
    ) -> httpx.Response:
        """POST a JSON body (search and mapping APIs such as OpenFIGI's), with the same limits,
        retries and errors as :meth:`get`."""
        return await self.request("POST", url, None, json=body, headers=headers, endpoint=endpoint)

    async def request(
        self,
        method: str,
        url: str,
        params: Params | None = None,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        endpoint: str = ALL,
        weight: float = 1.0,
    ) -> httpx.Response:
        """One request with rate limiting and retries (what :meth:`get` and :meth:`post_json`
        share); 2xx or a ``ProviderError``."""
        full = httpx.URL(url).copy_merge_params(params) if params else httpx.URL(url)
        shown = self.redact(str(full))
        settings = self.settings
        attempt = 0
        while True:
            attempt += 1
            await self._limiter.acquire(self.provider, endpoint, weight)
            self.stats.requests += 1
            retry_after: float | None = None
            rate_limited = unreachable = timed_out = False
            try:
                response = await self._http.request(
                    method, url, params=params, json=json, headers=headers
                )
            except httpx.TimeoutException:
                problem = f"timed out after {settings.timeout_s:g} s"
                timed_out = True
            except httpx.TransportError as exc:
                host = f"{full.scheme}://{full.netloc.decode('ascii')}"
                problem = f"cannot reach {host} ({type(exc).__name__}: {self.redact(str(exc))})"
                unreachable = True
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return response
                detail = self.error_detail(response)
                special = self._classify(response) if self._classify else None
                if special is not None:
                    raise self._fail(special)
                if status in (401, 403):
                    raise self._fail(CredentialsError(self._credentials_message(status, detail)))
                if status == 404:
                    raise self._fail(
                        NotFound(f"{self.provider}: not found (HTTP 404) at {shown}{detail}")
                    )
                if status not in self._retry_statuses:
                    raise self._fail(
                        ProviderError(f"{self.provider}: HTTP {status} from {shown}{detail}")
                    )
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                rate_limited = status == 429
                if retry_after is None and rate_limited:
                    retry_after = parse_ratelimit_reset(response.headers.get("X-Ratelimit-Reset"))
                problem = f"HTTP {status}{detail}"
                if retry_after is not None and retry_after > settings.max_retry_after_s:
                    raise self._fail(
                        RateLimited(
                            f"{self.provider}: {problem}; asked to wait {retry_after:.0f} s, more "
                            f"than max_retry_after_s={settings.max_retry_after_s:g} ({shown})",
                            retry_after,
                        )
                    )
            if attempt >= settings.max_attempts:
                message = f"{self.provider}: {problem} after {attempt} attempts ({shown})"
                if unreachable:
                    message += f": {UNREACHABLE_HINT.format(provider=self.provider)}"
                error: ProviderError
                if rate_limited:
                    error = RateLimited(message, retry_after)
                elif unreachable or timed_out:
                    error = Unreachable(message)
                else:
                    error = ProviderError(message)
                raise self._fail(error)
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            log.warning(
                "%s: %s, retry %d/%d in %.2f s (%s)",
                self.provider,
                problem,
                attempt,
                settings.max_attempts - 1,
                delay,
                shown,
            )
            self.stats.retries += 1
            self.stats.retry_waited_s += delay
            self.stats.last_retry_after_s = retry_after
            await self._sleep(delay)

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        endpoint: str = ALL,
    ) -> httpx.Response:
        """One rate-limited request returned whatever its status, for handshakes (cookies,
        consent forms) whose statuses carry meaning; only an unreachable host raises."""
        await self._limiter.acquire(self.provider, endpoint)
        self.stats.requests += 1
        try:
            return await self._http.request(method, url, params=params, data=data, headers=headers)
        except httpx.TransportError as exc:
            full = httpx.URL(url)
            host = f"{full.scheme}://{full.netloc.decode('ascii')}"
            raise self._fail(
                Unreachable(
                    f"{self.provider}: cannot reach {host} ({type(exc).__name__}: "
                    f"{self.redact(str(exc))}): {UNREACHABLE_HINT.format(provider=self.provider)}"
                )
            ) from None

    def decode(
        self, response: httpx.Response, type_: type[T], what: str, *, strict: bool = True
    ) -> T:
        """Typed JSON decode; a body that does not match → ``ProviderError`` with context."""
        try:
            return msgspec.json.decode(response.content, type=type_, strict=strict)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise self.malformed(response, what, str(exc)) from None

    @contextmanager
    def reading(self, response: httpx.Response, what: str) -> Iterator[None]:
        """Turn a conversion error inside the block (bad timestamp, missing column …) into the
        same ``ProviderError`` as a body that did not decode."""
        try:
            yield
        except (ValueError, KeyError, IndexError, TypeError, ZeroDivisionError) as exc:
            raise self.malformed(response, what, f"{type(exc).__name__}: {exc}") from None

    def malformed(self, response: httpx.Response, what: str, why: str) -> ProviderError:
        """The error for a body that is not the documented ``what``."""
        shown = self.redact(str(response.request.url))
        snippet = " ".join(response.text[:SNIPPET_CHARS].split())
        return self._fail(
            ProviderError(
                f"{self.provider}: malformed {what} from {shown} (HTTP {response.status_code}): "
                f"{self.redact(why)}; body starts {self.redact(snippet)!r}"
            )
        )

    def error_detail(self, response: httpx.Response) -> str:
        """``": <the provider's own error message>"`` from a JSON or text error body, or ``""``."""
        text = response.text
        message: str | None = None
        try:
            message = _find_message(msgspec.json.decode(response.content))
        except msgspec.DecodeError:
            message = " ".join(text.split())[:SNIPPET_CHARS] or None
        return f": {self.redact(message)}" if message else ""

    async def aclose(self) -> None:
        await self._http.aclose()

    def _credentials_message(self, status: int, detail: str) -> str:
        what = "rejected the credentials or the plan does not include this data"
        hint = f"; check {', '.join(self._credential_env)}" if self._credential_env else ""
        return f"{self.provider}: HTTP {status}: {what}{detail}{hint}"

    def _backoff(self, attempt: int) -> float:
        settings = self.settings
        return backoff_delay(
            attempt, settings.backoff_base_s, settings.backoff_max_s, rng=self._rng.random
        )

    def _fail(self, error: ProviderError) -> ProviderError:
        self.stats.errors += 1
        log.debug("%s", error)
        return error


def _find_message(body: Any, depth: int = 0) -> str | None:
    """The first human-readable error message in a decoded JSON error body."""
    if depth > 3:
        return None
    if isinstance(body, str):
        return body or None
    if isinstance(body, dict):
        for key in DETAIL_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        for value in body.values():
            if isinstance(value, dict | list):
                found = _find_message(value, depth + 1)
                if found:
                    return found
    if isinstance(body, list):
        for item in body[:3]:
            found = _find_message(item, depth + 1)
            if found:
                return found
    return None
