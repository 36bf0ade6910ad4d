"""Instruction counts under valgrind's callgrind: the benchmarks' figure that machine load does
not change (the same binary, input and environment give the same total)."""

from __future__ import annotations

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
