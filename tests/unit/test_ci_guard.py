"""The CI guard in tests/conftest.py: with CI set, skips and non-strict xfails fail the run."""

from __future__ import annotations

from pathlib import Path

import pytest

GUARD = Path(__file__).resolve().parents[1] / "conftest.py"

SAMPLE = """
import pytest

def test_passes():
    pass

def test_skips():
    pytest.skip("no frobnicator")

@pytest.mark.skipif(True, reason="never here")
def test_skipif():
    pass

@pytest.mark.xfail(reason="known bug")
def test_loose_xfail():
    assert False

@pytest.mark.xfail(reason="known bug", strict=True)
def test_strict_xfail():
    assert False

@pytest.mark.xfail(reason="maybe fixed")
def test_loose_xpass():
    pass
"""


@pytest.fixture
def guarded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(GUARD.read_text())
    pytester.makepyfile(test_sample=SAMPLE)
    return pytester


def test_in_ci_every_skip_and_loose_xfail_fails(
    guarded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = guarded.runpytest("-p", "no:cacheprovider", "-rfE")
    # A skip in setup (skipif) fails the setup: an error, which fails the run as well.
    result.assert_outcomes(passed=1, failed=3, errors=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED *test_skips - skipped in CI: Skipped: no frobnicator",
            "FAILED *test_loose_xfail - non-strict xfail in CI (known bug)*",
            "FAILED *test_loose_xpass - non-strict xfail in CI (maybe fixed)*",
            "ERROR *test_skipif - skipped in CI: Skipped: never here",
        ]
    )


def test_a_skipped_module_fails_in_ci(
    guarded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    guarded.makepyfile(test_gone='import pytest\npytest.importorskip("no_such_module_xyz")\n')
    result = guarded.runpytest("-p", "no:cacheprovider", "test_gone.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*module skipped in CI: *no_such_module_xyz*"])


def test_outside_ci_skips_are_reported_as_skips(
    guarded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = guarded.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=2, xfailed=2, xpassed=1)


def test_in_ci_the_guard_holds_on_xdist_workers(
    guarded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """make test runs on pytest-xdist workers: the guard runs in each worker's report hook and
    the controller must still see every skip and loose xfail as a failure."""
    monkeypatch.setenv("CI", "true")
    # Only xdist: the other installed plugins (schemathesis, hypothesis) take seconds to import
    # in each of the three processes and play no part here.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    guarded.makepyfile(test_gone='import pytest\npytest.importorskip("no_such_module_xyz")\n')
    result = guarded.runpytest_subprocess(
        "-p", "xdist", "-n", "2", "-p", "no:cacheprovider", "-rfE"
    )
    result.assert_outcomes(passed=1, failed=3, errors=2, xfailed=1)
    result.stdout.fnmatch_lines(["created: 2/2 workers"])
    result.stdout.fnmatch_lines_random(
        [
            "FAILED *test_skips - skipped in CI: Skipped: no frobnicator",
            "FAILED *test_loose_xfail - non-strict xfail in CI (known bug)*",
            "FAILED *test_loose_xpass - non-strict xfail in CI (maybe fixed)*",
            "ERROR *test_skipif - skipped in CI: Skipped: never here",
            "ERROR *test_gone.py*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
