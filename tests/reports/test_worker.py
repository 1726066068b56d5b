"""The second process of `nurture analyze` (figures and the PDF): it answers, and a failure stops it."""

import multiprocessing
import signal
import time

import pytest

from nurture.analysis.bundle import BundleError
from nurture.analysis.synthetic import make_bundle
from nurture.reports import run

forking = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                             reason="without fork (Windows) the report worker runs in process: the last test")


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
