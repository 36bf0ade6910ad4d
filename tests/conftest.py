"""Shared test helpers: where the project and the shared fixtures are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ("pytester",)  # tests/unit/test_ci_guard.py runs pytest on the guard below

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"

# No test reads the developer's own OS keyring (credentials are looked up there after the
# environment); tests of the keyring set their own file backend. Subprocesses inherit this.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

# An xdist worker starts with COLUMNS=80 and LINES=24 in its environment that the controller did
# not have (GNU readline exports them when the worker's interpreter sizes its absent terminal):
# CLI output in a worker would wrap at 80 columns where a serial run does not. Each worker takes
# the controller's terminal variables instead.
_TERMINAL = {name: os.environ.get(name) for name in ("COLUMNS", "LINES")}


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, on the controller: hand this process's terminal variables to each worker."""
    node.workerinput["terminal"] = _TERMINAL


def pytest_configure(config: pytest.Config) -> None:
    terminal = getattr(config, "workerinput", {}).get("terminal")
    for name, value in (terminal or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``../shared/fixtures`` (read-only real captures); the tests need it, so fail loudly."""
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}")
    return FIXTURES


# -- slow modules first ------------------------------------------------------------------------
# make test hands whole modules to xdist workers in collection order (--dist loadfile): a module
# of kill -9 rounds or browsers that came last would run alone after the others finished. Its
# tests keep their order, and so do the other modules.


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


# -- in CI nothing passes by being left out ----------------------------------------------------
# With CI set (.ci/run sets it), a skipped test or module and a non-strict xfail/xpass are
# failures: every test either runs and passes, or says why it could not.


def _strict_xfail(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("xfail")
    if marker is None:
        return False
    return bool(marker.kwargs.get("strict", item.config.getini("xfail_strict")))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    if not os.environ.get("CI"):
        return report
    if hasattr(report, "wasxfail"):
        if not _strict_xfail(item):
            report.outcome = "failed"
            report.longrepr = (
                f"non-strict xfail in CI ({report.wasxfail}): make it strict or fix it"
            )
            del report.wasxfail
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI: {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    report: pytest.CollectReport = yield
    if os.environ.get("CI") and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"module skipped in CI: {reason}"
    return report
