"""Running a command on malformed input and judging the result against the contract.

The contract for bad input (README, DESIGN §5.2): exit status 2, exactly one line on
stderr (``nurture: error: …``), nothing on stdout, and nothing written. Benign
variations (spaces around ids, blank lines, Windows line ends, a byte-order mark)
must instead give exactly the result of the clean input.

Every run is tallied by outcome; ``conftest.py`` prints the totals at the end:

    clear error · tolerated (same result) · traceback · hang · silent change · contract breach

Commands run in-process through Typer's CliRunner (the same code path as the
``nurture`` executable, see ``nurture.cli.common.NurtureGroup``); a few whole-command
checks run the executable in a subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from nurture.cli.common import INTERNAL_ERROR
from nurture.cli.main import app

TIMEOUT = 60  # seconds; a command taking longer on these tiny inputs is hung
TALLY: Counter = Counter()
COMMANDS: set[str] = set()
FAILURES: list[str] = []

CLEAR, TOLERATED = "clear error", "tolerated (same result)"
TRACEBACK, HANG, SILENT, BREACH = "traceback", "hang", "silent change", "contract breach"


class Hung(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` in the code can swallow it."""


@dataclass
class Run:
    exit_code: int | None
    stdout: str
    stderr: str
    exception: BaseException | None
    hung: bool = False


def _alarm(signum, frame):
    raise Hung()


def invoke(args: list, env: dict | None = None) -> Run:
    runner = CliRunner()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT)
    try:
        result = runner.invoke(app, [str(a) for a in args], env=env)
    except Hung:
        return Run(None, "", "", None, hung=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return Run(result.exit_code, result.stdout, result.stderr, exception)


def run_subprocess(args: list, env: dict) -> Run:
    try:
        done = subprocess.run([sys.executable, "-m", "nurture.cli", *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return Run(None, "", "", None, hung=True)
    return Run(done.returncode, done.stdout, done.stderr, None)


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    files = {}
    for folder in folders:
        if folder.exists():
            for root, _, names in os.walk(folder):
                for name in names:
                    path = Path(root) / name
                    stat = path.stat()
                    files[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return files


def judge_refusal(run: Run, written: dict, stdout_ok: bool = False) -> str:
    if run.hung:
        return HANG
    if run.exception is not None or run.exit_code == INTERNAL_ERROR or "Traceback" in run.stderr + run.stdout:
        return TRACEBACK
    if run.exit_code == 0:
        return SILENT
    lines = run.stderr.splitlines()
    if run.exit_code != 2 or len(lines) != 1 or not lines[0].startswith("nurture: error: ") or (run.stdout and not stdout_ok) or written:
        return BREACH
    return CLEAR


def record(command: str, name: str, outcome: str, expected: str, detail: str = "") -> None:
    COMMANDS.add(command)
    TALLY[outcome] += 1
    if outcome != expected:
        FAILURES.append(f"{command} / {name}: {outcome} ({detail})")


def expect_refused(command: str, name: str, args: list, *, watch: list[Path] = (), env: dict | None = None,
                   contains: str = "", allowed: tuple[str, ...] = (), subprocess_env: dict | None = None) -> Run:
    """Run ``args``; assert the contract for bad input.

    ``allowed``: files a refusal may still write (``--write-map`` always writes its
    mapping); the command may then say so on stdout.
    """
    before = snapshot(*watch)
    run = run_subprocess(args, subprocess_env) if subprocess_env is not None else invoke(args, env)
    after = snapshot(*watch)
    written = {p: v for p, v in after.items() if before.get(p) != v and not any(p.endswith(a) for a in allowed)}
    outcome = judge_refusal(run, written, stdout_ok=bool(allowed))
    detail = (f"exit {run.exit_code}; stderr {run.stderr[-400:]!r}; stdout {run.stdout[-200:]!r}; "
              f"exception {run.exception!r}; written {sorted(written)[:3]}")
    if outcome == CLEAR and contains and contains not in run.stderr:
        outcome = BREACH
        detail = f"message lacks {contains!r}: {run.stderr!r}"
    record(command, name, outcome, CLEAR, detail)
    assert outcome == CLEAR, detail
    return run


def expect_same(command: str, name: str, variant: list, clean: list, read, *, env: dict | None = None) -> None:
    """A benign variation must give exactly the clean input's result (``read()`` gives the result after a run)."""
    first = invoke(clean, env)
    assert first.exit_code == 0, f"the clean input failed: {first.stderr}"
    expected = read()
    run = invoke(variant, env)
    if run.hung:
        outcome = HANG
    elif run.exception is not None or run.exit_code == INTERNAL_ERROR:
        outcome = TRACEBACK
    elif run.exit_code == 0 and read() == expected:
        outcome = TOLERATED
    elif run.exit_code == 0:
        outcome = SILENT
    else:
        outcome = BREACH
    record(command, name, outcome, TOLERATED, f"exit {run.exit_code}; {run.stderr[-300:]!r}")
    assert outcome == TOLERATED, f"{outcome}: exit {run.exit_code}; {run.stderr[-300:]!r}"
