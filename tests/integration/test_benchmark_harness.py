"""The benchmark harness still runs (quick mode) and picks up stage modules by name."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
STAGES = [
    "decode (floor)",
    "decode + JSON encode",
    "parse",
    "collectors",
    "pipeline",
    "store append",
    "end to end",
    "end to end, steady",
]


def test_quick_run_reports_every_stage_for_both_mixes(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    text = output.read_text()
    assert text.startswith("# Benchmarks\n")
    assert "<!-- begin:throughput -->" in text and "<!-- end:throughput -->" in text
    assert "Python 3." in text and "cores" in text
    rows = {
        cells[0]: cells
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in text.splitlines())
        if cells[0] in STAGES
    }
    assert sorted(rows) == sorted(STAGES)
    for cells in rows.values():
        assert len(cells) == 7  # stage, then events/s, × floor, ns/event for each mix
        assert int(cells[1].replace(",", "")) > 0 and int(cells[4].replace(",", "")) > 0
    assert "| decode (floor) |" in text and "| 1.00 |" in text
    assert "peak RSS" in text


def test_quick_run_without_output_writes_nothing(tmp_path: Path) -> None:
    results = BENCHMARKS / "BENCHMARKS.md"
    before = results.read_bytes() if results.exists() else None
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--events", "2000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "| end to end |" in done.stdout
    assert (results.read_bytes() if results.exists() else None) == before


@pytest.fixture
def bench_modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The harness's modules importable by their plain names, and forgotten afterwards."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    loaded = set(sys.modules)
    yield
    for name in set(sys.modules) - loaded:
        if name in ("frames", "stages", "report", "soak") or name.startswith("bench_stage_"):
            del sys.modules[name]


def test_stage_modules_are_discovered_and_timed(tmp_path: Path, bench_modules: None) -> None:
    import frames
    import stages

    (tmp_path / "jsonl_stage.py").write_text(
        "from mdc.domain.events import encode_json\n"
        "def run(batches, tmp_dir):\n"
        "    with open(tmp_dir / 'events.jsonl', 'wb') as f:\n"
        "        for batch in batches:\n"
        "            f.write(encode_json(batch) + b'\\n')\n"
        "    return sum(len(b) for b in batches)\n"
    )
    (tmp_path / "notes.py").write_text("raise SystemExit('not a stage module')\n")
    (plugin,) = stages.plugin_stages(tmp_path)
    assert plugin.name == "jsonl"
    batches = stages.parse(frames.generate("book", 3000, 500, 4).frames)
    out = tmp_path / "out"
    out.mkdir()
    timing = stages.measure(lambda d: plugin.run(*d) or 0, lambda: (batches, out), 0.0, 1)
    assert timing.events == sum(len(b) for b in batches) >= 3000
    assert len((out / "events.jsonl").read_bytes().splitlines()) == len(batches)


def test_a_stage_module_without_run_is_an_error(tmp_path: Path, bench_modules: None) -> None:
    import stages

    (tmp_path / "broken_stage.py").write_text("def go(batches):\n    return 0\n")
    with pytest.raises(TypeError, match=r"broken_stage\.py: must define run\(batches, tmp_dir\)"):
        stages.plugin_stages(tmp_path)


def test_hotpath_bench_reports_raw_capture_and_accounting_rows(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "hotpath.py"), "--events", "3000", "--repeats", "1",
         "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = output.read_text()
    assert "<!-- begin:hotpath -->" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert [r.split(" | ")[0] for r in rows[1:]] == [
        "| decode (floor)",
        "| raw capture, 1,000-event frames",
        "| … CPU of the read loop's thread (1,000-event frames)",
        "| raw capture, 10-event frames",
        "| … CPU of the read loop's thread (10-event frames)",
        "| runtime + live view accounting",
    ]
    assert "| 1.00 |" in rows[1]
