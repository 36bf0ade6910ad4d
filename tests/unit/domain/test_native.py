"""The kernel loader: the compiled module when it is built, the Python reference otherwise."""

from __future__ import annotations

import importlib.machinery
import os
from pathlib import Path

import pytest

from mdc.domain import native

SRC = Path(__file__).resolve().parents[3] / "src"


def test_a_kernel_that_was_not_built_leaves_the_python_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    assert native.load("mdc.domain.no_such_kernel") is None
    assert native.status()["mdc.domain.no_such_kernel"] is False


def test_mdc_pure_python_forces_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert native.load("mdc.domain.time") is None
    monkeypatch.setenv(native.PURE_ENV, "0")
    assert native.load("mdc.domain.time") is not None
    assert native.status()["mdc.domain.time"] is True


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI builds every kernel")
def test_every_kernel_is_compiled_in_ci() -> None:
    """CI has a C compiler: a .pyx without its extension module means the build fell back."""
    missing = [
        str(pyx.relative_to(SRC))
        for pyx in SRC.rglob("*.pyx")
        if not any(
            pyx.with_suffix(suffix).exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES
        )
    ]
    assert missing == []
