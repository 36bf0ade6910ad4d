"""``mdc providers show``'s live part renders any provider's ``details`` (piped: plain lines and
tab-separated tables)."""

from __future__ import annotations

from typing import Any

import pytest

from mdc.cli.providers import plain, print_live


def connection(details: dict[str, Any]) -> dict[str, Any]:
    return {
        "connected": False,
        "state": "backoff",
        "messages": 10,
        "events": 9,
        "gaps": 1,
        "bad_frames": 0,
        "reconnects": 2,
        "errors": 3,
        "last_error": "connection refused",
        "subscribed": [],
        "details": details,
    }


def test_records_become_a_table_and_the_rest_lines(capsys: pytest.CaptureFixture[str]) -> None:
    details = {
        "channels": [
            {"channel": 1, "venue": "N", "packets": {"A": 5, "B": 4}, "next_seq": None},
            {"channel": 2, "venue": "N", "packets": {"A": 0, "B": 0}, "next_seq": 7},
        ],
        "symbols": 12,
        "stale_books": 0,
    }
    print_live("nyse", {"url": "http://h:1", "connection": connection(details), "error": None})
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "live (http://h:1): backoff (not connected)",
        "  counters: messages 10, events 9, gaps 1, bad frames 0, reconnects 2, errors 3",
        "  subscribed: none",
        "  last error: connection refused",
        "  symbols: 12",
        "  stale books: 0",
        "# nyse channels",
        "channel\tvenue\tpackets\tnext_seq",
        "1\tN\tA 5, B 4\t-",
        "2\tN\tA 0, B 0\t7",
    ]


def test_no_answer_and_not_running_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    print_live("ib", {"url": "http://h:1", "connection": None, "error": "no collector answers"})
    print_live("ib", {"url": "http://h:1", "connection": None, "error": None})
    assert capsys.readouterr().err.splitlines() == [
        "live: no collector answers",
        "live: the collector at http://h:1 does not run ib",
    ]


def test_plain_values() -> None:
    assert plain({"usfarm": "ok", "eu_farm": "broken"}) == "usfarm ok, eu farm broken"
    assert (plain([]), plain({}), plain(None), plain(True), plain(0)) == (
        "none",
        "none",
        "-",
        "yes",
        "0",
    )
