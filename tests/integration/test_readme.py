"""The README's commands run as written.

Every ```` ```console ```` block is a transcript: each ``$ command`` line runs in ``bash`` (in a
fresh directory, with the venv's ``bin`` first on ``PATH`` as after ``. .venv/bin/activate``)
and must print exactly the lines under it, exiting 2 when they end in an ``error:`` line and 0
otherwise. Commands in ```` ```sh ```` blocks need a network, credentials or run until Ctrl+C;
each ``mdc`` command among them must at least parse (every option and argument exists), and
each ``make`` target must exist. The ```` ```python ```` block runs against a real archive.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest
import typer

from mdc.cli.main import app

ROOT: Final = Path(__file__).resolve().parents[2]
README: Final = ROOT / "README.md"
BIN: Final = Path(sys.executable).parent
FENCE: Final = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(README.read_text("utf-8")) if kind == lang]


def transcript(block: str) -> list[tuple[str, list[str]]]:
    """``[(command, expected output lines)]`` of one console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before any command in a console block: {line!r}"
            steps[-1][1].append(line)
    return steps


def clean_env(home: Path) -> dict[str, str]:
    """A newcomer's shell: no MDC_* settings, no credentials, the venv activated."""
    keep = ("LANG", "LC_ALL", "TMPDIR", "PYTHON_KEYRING_BACKEND")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), PATH=f"{BIN}:/usr/local/bin:/usr/bin:/bin", COLUMNS="80")
    return env


def test_the_readme_has_transcripts_to_run() -> None:
    commands = [cmd for block in blocks("console") for cmd, _ in transcript(block)]
    assert "mdc --version" in commands
    assert "MDC_PIPELINE__CAPACITY=0 mdc config validate" in commands
    assert sum(cmd.startswith("mdc config validate") for cmd in commands) >= 2


@pytest.mark.parametrize("index", range(len(blocks("console"))))
def test_console_blocks_print_what_the_readme_says(index: int, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    for command, expected in transcript(blocks("console")[index]):
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # stderr comes first in each transcript (which config, then any error): compare as
        # the terminal shows a command whose stderr and stdout lines do not interleave.
        printed = done.stderr.splitlines() + done.stdout.splitlines()
        assert printed == expected, f"$ {command}\n{done.stderr}{done.stdout}"
        failing = bool(expected) and expected[-1].startswith("error:")
        assert done.returncode == (2 if failing else 0), f"$ {command}: exit {done.returncode}"


def sh_commands() -> list[str]:
    commands: list[str] = []
    for block in blocks("sh"):
        for line in block.splitlines():
            code = line.split("#", 1)[0].strip()
            if code:
                commands.append(code)
    return commands


def test_sh_blocks_name_real_targets_and_options() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.MULTILINE))
    command = typer.main.get_command(app)
    checked = 0
    for line in sh_commands():
        words = shlex.split(line)
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            words.pop(0)  # VAR=value before the command
        if not words or words[0] in ("export", "."):
            continue
        if words[0] == "make":
            assert words[1] in targets, f"{line}: no make target {words[1]!r}"
        else:
            assert words[0] == "mdc", f"unexpected command in the README: {line}"
            _parse(command, words[1:], line)
        checked += 1
    assert checked >= 7


def _parse(command: Any, args: list[str], line: str) -> None:
    """Parse ``args`` down the command tree without running anything (typer's commands are
    click commands, from the click copy typer ships)."""
    while hasattr(command, "list_commands"):  # a group
        ctx = command.make_context("mdc", [], resilient_parsing=True)
        _, rest, _ = command.make_parser(ctx).parse_args(list(args))
        assert rest, f"{line}: no command after {command.name!r}"
        sub = command.get_command(ctx, rest[0])
        assert sub is not None, f"{line}: no command {rest[0]!r}"
        command, args = sub, rest[1:]
    try:
        command.make_context(command.name, list(args))
    except Exception as exc:  # click's UsageError: a missing or unknown option or argument
        pytest.fail(f"{line}: {exc}")


def test_python_block_runs_against_a_collected_archive(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    collect = subprocess.run(
        ["mdc", "collect", "--no-http", "--duration", "2", "--symbols", "AAPL,SPY"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collect.returncode == 0, collect.stderr
    (code,) = blocks("python")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
