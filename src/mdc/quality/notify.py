"""Delivering one alert notification to one target, in the target's documented format.

* generic ``webhook`` — our JSON (:meth:`Notification.to_dict`), POSTed as ``application/json``;
* ``slack`` — an incoming webhook takes ``{"text": …}`` (docs.slack.dev, "Incoming webhooks",
  read 2026-12-03);
* ``discord`` — "Execute Webhook" takes ``{"content": …}`` of at most 2000 characters, and
  ``username`` (discord.com/developers/docs/resources/webhook#execute-webhook, read 2026-12-03);
* ``email`` — a plain-text message over SMTP (STARTTLS and login when configured; the password
  is read from the environment variable the target names, never from the config file).

Target URLs hold secrets (a Slack webhook URL is its credential), so nothing here logs or
returns one: a target is named by its type and host.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import httpx

from mdc.config.schema import AlertTarget
from mdc.domain.time import iso

DISCORD_MAX: Final = 2000
TIMEOUT_S: Final = 10.0
SENDER_NAME: Final = "mdc"

State = Literal["firing", "resolved"]


class DeliveryError(RuntimeError):
    """A target refused or could not be reached; the message says which and why."""


@dataclass
class Notification:
    """One state change of one incident."""

    rule: str
    when: str
    subject: str
    state: State
    detail: str
    started_ns: int
    ts_ns: int
    resolved_ns: int | None = None
    delivered: dict[str, str] = field(default_factory=dict)
    """Target label → ``sent``, ``snoozed`` or the error."""

    @property
    def line(self) -> str:
        return f"[{self.state.upper()}] {self.rule}: {self.subject}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "when": self.when,
            "subject": self.subject,
            "state": self.state,
            "detail": self.detail,
            "started_at": iso(self.started_ns),
            "resolved_at": iso(self.resolved_ns) if self.resolved_ns is not None else None,
            "ts_ns": self.ts_ns,
            "delivered": dict(self.delivered),
            "source": SENDER_NAME,
        }


def label(target: AlertTarget) -> str:
    """How a target is named in status and logs (no URL path, no credentials)."""
    if target.type == "email":
        return f"email {target.smtp_host}:{target.smtp_port}"
    return f"{target.type} {urlsplit(target.webhook).netloc}"


def payload(target: AlertTarget, note: Notification) -> dict[str, Any]:
    """The JSON body a webhook-type target gets."""
    if target.type == "slack":
        return {"text": note.line}
    if target.type == "discord":
        return {"content": note.line[:DISCORD_MAX], "username": SENDER_NAME}
    return note.to_dict()


class Notifier:
    """Sends notifications; one HTTP client for all webhook targets."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client

    async def send(self, target: AlertTarget, note: Notification) -> None:
        if target.type == "email":
            await asyncio.to_thread(_mail, target, note)
            return
        client = self._client
        if client is None:
            client = self._client = httpx.AsyncClient(timeout=TIMEOUT_S)
        try:
            response = await client.post(target.webhook, json=payload(target, note))
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{label(target)}: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"{label(target)}: HTTP {response.status_code}")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _mail(target: AlertTarget, note: Notification) -> None:
    message = EmailMessage()
    message["Subject"] = f"[mdc] {note.state.upper()} {note.rule}: {note.subject}"
    message["From"] = target.mail_from
    message["To"] = ", ".join(target.mail_to)
    lines = [note.line, "", f"rule: {note.rule} ({note.when})", f"since: {iso(note.started_ns)}"]
    if note.resolved_ns is not None:
        lines.append(f"resolved: {iso(note.resolved_ns)}")
    message.set_content("\n".join(lines) + "\n")
    password = os.environ.get(target.password_env, "") if target.password_env else ""
    if target.username and not password:
        raise DeliveryError(f"{label(target)}: set ${target.password_env or 'password_env'}")
    try:
        with smtplib.SMTP(target.smtp_host, target.smtp_port, timeout=TIMEOUT_S) as smtp:
            if target.starttls:
                smtp.starttls()
            if target.username:
                smtp.login(target.username, password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{label(target)}: {type(exc).__name__}: {exc}") from None
