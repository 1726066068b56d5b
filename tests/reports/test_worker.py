"""The second process of `nurture analyze` (figures and the PDF): it answers, and a failure stops it."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nurture.analysis.bundle import BundleError
from nurture.analysis.synthetic import make_bundle
from nurture.reports import run

forking = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                             reason="Windows has no fork: there nurture analyze draws the report in its own process and "
                                    "starts no worker (test_without_figures_no_process_is_started covers that path)")


@forking
def test_the_worker_runs_jobs_in_another_process_and_finishes_them():
    import os

    worker = run._report_worker(True)
    try:
        assert worker.submit(os.getpid).result() != os.getpid()
        assert worker.submit(sorted, [3, 1, 2]).result() == [1, 2, 3]
    finally:
        worker.close(completed=True)
    assert multiprocessing.active_children() == []


@forking
def test_after_a_failure_the_worker_is_stopped_not_waited_for():
    worker = run._report_worker(True)
    worker.submit(time.sleep, 600)  # stands for the import and drawing the failure makes useless
    children = multiprocessing.active_children()
    assert len(children) == 1
    worker.close(completed=False)
    children[0].join(timeout=30)
    assert children[0].exitcode == -signal.SIGTERM
    assert multiprocessing.active_children() == []


@forking
def test_a_bundle_that_fails_to_load_leaves_no_process_behind(tmp_path):
    folder = make_bundle(tmp_path / "bundle", n=8, seed=1)
    participants = folder / "participants.csv"
    lines = participants.read_text(encoding="utf-8").splitlines()
    lines[1] = "," + lines[1].split(",", 1)[1]  # the first participant's id left empty
    participants.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BundleError, match="participant_id"):
        run.analyze_path(folder, tmp_path / "out")
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "out").exists()


def test_without_figures_no_process_is_started(tmp_path):
    folder = make_bundle(tmp_path / "bundle", n=8, seed=1)
    worker = run._report_worker(False)
    assert isinstance(worker, run._InProcess)
    assert worker.submit(sorted, [2, 1]).result() == [1, 2]
    written = run.analyze_path(folder, tmp_path / "out", formats=("json",), n_boot=200)
    assert list(written) == ["json"]
    assert multiprocessing.active_children() == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                found.append(int(entry.name))
        except OSError:  # a process that ended while we looked
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="only Linux tells a process that its parent has ended (PR_SET_PDEATHSIG), and this "
                           "test finds the worker through /proc; nurture's CI and servers run on Linux")
def test_a_killed_command_leaves_no_worker_behind(tmp_path):
    folder = make_bundle(tmp_path / "bundle", n=26, seed=1)
    command = subprocess.Popen([sys.executable, "-m", "nurture.cli", "analyze", str(folder), "-o",
                                str(tmp_path / "out")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not workers and time.monotonic() < deadline and command.poll() is None:
            workers = _children(command.pid)
            time.sleep(0.02)
        assert workers, "the report worker never started"
        command.kill()  # SIGKILL: no handler in the command runs
        command.wait()
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)]
    finally:
        if command.poll() is None:
            command.kill()
        for w in workers:  # whatever the outcome, nothing is left running
            if _alive(w):
                os.kill(w, signal.SIGKILL)
