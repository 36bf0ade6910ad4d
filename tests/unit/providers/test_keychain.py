"""Credentials from the OS keyring: looked up after the environment, never shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from mdc.providers import keychain
from mdc.providers.base import CredentialsError
from mdc.providers.credentials import read_credentials, source
from mdc.providers.registry import get_spec


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real keyring backend (keyrings.alt's file) under ``tmp_path``."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.delenv("POLYGON_API_KEY", raising=False)
    before = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    yield tmp_path
    keyring.set_keyring(before)


def test_a_stored_key_is_found_after_the_environment(file_keyring: Path) -> None:
    spec = get_spec("polygon")
    assert spec.missing_credentials({}) == ["POLYGON_API_KEY"]
    keychain.store("POLYGON_API_KEY", "kr-secret")
    assert spec.missing_credentials({}) == []
    assert source("POLYGON_API_KEY", {}) == "keyring"
    assert read_credentials(spec, {})["POLYGON_API_KEY"].reveal() == "kr-secret"
    env = {"POLYGON_API_KEY": "env-secret"}
    assert source("POLYGON_API_KEY", env) == "environment"
    assert read_credentials(spec, env)["POLYGON_API_KEY"].reveal() == "env-secret"
    assert keychain.delete("POLYGON_API_KEY") is True
    assert keychain.delete("POLYGON_API_KEY") is False
    with pytest.raises(CredentialsError, match=r"POLYGON_API_KEY \(or store it in the OS keyring"):
        read_credentials(spec, {})


def test_without_a_usable_backend_lookups_find_nothing_and_storing_says_why() -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert keychain.get("POLYGON_API_KEY") is None
        with pytest.raises(keychain.KeychainUnavailable, match="no OS keyring backend"):
            keychain.store("POLYGON_API_KEY", "x")
    finally:
        keyring.set_keyring(before)


def test_a_file_backend_nobody_chose_is_not_used(
    file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keychain.store("POLYGON_API_KEY", "kr-secret")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    assert keychain.get("POLYGON_API_KEY") is None
    with pytest.raises(keychain.KeychainUnavailable, match="set PYTHON_KEYRING_BACKEND"):
        keychain.store("POLYGON_API_KEY", "x")
