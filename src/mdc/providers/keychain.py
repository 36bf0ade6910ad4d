"""The OS keyring as the second place credentials are looked up, after the environment.

Keys live under the service name ``mdc`` with the environment variable's name as the user
(``ALPACA_KEY_ID``…), so ``mdc credentials set ALPACA_KEY_ID`` stores what the variable would
hold. Uses the ``keyring`` package (the ``mdc[keyring]`` extra: macOS Keychain, Windows
Credential Locker, Secret Service on Linux desktops). Without the package, or where it finds
no usable backend (a headless server), lookups find nothing and storing raises
:class:`KeychainUnavailable` saying why. The ``keyrings.alt`` backends (files, some of them plain
text) are used only when chosen explicitly with ``PYTHON_KEYRING_BACKEND``: a machine whose only
backend is one of them gets no silent plain-text secret store.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType
from typing import Final

SERVICE: Final = "mdc"
CHOSEN_BACKEND_ENV: Final = "PYTHON_KEYRING_BACKEND"
"""keyring's own variable naming the backend class to use."""

log = logging.getLogger(__name__)


class KeychainUnavailable(RuntimeError):
    """No OS keyring can be used here (the message says why and what to do)."""


def _keyring() -> ModuleType:
    """The ``keyring`` module with a usable backend, or :class:`KeychainUnavailable`."""
    try:
        keyring = importlib.import_module("keyring")
    except ImportError as exc:
        raise KeychainUnavailable(
            "the OS keyring needs the keyring package: pip install 'mdc[keyring]'"
        ) from exc
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module == "keyring.backends.fail":
        raise KeychainUnavailable(
            "no OS keyring backend is available here (headless Linux has no Secret Service); "
            "use environment variables instead"
        )
    if module.startswith("keyrings.alt") and not os.environ.get(CHOSEN_BACKEND_ENV):
        raise KeychainUnavailable(
            f"the only keyring backend here is {module}.{type(backend).__name__}, a file that "
            f"may hold secrets unencrypted; set {CHOSEN_BACKEND_ENV} to use it anyway, or use "
            "environment variables"
        )
    return keyring


def backend_name() -> str:
    """Which keyring would be used, e.g. ``SecretService Keyring`` (for ``mdc credentials``)."""
    backend = _keyring().get_keyring()
    return str(getattr(backend, "name", type(backend).__name__))


def get(name: str) -> str | None:
    """The stored value of ``name``; ``None`` when it is not stored or no keyring is usable."""
    try:
        keyring = _keyring()
        value = keyring.get_password(SERVICE, name)
    except KeychainUnavailable:
        return None
    except Exception as exc:  # a locked or broken keyring must not stop the collector
        log.warning("OS keyring lookup of %s failed: %s", name, type(exc).__name__)
        return None
    return value if isinstance(value, str) and value else None


def store(name: str, value: str) -> None:
    """Keep ``value`` as ``name`` in the OS keyring (replacing what was there)."""
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, name, value)
    except Exception as exc:
        raise KeychainUnavailable(f"the OS keyring refused to store {name}: {exc}") from exc


def delete(name: str) -> bool:
    """Remove ``name``; False when it was not stored."""
    keyring = _keyring()
    errors = importlib.import_module("keyring.errors")
    try:
        keyring.delete_password(SERVICE, name)
    except errors.PasswordDeleteError:
        return False
    return True
