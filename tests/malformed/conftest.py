"""The malformed-input suite prints its tally at the end of the run:

    .venv/bin/pytest tests/malformed -q
"""

from . import harness


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tally = harness.TALLY
    if not tally:
        return
    total = sum(tally.values())
    terminalreporter.write_sep("-", "malformed input")
    terminalreporter.write_line(
        f"{total} variants over {len(harness.COMMANDS)} commands: {tally[harness.CLEAR]} clear errors, "
        f"{tally[harness.TOLERATED]} tolerated with the same result")
    terminalreporter.write_line(
        f"tracebacks {tally[harness.TRACEBACK]}, hangs {tally[harness.HANG]}, silent changes {tally[harness.SILENT]}, "
        f"other contract breaches {tally[harness.BREACH]}")
    for failure in harness.FAILURES[:20]:
        terminalreporter.write_line(f"  {failure}")
