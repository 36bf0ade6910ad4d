"""Run the ``mdc`` command as a user would: a subprocess, its output captured."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping


def run_mdc(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python -m mdc.cli ARGS`` (``env``: the whole environment, default ours)."""
    return subprocess.run(
        [sys.executable, "-m", "mdc.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
