"""``mdc quality report``: JSON on stdout, HTML to a file, usage errors that name the option."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.archive import write_archive
from tests.support.quality_day import faulty_week
from typer.testing import CliRunner

from mdc.cli.main import app

RANGE = ["--from", "2024-11-26", "--to", "2024-11-29", "--symbols", "AAPL"]


def test_json_report_on_stdout(tmp_path: Path) -> None:
    write_archive(tmp_path, faulty_week())
    result = CliRunner().invoke(
        app, ["quality", "report", *RANGE, "--format", "json", "-d", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["finding_counts"] == {"price_spike": 2, "crossed_quote": 2}
    assert [(d["day"], d["kind"], d["score"]) for d in body["days"] if d["kind"] == "trades"] == [
        ("2024-11-26", "trades", 94.7),
        ("2024-11-27", "trades", 0.0),
        ("2024-11-29", "trades", 100.0),
    ]
    (score,) = body["scores"]
    assert (score["symbol"], score["errors"], score["warnings"]) == ("AAPL", 4, 0)


def test_html_report_to_a_file(tmp_path: Path) -> None:
    write_archive(tmp_path / "data", faulty_week())
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        app, ["quality", "report", *RANGE, "-d", str(tmp_path / "data"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") == 2
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?https?:""", html)  # nothing to fetch


def test_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    no_out = runner.invoke(app, ["quality", "report", *RANGE, "-d", str(tmp_path)])
    assert no_out.exit_code == 2 and "--out: required" in no_out.output
    backwards = ["--from", "2024-11-29", "--to", "2024-11-26", "--format", "json"]
    bad = runner.invoke(app, ["quality", "report", *backwards, "-d", str(tmp_path)])
    assert bad.exit_code == 2 and "before --from" in bad.output
    day = runner.invoke(app, ["quality", "report", "--from", "26/11/2024", "--to", "x"])
    assert day.exit_code == 2 and "--from: expected a date YYYY-MM-DD" in day.output
