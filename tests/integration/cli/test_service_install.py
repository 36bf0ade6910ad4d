"""``mdc service install``: the unit passes ``systemd-analyze verify``, the environment file is
0600 and kept; a real ``mdc collect`` speaks the sd_notify protocol to a test socket and writes
its log file."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

MDC = [sys.executable, "-m", "mdc.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MDC, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or dict(os.environ),
        check=False,
    )


def test_printed_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd"
    config = tmp_path / "mdc.toml"
    config.write_text(f'[storage]\nroot = "{tmp_path / "data"}"\n')
    done = run("service", "install", "--print", "--config", str(config))
    assert done.returncode == 0, done.stderr
    unit = tmp_path / "mdc.service"
    unit.write_text(done.stdout)
    lines = done.stdout.splitlines()
    for expected in (
        "Type=notify",
        f"ExecStart={sys.executable} -m mdc.cli collect --config {config}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "WatchdogSec=30",
        "EnvironmentFile=-/etc/mdc/mdc.env",
        "MemoryMax=4G",
        "LimitNOFILE=65536",
        "WantedBy=multi-user.target",
    ):
        assert expected in lines, expected
    verify = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "mdc.service" not in verify.stderr  # no warning about our unit


def test_user_install_writes_unit_and_a_private_env_file_once(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "POLYGON_API_KEY": "pk_x1"}
    done = run("service", "install", "--user", env=env)
    assert done.returncode == 0, done.stderr
    unit = tmp_path / "xdg" / "systemd" / "user" / "mdc.service"
    secrets = tmp_path / "xdg" / "mdc" / "mdc.env"
    assert "WantedBy=default.target" in unit.read_text().splitlines()
    assert f"EnvironmentFile=-{secrets}" in unit.read_text().splitlines()
    assert "User=" not in unit.read_text()
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    text = secrets.read_text()
    assert "# POLYGON_API_KEY=\n" in text and "pk_x1" not in text  # names, never values
    secrets.write_text("POLYGON_API_KEY=typed-by-the-operator\n")
    again = run("service", "install", "--user", env=env)
    assert again.returncode == 0, again.stderr
    assert secrets.read_text() == "POLYGON_API_KEY=typed-by-the-operator\n"


def test_collect_sends_ready_watchdog_and_stopping(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(30)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
        log = tmp_path / "mdc.log"
        env |= {
            "NOTIFY_SOCKET": str(path),
            "WATCHDOG_USEC": "200000",
            "MDC_LOGGING__FILE": str(log),
        }
        proc = subprocess.Popen(
            [*MDC, "collect", "--no-http", "--data", str(tmp_path / "data")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = sock.recv(4096).decode().split("\n")
            assert ready == ["READY=1", "STATUS=collecting 3 symbols", f"MAINPID={proc.pid}"]
            pings = [sock.recv(4096).decode() for _ in range(3)]
            assert pings == ["WATCHDOG=1"] * 3
            proc.send_signal(signal.SIGTERM)
            while (message := sock.recv(4096).decode()) == "WATCHDOG=1":
                pass
            assert message.split("\n") == [
                "STOPPING=1",
                "STATUS=draining and closing the archive",
            ]
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    logged = log.read_text()  # file logging (rotated by size) holds what stderr showed
    assert "events stored" in logged and logged.splitlines() == stderr.splitlines()
