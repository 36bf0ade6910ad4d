"""System binaries the tests drive (chromium, promtool): installed by .ci/run in CI."""

from __future__ import annotations

import shutil

import pytest


def require(name: str, package: str) -> str:
    """The binary's path; a missing one fails the test with the package that provides it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install the Debian package {package} (.ci/run does)")
    return path
