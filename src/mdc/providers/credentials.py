"""Credentials from environment variables or the OS keyring, wrapped so they never leak into
logs or reprs.

Providers read keys only through :func:`read_credentials`: the environment variable first, then
the keyring entry of the same name (``mdc credentials set``). A missing one is a
:class:`~mdc.providers.base.CredentialsError` that names every variable to set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from mdc.providers import keychain
from mdc.providers.base import CredentialsError, ProviderSpec

MASKED: Final = "****"


class Secret:
    """A credential value: ``str()``/``repr()`` show ``****``; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASKED})"

    def __str__(self) -> str:
        return MASKED

    def __bool__(self) -> bool:
        return bool(self._value)


def read_credentials(spec: ProviderSpec, env: Mapping[str, str] | None = None) -> dict[str, Secret]:
    """Every name in ``spec.credentials``, or a clear error naming the missing ones."""
    env = os.environ if env is None else env
    found = {name: lookup(name, env) for name in spec.credentials}
    missing = [name for name, value in found.items() if value is None]
    if missing:
        raise CredentialsError(f"{spec.name}: credentials missing; {missing_hint(missing)}")
    return {name: Secret(value) for name, value in found.items() if value is not None}


def lookup(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The value of credential ``name``: the environment variable, else the keyring entry."""
    env = os.environ if env is None else env
    return env.get(name) or keychain.get(name)


def source(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """Where ``name`` is found (``"environment"``, ``"keyring"``), ``None`` when nowhere."""
    env = os.environ if env is None else env
    if env.get(name):
        return "environment"
    return "keyring" if keychain.get(name) is not None else None


def missing_hint(missing: list[str]) -> str:
    """What to do about missing credentials, naming each one."""
    plural = len(missing) > 1
    return (
        f"set the environment variable{'s' if plural else ''} {', '.join(missing)} "
        f"(or store {'them' if plural else 'it'} in the OS keyring: mdc credentials set NAME)"
    )
