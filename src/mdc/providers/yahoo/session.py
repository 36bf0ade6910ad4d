"""Yahoo's cookie + crumb handshake, the consent form on the way, and what "blocked" looks like.

Yahoo's chart API answers only a client that holds Yahoo's session cookie (``A3``, set by any
response of ``https://fc.yahoo.com``, or after the cookie-consent form where the GDPR applies)
and passes the matching crumb (the text body of ``/v1/test/getcrumb``) as the ``crumb`` query
parameter. A stale crumb is an HTTP 401 ``Invalid Crumb``: the handshake is done once more and
the request repeated once. An HTTP 429 (or 403) from Yahoo is not a quota: it refuses clients it
takes for bots, so it is reported as "Yahoo blocked this client" with what to do.

Sources, read 2026-12-02: yfinance ``yfinance/data.py`` (https://github.com/ranaroussi/yfinance,
``_get_cookie_basic``, ``_get_crumb_basic``, ``_accept_consent_form``; commit 93eb4c2 of
2026-08-13) for the hosts, the ``crumb`` parameter, the consent form fields (``csrfToken``,
``sessionId``, an ``agree`` button) and the 429-as-block behaviour; Yahoo documents none of it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin

import httpx

from mdc.providers.base import CredentialsError, ProviderError
from mdc.providers.rest import RestClient
from mdc.providers.yahoo.config import YahooConfig

BLOCK_STATUSES: Final = frozenset({403, 429})
MAX_CRUMB_CHARS: Final = 64
CONSENT_FIELDS: Final = ("csrftoken", "sessionid")


class Blocked(CredentialsError):
    """Yahoo refuses this client (HTTP 429/403, or no crumb): like a rejected key, retrying
    the same way will not help, so a failover chain moves on."""


class StaleCrumb(ProviderError):
    """HTTP 401 on a data request: the crumb (or its cookie) is no longer accepted."""


def blocked_message(what: str, browser_tls: bool) -> str:
    """The one-line "Yahoo blocked this client" message with the fix that applies."""
    if browser_tls:
        fix = (
            "it already uses browser TLS (curl_cffi); try again later or from another network, "
            "or use another provider"
        )
    else:
        fix = "install mdc[yahoo] (curl_cffi, browser TLS) or use another provider"
    return f"yahoo: Yahoo blocked this client ({what}); {fix}"


class _ConsentForm(HTMLParser):
    """The first ``<form>`` of a consent page: its action and the fields to send back."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done:
            self._in_form = True
            self.action = attr.get("action", "")
        elif self._in_form and tag in ("input", "button") and attr.get("name"):
            name = attr["name"]
            kind = attr.get("type", "submit" if tag == "button" else "text").lower()
            agree = "agree" in name.lower() or "accept" in name.lower()
            if kind in ("checkbox", "radio", "submit") and not (agree or "checked" in attr):
                return
            self.fields[name] = attr.get("value") or ("1" if agree else "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def consent_form(response: httpx.Response) -> tuple[str, dict[str, str]] | None:
    """``(action URL, fields)`` when ``response`` is Yahoo's consent page, else ``None``."""
    if "html" not in response.headers.get("content-type", ""):
        return None
    parser = _ConsentForm()
    parser.feed(response.text)
    names = {name.lower() for name in parser.fields}
    if parser.action is None or not all(field in names for field in CONSENT_FIELDS):
        return None
    fields = dict(parser.fields)
    if not any("agree" in n or "accept" in n for n in names):
        fields["agree"] = "agree"
    return urljoin(str(response.url), parser.action), fields


class CrumbSession:
    """Holds the crumb for one client; the cookie lives in the client's cookie jar."""

    def __init__(self, client: RestClient, settings: YahooConfig, *, browser_tls: bool) -> None:
        self.client = client
        self.settings = settings
        self.browser_tls = browser_tls
        self.crumb: str | None = None
        self.handshakes = 0

    async def current(self) -> str:
        """The crumb, fetched on first use."""
        if self.crumb is None:
            await self.refresh()
        assert self.crumb is not None
        return self.crumb

    async def refresh(self) -> str:
        """Cookie (through the consent form if Yahoo shows one), then a new crumb."""
        self.crumb = None
        self.handshakes += 1
        cookie = await self.client.send("GET", self.settings.cookie_url, endpoint="handshake")
        self._raise_if_blocked(cookie, "the cookie request")
        form = consent_form(cookie)
        if form is not None:
            action, fields = form
            agreed = await self.client.send(
                "POST",
                action,
                data=fields,
                headers={"Referer": str(cookie.url)},
                endpoint="handshake",
            )
            self._raise_if_blocked(agreed, "the consent form")
        url = self.settings.base_url.rstrip("/") + self.settings.crumb_path
        answer = await self.client.send("GET", url, endpoint="handshake")
        self._raise_if_blocked(answer, "the crumb request")
        crumb = answer.text.strip()
        if answer.status_code != 200 or not crumb or "<" in crumb or len(crumb) > MAX_CRUMB_CHARS:
            shown = " ".join(crumb.split())[:60]
            raise self.blocked(
                f"no crumb from {self.settings.crumb_path}: HTTP {answer.status_code} {shown!r}"
            )
        self.client.add_secret(crumb)  # a session token: kept out of logs like a key
        self.crumb = crumb
        return crumb

    def blocked(self, what: str) -> Blocked:
        return Blocked(self.client.redact(blocked_message(what, self.browser_tls)))

    def _raise_if_blocked(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status in BLOCK_STATUSES or "too many requests" in response.text[:200].lower():
            raise self.blocked(f"HTTP {status} on {what}")
