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


def test_kernels_lists_sources_and_compiled_modules(tmp_path: Path) -> None:
    package = tmp_path / "mdc"
    (package / "feed").mkdir(parents=True)
    (package / "feed" / "kernel.pyx").write_text("")
    (package / "book.pyx").write_text("")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (package / "feed" / f"kernel{suffix}").write_bytes(b"")
    assert native.kernels(package) == {"mdc.book": False, "mdc.feed.kernel": True}


def test_doctor_warns_about_a_kernel_that_fell_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from mdc.monitoring.preflight import compiled_kernels

    monkeypatch.delenv(native.PURE_ENV, raising=False)
    built = compiled_kernels({"mdc.a.kernel": True})
    assert (built.level, built.detail) == ("ok", "1 compiled: mdc.a.kernel")
    fell_back = compiled_kernels({"mdc.a.kernel": True, "mdc.b.kernel": False})
    assert fell_back.level == "warn"
    assert fell_back.detail.startswith("not compiled: mdc.b.kernel (their Python path runs")
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert compiled_kernels({"mdc.a.kernel": True}).level == "warn"
