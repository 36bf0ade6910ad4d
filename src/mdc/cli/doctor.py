"""``mdc doctor``: preflight checks (``monitoring/preflight.py``), and ``--bundle out.zip`` for
a bug report: the checks, the config with secrets redacted, versions, the running collector's
status and metrics, and the tail of the log files given with ``--log``.

Every file of the bundle passes through the same redaction as the HTTP API (every credential
value the process can see, the API key, config values under secret-looking keys), so a key
pasted into a log line does not leave the machine either.
"""

from __future__ import annotations

import os
import platform
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Annotated, Final

import httpx
import msgspec
import typer

from mdc import __version__
from mdc.cli.common import EXIT_FAILURE, ConfigOption, config_file, console, fail
from mdc.cli.remote import TIMEOUT_S, CollectorUnavailable, UrlOption, collector_url, get_json
from mdc.config import Config, ConfigError, load_config, to_dict
from mdc.config.load import ENV_PREFIX
from mdc.monitoring.preflight import Finding, run_checks
from mdc.providers.credentials import lookup
from mdc.providers.registry import all_specs
from mdc.web.responses import Redactor, secrets_of
from mdc.web.security import HEADER

LOG_TAIL_BYTES: Final = 1024 * 1024
PACKAGES: Final = (
    "msgspec",
    "pyarrow",
    "duckdb",
    "fastapi",
    "uvicorn",
    "httpx",
    "websockets",
    "typer",
    "prometheus-client",
    "exchange-calendars",
    "zstandard",
    "ib-async",
    "ccxt",
)
MARKS: Final = {"ok": "[green]ok[/]  ", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


def doctor(
    config_path: ConfigOption = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", metavar="OUT.zip", help="Also write a bug-report bundle."),
    ] = None,
    logs: Annotated[
        list[Path] | None,
        typer.Option(
            "--log",
            metavar="FILE",
            help="A log file to include (its last MiB). Default: logging.file, if set.",
        ),
    ] = None,
    time_url: Annotated[
        str | None,
        typer.Option(
            "--time-url",
            metavar="URL",
            help="Where to read the time for the clock check. Default: the first provider "
            "endpoint the config uses.",
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Check Python, config, credentials, permissions, disk, the HTTP port and the clock; one
    line each naming the fix. Exit 1 when a check fails."""
    try:
        config = load_config(config_file(config_path))
        broken = None
    except ConfigError as exc:  # a finding like any other; the rest runs on the defaults
        config = Config()
        broken = Finding(
            check="config", level="fail", detail=f"{exc} (the checks below use the defaults)"
        )
    findings = run_checks(config, time_url=time_url)
    if broken is not None:
        findings = [broken if f.check == "config" else f for f in findings]
    for f in findings:
        console.print(f"{MARKS[f.level]} {f.check:<12} {f.detail}", soft_wrap=True)
    if bundle is not None:
        own = Path(config.logging.file) if config.logging.file else None
        if not logs and own is not None and own.is_file():
            logs = [own]  # the collector's own log file (logging.file)
        write_bundle(bundle, config, config_path, findings, logs or [], url)
        console.print(f"wrote {bundle} (secrets redacted)", highlight=False)
    if any(f.level == "fail" for f in findings):
        raise typer.Exit(EXIT_FAILURE)


def write_bundle(
    out: Path,
    config: Config,
    config_path: Path | None,
    findings: list[Finding],
    logs: list[Path],
    url: str | None,
) -> None:
    secrets = secrets_of(config) + [
        v for spec in all_specs().values() for n in spec.credentials if (v := lookup(n))
    ]
    redact = Redactor(secrets)
    files: dict[str, bytes] = {
        "doctor.json": msgspec.json.format(msgspec.json.encode(findings)),
        "config.json": msgspec.json.format(msgspec.json.encode(to_dict(config))),
        "versions.json": msgspec.json.format(msgspec.json.encode(versions())),
        "environment.txt": environment().encode(),
    }
    source = config_file(config_path)
    if source is not None and source.is_file():
        files["config-file.toml"] = source.read_bytes()
    files.update(collector_files(config, url))
    for log in logs:
        try:
            with log.open("rb") as fh:
                fh.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
                files[f"logs/{log.name}"] = fh.read()
        except OSError as exc:
            fail(f"--log {log}: {exc.strerror or exc}", EXIT_FAILURE)
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, redact(data))
    except OSError as exc:
        fail(f"--bundle {out}: {exc.strerror or exc}", EXIT_FAILURE)


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {
        "mdc": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def environment() -> str:
    """Names only: which ``MDC_*`` and credential variables are set (never their values)."""
    names = {n for spec in all_specs().values() for n in spec.credentials}
    shown = sorted(n for n in os.environ if n.startswith(ENV_PREFIX) or n in names)
    return "".join(f"{n} is set\n" for n in shown) or "no MDC_* or credential variables set\n"


def collector_files(config: Config, url: str | None) -> dict[str, bytes]:
    """``status.json`` and ``metrics.txt`` of the running collector, or why there are none."""
    base = collector_url(config, url)
    try:
        status = get_json(base, "/status", config)
        headers = {HEADER: config.http.api_key} if config.http.api_key else {}
        metrics = httpx.get(f"{base}/metrics", headers=headers, timeout=TIMEOUT_S).content
    except (CollectorUnavailable, httpx.HTTPError) as exc:
        return {"collector.txt": f"no status or metrics: {exc}\n".encode()}
    return {
        "status.json": msgspec.json.format(msgspec.json.encode(status)),
        "metrics.txt": metrics,
    }
