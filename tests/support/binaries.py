"""System binaries the tests drive (chromium, promtool): installed by .ci/run in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require(name: str, package: str) -> str:
    """The binary's path; outside CI a missing one skips with the reason, in CI it fails."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found (Debian package {package}; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
