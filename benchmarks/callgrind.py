"""Instruction counts under valgrind's callgrind: the benchmarks' figure that machine load does
not change (the same binary, input and environment give the same total)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def command(out_file: Path) -> list[str]:
    """The prefix that runs a command under callgrind, its counts written to ``out_file``."""
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]


def total(path: Path) -> int:
    """The ``totals:`` (or ``summary:``) instruction count of a callgrind output file."""
    for line in path.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {path}")


def child(
    cmd: list[str], env: dict[str, str], out_file: Path, counted: bool, what: str
) -> dict[str, float]:
    """Run a benchmark child (under callgrind when ``counted``): the JSON object its last
    output line prints, with ``instructions`` added when counted."""
    if counted:
        cmd = [*command(out_file), *cmd]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if counted:
        result["instructions"] = total(out_file)
        out_file.unlink()
    return result
