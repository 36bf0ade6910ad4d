"""Credentials from environment variables, wrapped so they never leak into logs or reprs.

Providers read keys only through :func:`read_credentials`; a missing variable is a
:class:`~mdc.providers.base.CredentialsError` that names every variable to set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

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
    """Every variable in ``spec.credentials``, or a clear error naming the missing ones."""
    env = os.environ if env is None else env
    missing = spec.missing_credentials(env)
    if missing:
        raise CredentialsError(
            f"{spec.name}: credentials missing; set the environment variable(s) "
            f"{', '.join(missing)}"
        )
    return {name: Secret(env[name]) for name in spec.credentials}
