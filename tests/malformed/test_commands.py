"""Malformed input to the commands that work on the study database, and whole-command checks
of the executable itself (warnings on stderr, a hang, usage errors)."""

from __future__ import annotations

import os

import pytest

from nurture.capture.models import Assessment
from nurture.safety.models import Alert

from ..exports import redcap_projects as projects
from .harness import expect_refused

DB_CASES = {
    "export: nothing to export": lambda t: ["export", "--study", "nc"],
    "export: an unknown study": lambda t: ["export", "--study", "xx", "--bundle", t / "b"],
    "export: an SPSS file without .sav": lambda t: ["export", "--study", "nc", "--spss", t / "w.csv"],
    "export: a bundle folder holding other files": lambda t: ["export", "--study", "nc", "--bundle",
                                                              written(t / "full" / "notes.txt").parent],
    "export: a bundle path that is a file": lambda t: ["export", "--study", "nc", "--bundle", written(t / "f")],
    "export: a key file that is not one": lambda t: ["export", "--study", "nc", "--deidentified", "--bundle",
                                                     t / "b", "--key", written(t / "k.csv", "a,b\n")],
    "export: a key that is a folder": lambda t: ["export", "--study", "nc", "--deidentified", "--bundle", t / "b",
                                                 "--key", t],
    "export: a key for an identified export": lambda t: ["export", "--study", "nc", "--bundle", t / "b", "--key",
                                                         t / "k.csv"],
    "survey-link: an unknown dyad": lambda t: ["survey-link", "NC-9999", "pre"],
    "survey-link: an unknown timepoint": lambda t: ["survey-link", "NC-0001", "month6"],
    "alerts: an unknown format": lambda t: ["alerts", "--format", "xml"],
    "import-redcap: an unknown study": lambda t: ["import-redcap", *project(t), "--into-study", "xx"],
    "import-redcap: an unknown user": lambda t: ["import-redcap", *project(t), "--into-study", "nc", "--by", "nobody"],
    "import-redcap: a record that is no dyad": lambda t: ["import-redcap", *project(t, "NC-9999"), "--into-study",
                                                          "nc"],
}


def written(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def project(folder, second="NC-0002"):
    dd, records = projects.longitudinal_gad7(folder / "p")
    records.write_text(records.read_text().replace("R1,", "NC-0001,").replace("R2,", f"{second},"))
    mapping = folder / "map.yaml"
    mapping.write_text("events: {screening_arm_1: skip, baseline_arm_1: pre, month_3_arm_1: skip, "
                       "followup_arm_1: post}\nfields:\n"
                       + "".join(f"  gad_{i}: {{instrument: gad7, item: {i}}}\n" for i in range(1, 8)))
    return ["--dictionary", dd, "--records", records, "--map", mapping]


def test_database_commands_refuse(world, tmp_path, settings):
    # One study for every case (building it is the slow part); each case runs and is
    # judged on its own, and every failing case is reported, not just the first.
    failures = []
    for k, (name, case) in enumerate(DB_CASES.items()):
        folder = tmp_path / f"case{k}"
        folder.mkdir()
        settings.VAR_DIR = folder / "var"
        args = case(folder)
        try:
            expect_refused(args[0], name, args, watch=[folder / "b", folder / "full", folder / "var"])
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
        if Assessment.objects.exists() or Alert.objects.exists():
            failures.append(f"{name}: left assessments or alerts behind")
    assert not failures, "\n".join(failures)


def environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    return env | {"NURTURE_VAR_DIR": str(tmp_path / "var")}


def test_the_executable_keeps_library_warnings_off_the_one_line(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("participant_id,timepoint,instrument,item,value\nP1,pre,gad7,1,1e308\n")
    expect_refused("score", "a huge value (numpy warns while refusing it)", ["score", items],
                   subprocess_env=environment(tmp_path), contains="column value")


def test_the_executable_never_hangs_on_an_infinite_score(tmp_path):
    from nurture.analysis.synthetic import make_bundle

    bundle = make_bundle(tmp_path / "b", n=12, seed=3)
    lines = (bundle / "scores.csv").read_text().splitlines()
    lines[1] = ",".join(lines[1].split(",")[:4] + ["inf"])
    (bundle / "scores.csv").write_text("\n".join(lines) + "\n")
    expect_refused("analyze", "an infinite score (used to loop forever)", [
        "analyze", bundle, "-o", tmp_path / "out", "--format", "json", "--bootstrap", "0"],
        watch=[tmp_path / "out"], subprocess_env=environment(tmp_path), contains="is not a finite number")


@pytest.mark.parametrize("name, args", [
    ("demo: a negative seed", ["demo", "--seed", "-1"]),
    ("serve: a port out of range", ["serve", "--port", "99999"]),
    ("an unknown command", ["frobnicate"]),
])
def test_usage_errors_are_one_line_too(name, args):
    expect_refused(args[0], name, args)
