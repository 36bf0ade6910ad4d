"""The quality report as one self-contained HTML file: inline CSS and SVG, no script, nothing
fetched when it is opened."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Final

from mdc.domain.time import iso
from mdc.quality.plots import calendar_svg, timeline_svg
from mdc.quality.report import QualityReport

MAX_FINDINGS: Final = 500
"""Findings listed per symbol (the JSON form has all of them)."""

_CSS: Final = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #111827; }
h1 { font-size: 1.5rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d1d5db; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #e5e7eb; padding: 0.2rem 0.5rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.error td { background: #fee2e2; } tr.warning td { background: #fef9c3; }
figure { margin: 0.5rem 0; } figure svg { max-width: 100%; height: auto; }
.muted { color: #6b7280; }
"""


def _table(headers: list[str], rows: list[list[str]], numeric: set[int], cls: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{c}">'
        + "".join(
            f'<td class="num">{escape(v)}</td>' if i in numeric else f"<td>{escape(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row, c in zip(rows, cls, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def render_html(report: QualityReport) -> str:
    """The whole report page."""
    title = f"Data quality {report.start.isoformat()} – {report.end.isoformat()}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">Types: {escape(", ".join(report.kinds))}. Scores: docs/quality.md.</p>',
        '<section id="scores"><h2>Scores</h2>',
        _table(
            ["Symbol", "Score", "Completeness", "Errors", "Warnings"],
            [
                [s.symbol, _num(s.score), _num(s.completeness), str(s.errors), str(s.warnings)]
                for s in report.scores
            ],
            {1, 2, 3, 4},
            ["" for _ in report.scores],
        ),
        "</section>",
    ]
    for symbol in report.symbols:
        parts.append(_symbol_section(report, symbol))
    parts.append("</body></html>")
    return "\n".join(parts)


def _symbol_section(report: QualityReport, symbol: str) -> str:
    days = [d for d in report.days if d.symbol == symbol]
    findings = [f for f in report.findings if f.symbol == symbol]
    anchor = escape(symbol.replace("/", "-"))
    parts = [f'<section class="symbol" id="symbol-{anchor}"><h2>{escape(symbol)}</h2>']
    if not days:
        parts.append('<p class="muted">No session days in this range.</p></section>')
        return "".join(parts)
    parts += [
        f'<figure class="calendar" id="calendar-{anchor}" aria-label="completeness calendar">',
        calendar_svg(symbol, days, report.start, report.end),
        "</figure>",
        f'<figure class="timeline" id="timeline-{anchor}" aria-label="gap timeline">',
        timeline_svg(symbol, days),
        "</figure>",
        "<h3>Session days</h3>",
        _table(
            [
                "Day",
                "Type",
                "Score",
                "Covered %",
                "Expected s",
                "Missing s",
                "Halted s",
                "Empty minutes",
                "Known gaps",
                "Repaired",
                "Early close",
            ],
            [
                [
                    d.day.isoformat(),
                    d.kind if d.kind != "bars" else f"bars {d.interval}",
                    f"{d.score:g}",
                    f"{d.covered_pct:g}",
                    f"{d.expected_s:g}",
                    f"{d.missing_s:g}",
                    f"{d.halted_s:g}",
                    f"{d.empty_minutes} / {d.expected_minutes}",
                    str(d.known_gaps),
                    str(d.repaired_gaps),
                    "yes" if d.early_close else "",
                ]
                for d in days
            ],
            {2, 3, 4, 5, 6, 7, 8, 9},
            ["" for _ in days],
        ),
    ]
    gaps = [(d, m) for d in days for m in d.missing]
    parts.append("<h3>Missing spans</h3>")
    parts.append(
        _table(
            ["Day", "Type", "From (UTC)", "To (UTC)", "Seconds", "Reason", "Detail"],
            [
                [
                    d.day.isoformat(),
                    d.kind,
                    iso(m.from_ts),
                    iso(m.to_ts),
                    f"{m.seconds:g}",
                    m.reason,
                    m.detail,
                ]
                for d, m in gaps
            ],
            {4},
            ["" for _ in gaps],
        )
        if gaps
        else '<p class="muted">Nothing missing.</p>'
    )
    counts = Counter(f.kind for f in findings)
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none"
    parts.append(f"<h3>Anomalies ({len(findings)}: {escape(summary)})</h3>")
    shown = findings[:MAX_FINDINGS]
    if shown:
        parts.append(
            _table(
                ["Time (UTC)", "Kind", "Severity", "Provider", "Detail"],
                [[iso(f.ts_event), f.kind, f.severity, f.provider, f.detail] for f in shown],
                set(),
                [f.severity for f in shown],
            )
        )
        if len(findings) > len(shown):
            parts.append(f'<p class="muted">First {len(shown)} shown; --format json has all.</p>')
    parts.append("</section>")
    return "".join(parts)
