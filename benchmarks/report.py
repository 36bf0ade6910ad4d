"""Machine facts, memory readings and the BENCHMARKS.md writer.

The file has one section per kind of run (throughput, soak) between marker comments; a run
rewrites its own section and keeps the others, so ``make bench`` does not erase the last soak.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import msgspec

TITLE: Final = """# Benchmarks

Written by `benchmarks/run.py` (`make bench`; `python benchmarks/run.py --soak SECONDS` for the
memory soak). Frames come from the simulated provider's wire format and go through the real
code. Machines here are shared and noisy: compare the ratios to the decode-only floor measured
in the same run rather than absolute figures across runs.
"""


COPY_BYTES: Final = 64 * 2**20


def copy_gb_s(repeats: int = 5) -> float:
    """Memory copy bandwidth now (best of ``repeats`` copies of 64 MB): the writing stages move
    every event's bytes several times, and this VM's bandwidth varies severalfold between days,
    so it tells which absolute figures are comparable."""
    src = bytes(COPY_BYTES)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        bytearray(src)
        best = min(best, time.perf_counter() - start)
    return COPY_BYTES / best / 1e9


def machine() -> str:
    """One line: date, CPU model and cores, memory copy bandwidth, Python, msgspec, commit."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{date} · {cpu}, {os.cpu_count()} cores · memory copy {copy_gb_s():.1f} GB/s · "
        f"Python {platform.python_version()} "
        f"({platform.python_implementation()}) · msgspec {msgspec.__version__} · "
        f"{platform.system()} {platform.release()} · commit {commit()}"
    )


def commit() -> str:
    """The checkout's short commit id ("unknown" outside git)."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def rss_mb() -> float:
    """Resident memory now."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Highest resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write(path: Path, name: str, body: str) -> None:
    """Replace section ``name`` of the file at ``path`` with ``body`` (appended when new);
    everything else in the file, other sections and hand-written notes, is kept."""
    block = f"<!-- begin:{name} -->\n{body.rstrip()}\n<!-- end:{name} -->\n"
    text = path.read_text() if path.exists() else TITLE
    section = re.compile(rf"<!-- begin:{name} -->\n.*?<!-- end:{name} -->\n", re.DOTALL)
    if section.search(text):
        text = section.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def table(header: list[str], rows: list[list[str]]) -> str:
    align = "|---|" + "---:|" * (len(header) - 1)  # numbers right-aligned
    lines = ["| " + " | ".join(header) + " |", align]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def rate(value: float) -> str:
    return f"{value:,.0f}"


def stage_table(
    results: dict[tuple[str, str, str], dict[str, float]],
    mixes: list[str],
    jobs: list[tuple[str, str]],
    counted: bool,
) -> str:
    """Rows of (mix, stage, path): ns/event, events/s and × the mix's floor (the ``floor``
    stage of the ``python`` path), with callgrind ``ir`` per event when ``counted``; "" when
    nothing was measured."""
    header = ["mix", "stage", "path", "ns/event", "events/s", "× floor"]
    if counted:
        header.append("instructions/event")
    rows = []
    for mix in mixes if results else ():
        floor = results[(mix, "floor", "python")]
        floor_ns = floor["seconds"] / floor["events"] * 1e9
        for stage, path in jobs:
            r = results[(mix, stage, path)]
            ns = r["seconds"] / r["events"] * 1e9
            row = [mix, stage, "—" if stage == "floor" else path, f"{ns:,.0f}"]
            row += [f"{1e9 / ns:,.0f}", f"{floor_ns / ns:.2f}"]
            if counted:
                row.append(f"{r['ir']:,.0f}" if "ir" in r else "—")
            rows.append(row)
    return table(header, rows) if rows else ""
