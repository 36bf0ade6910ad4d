"""Which implementation of a hot path runs: its compiled kernel or its Python reference.

A kernel is a Cython module built from a ``.pyx`` file beside the Python module it speeds up
(``setup.py`` compiles every one it finds). The Python module stays the reference: it defines the
rules, handles what the kernel hands back, and runs alone when the kernel was not built (no C
compiler at install time) or when ``MDC_PURE_PYTHON=1`` is set. Differential tests hold the two
identical; ``status()`` tells ``mdc doctor`` and ``/metrics`` which one each path uses.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
from pathlib import Path
from types import ModuleType

PURE_ENV = "MDC_PURE_PYTHON"
PACKAGE_DIR = Path(__file__).resolve().parents[1]

_loaded: dict[str, bool] = {}


def pure_python() -> bool:
    """True when ``MDC_PURE_PYTHON`` asks for the Python reference everywhere."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def load(module: str) -> ModuleType | None:
    """The compiled ``module``, or None when it is not built or the Python path is forced."""
    kernel: ModuleType | None = None
    if not pure_python():
        try:
            kernel = importlib.import_module(module)
        except ImportError:
            kernel = None
    _loaded[module] = kernel is not None
    return kernel


def status() -> dict[str, bool]:
    """Every kernel asked for so far, and whether its compiled code is the one running."""
    return dict(_loaded)


def kernels(package_dir: Path = PACKAGE_DIR) -> dict[str, bool]:
    """Every kernel of this install (a ``.pyx`` source or a compiled module under ``mdc/``) and
    whether it is compiled: a source without its module means the build fell back to Python."""
    found: dict[str, bool] = {}
    root = package_dir.parent
    for path in package_dir.rglob("*.pyx"):
        found.setdefault(_module(path.with_suffix(""), root), False)
    suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
    for path in package_dir.rglob("*.*"):
        suffix = next((s for s in suffixes if path.name.endswith(s)), None)
        if suffix is not None:  # the longest: "k.cpython-311-x86_64-linux-gnu.so" is k, not …so
            found[_module(path.with_name(path.name.removesuffix(suffix)), root)] = True
    return dict(sorted(found.items()))


def _module(stem: Path, root: Path) -> str:
    return ".".join(stem.relative_to(root).parts)
