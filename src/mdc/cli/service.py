"""``mdc service install [--user] [--print]``: run ``mdc collect`` under systemd.

The unit is ``Type=notify``: ``mdc collect`` sends ``READY=1`` once collecting, ``WATCHDOG=1``
at half of ``WatchdogSec``, ``STOPPING=1`` when it starts draining (``pipeline/notify.py``).
``systemctl reload`` sends SIGHUP, which reloads the config (docs/operating.md). Secrets live
in an ``EnvironmentFile`` created with mode 0600 (names only, commented; the values are typed
by the operator), never in the unit. Directives: systemd.service(5), systemd.exec(5),
systemd.resource-control(5) at https://www.freedesktop.org/software/systemd/man/latest/
(read 2026-12-03).
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated, Final

import typer

from mdc.cli.common import EXIT_FAILURE, ConfigOption, config_file, console, fail, load
from mdc.providers.registry import all_specs

app = typer.Typer(help="Run mdc collect as a systemd service.", no_args_is_help=True)

UNIT_NAME: Final = "mdc.service"
SYSTEM_UNIT_DIR: Final = Path("/etc/systemd/system")
SYSTEM_ENV_FILE: Final = Path("/etc/mdc/mdc.env")
WATCHDOG_S: Final = 30
STOP_TIMEOUT_S: Final = 120
"""The drain (flush, fsync, checkpoint) of a large archive may take a while."""
LIMITS: Final = {
    "LimitNOFILE": "65536",  # storage.max_open_files plus sockets
    "MemoryHigh": "3G",
    "MemoryMax": "4G",
    "TasksMax": "256",
}


def user_dirs() -> tuple[Path, Path]:
    """Where ``--user`` writes the unit and the environment file (XDG locations)."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "systemd" / "user", config_home / "mdc" / "mdc.env"


def unit_text(config: Path | None, env_file: Path, user: bool, workdir: Path) -> str:
    exec_start = f"{sys.executable} -m mdc.cli collect"
    if config is not None:
        exec_start += f" --config {config.absolute()}"
    lines = [
        "# Written by `mdc service install`; see docs/operating.md.",
        "[Unit]",
        "Description=Market Data Collector (mdc collect)",
        "Wants=network-online.target",
        "After=network-online.target",
        "StartLimitIntervalSec=600",
        "StartLimitBurst=10",
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={exec_start}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        f"WorkingDirectory={workdir.absolute()}",
        f"EnvironmentFile=-{env_file}",
        "Environment=PYTHONUNBUFFERED=1",
        "Restart=on-failure",
        "RestartSec=5",
        f"WatchdogSec={WATCHDOG_S}",
        f"TimeoutStopSec={STOP_TIMEOUT_S}",
        "KillSignal=SIGTERM",
        *(f"{k}={v}" for k, v in LIMITS.items()),
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
    ]
    if not user:
        lines.append(f"User={getpass.getuser()}")
    lines += ["", "[Install]", f"WantedBy={'default' if user else 'multi-user'}.target", ""]
    return "\n".join(lines)


def env_template() -> str:
    names = sorted({n for spec in all_specs().values() for n in spec.credentials})
    return (
        "# Secrets for mdc collect (mode 0600). Uncomment the ones your providers need.\n"
        "# MDC_API_KEY=\n" + "".join(f"# {n}=\n" for n in names)
    )


@app.command()
def install(
    config_path: ConfigOption = None,
    user: Annotated[
        bool, typer.Option("--user", help="A user unit in ~/.config/systemd/user.")
    ] = False,
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the unit; write nothing.")
    ] = False,
) -> None:
    """Write the systemd unit (and a 0600 environment file for secrets, if none exists)."""
    load(config_path)  # a bad config fails now, not at the first start under systemd
    unit_dir, env_file = user_dirs() if user else (SYSTEM_UNIT_DIR, SYSTEM_ENV_FILE)
    text = unit_text(config_file(config_path), env_file, user, Path.cwd())
    if print_only:
        console.out(text, end="", highlight=False)
        return
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        (unit_dir / UNIT_NAME).write_text(text, encoding="utf-8")
        env_file.parent.mkdir(parents=True, exist_ok=True)
        if not env_file.exists():
            fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(env_template())
        os.chmod(env_file, 0o600)
    except PermissionError as exc:
        hint = "run as root, or install a user unit with --user"
        fail(f"cannot write {exc.filename}: permission denied; {hint}", EXIT_FAILURE)
    ctl = "systemctl --user" if user else "systemctl"
    console.print(f"wrote {unit_dir / UNIT_NAME} and {env_file} (0600)", highlight=False)
    console.print(
        f"next: put secrets in {env_file}, then `{ctl} daemon-reload && {ctl} enable --now mdc`",
        highlight=False,
        soft_wrap=True,
    )
