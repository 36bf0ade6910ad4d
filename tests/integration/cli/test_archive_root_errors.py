"""An archive root that cannot be used (a file where the root should be, a damaged
``_mdc/layout.json``): every command says what is wrong and how to fix it, exits 2, and writes
no data."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tests.support.cli import run_mdc


def mdc(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
    return run_mdc(*args, env=env, timeout=60)


@pytest.mark.parametrize("below", [False, True], ids=["root", "parent"])
def test_a_data_root_that_is_a_file(tmp_path: Path, below: bool) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not an archive\n")
    root = blocker / "archive" if below else blocker
    done = mdc("collect", "--no-http", "--duration", "1", "--data", str(root))
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert f"{blocker} is a file, not a directory" in message
    assert "point storage.root (--data) at a directory" in message
    assert "File exists" not in message and "Traceback" not in message
    assert blocker.read_text() == "not an archive\n"


@pytest.mark.parametrize(
    "command",
    [["collect", "--no-http", "--duration", "1"], ["query", "select 1"]],
    ids=["collect", "query"],
)
def test_a_corrupt_layout_json(tmp_path: Path, command: list[str]) -> None:
    root = tmp_path / "data"
    (root / "_mdc").mkdir(parents=True)
    (root / "_mdc/layout.json").write_text('{"layout": "by_sym')
    done = mdc(*command, "--data", str(root))
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert f"{root / '_mdc/layout.json'} is unreadable" in message
    assert "restore it from a backup, or delete it" in message
    assert "Traceback" not in message
    assert {p.name for p in (root / "_mdc").iterdir()} <= {"LOCK", "layout.json"}
    assert (root / "_mdc/layout.json").read_text() == '{"layout": "by_sym'  # never guessed
