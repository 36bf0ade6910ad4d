"""Build the optional compiled kernels beside the pure-Python package.

Every ``src/mdc/**/*.pyx`` is a Cython kernel for a hot path whose Python module stays the
reference and the fallback (``mdc.domain.native``). The build is optional by design: without a C
compiler, or with ``MDC_PURE_PYTHON=1`` set at install time, each kernel that cannot be built is
reported once and the install goes on pure-Python. Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import ClassVar

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent
PURE = os.environ.get("MDC_PURE_PYTHON", "") not in ("", "0")


def kernels() -> list[Extension]:
    """One extension per .pyx file under src/mdc, named by its module path."""
    if PURE:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("mdc: Cython is not installed; installing the pure-Python package", file=sys.stderr)
        return []
    sources = sorted((ROOT / "src").rglob("*.pyx"))
    # Kernels must compute the floats Python does: no fused multiply-adds (aarch64 compilers
    # contract a * b + c into one by default, which rounds once instead of twice).
    flags = ["-ffp-contract=off"] if os.name == "posix" else []
    extensions = [
        Extension(
            ".".join(path.relative_to(ROOT / "src").with_suffix("").parts),
            [str(path.relative_to(ROOT))],
            extra_compile_args=flags,
        )
        for path in sources
    ]
    return cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
        quiet=True,
    )


class OptionalBuildExt(build_ext):
    """A kernel that fails to compile leaves its Python reference in charge, with one warning."""

    failed: ClassVar[list[str]] = []

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all, or the copy of a kernel that failed
            if not self.failed:
                self._fallback("the kernels", exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self.failed.append(ext.name)
            self._fallback(ext.name, exc)

    @staticmethod
    def _fallback(what: str, exc: Exception) -> None:
        print(f"mdc: could not compile {what} ({exc}); its pure-Python path runs", file=sys.stderr)


setup(ext_modules=kernels(), cmdclass={"build_ext": OptionalBuildExt})
