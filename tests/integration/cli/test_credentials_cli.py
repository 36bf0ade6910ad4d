"""``mdc credentials`` as a user runs it, against a real file keyring in a temporary home."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.cli import run_mdc

SECRET = "pk-do-not-print-7f3a"


def mdc(
    home: Path, *args: str, stdin: str = "", backend: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYGON")}
    env["XDG_DATA_HOME"] = str(home)
    env["COLUMNS"] = "200"  # rich tables unwrapped
    env["PYTHON_KEYRING_BACKEND"] = backend or "keyrings.alt.file.PlaintextKeyring"
    return run_mdc(*args, env=env, stdin=stdin, timeout=60)


def test_set_list_use_and_delete_a_key(tmp_path: Path) -> None:
    listed = mdc(tmp_path, "credentials")
    assert listed.returncode == 0, listed.stderr
    assert "POLYGON_API_KEY" in listed.stdout and "missing" in listed.stdout

    stored = mdc(tmp_path, "credentials", "set", "POLYGON_API_KEY", stdin=SECRET + "\n")
    assert stored.returncode == 0, stored.stderr
    assert "stored in the OS keyring" in stored.stdout

    for args in (("credentials",), ("providers",), ("providers", "show", "polygon")):
        done = mdc(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert SECRET not in done.stdout + done.stderr
    assert "keyring" in mdc(tmp_path, "credentials").stdout
    assert (
        "credentials: set (POLYGON_API_KEY)" in mdc(tmp_path, "providers", "show", "polygon").stdout
    )

    deleted = mdc(tmp_path, "credentials", "delete", "POLYGON_API_KEY")
    assert deleted.returncode == 0 and "removed from the OS keyring" in deleted.stdout
    assert "missing: POLYGON_API_KEY" in mdc(tmp_path, "providers", "show", "polygon").stdout


def test_bad_names_empty_values_and_no_keyring_are_usage_errors(tmp_path: Path) -> None:
    unknown = mdc(tmp_path, "credentials", "set", "NOT_A_KEY", stdin="x\n")
    assert unknown.returncode == 2 and "unknown credential 'NOT_A_KEY'" in unknown.stderr
    empty = mdc(tmp_path, "credentials", "set", "POLYGON_API_KEY", stdin="\n")
    assert empty.returncode == 2 and "empty value" in empty.stderr
    none = mdc(
        tmp_path,
        "credentials",
        "set",
        "POLYGON_API_KEY",
        stdin="x\n",
        backend="keyring.backends.fail.Keyring",
    )
    assert none.returncode == 2 and "no OS keyring backend" in none.stderr
