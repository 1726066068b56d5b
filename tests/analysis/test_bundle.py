"""Bundle validation: one clear error naming file, row and column."""

import hashlib
import json
import zipfile

import pytest

from nurture.analysis.bundle import BundleError, load_bundle
from nurture.analysis.synthetic import make_bundle


@pytest.fixture
def bundle_dir(tmp_path):
    return make_bundle(tmp_path / "bundle", n=12, seed=3)


def edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def error_of(path):
    with pytest.raises(BundleError) as info:
        load_bundle(path)
    return info.value


def test_a_folder_a_zip_and_a_single_scores_csv_all_load(bundle_dir, tmp_path):
    folder = load_bundle(bundle_dir)
    assert set(folder.tables) == {"participants.csv", "sessions.csv", "attendance.csv", "scores.csv",
                                  "feedback.csv", "fidelity.csv", "alerts.csv"}
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in bundle_dir.iterdir():
            zf.write(f, f"export/{f.name}")
    assert set(load_bundle(archive).tables) == set(folder.tables)
    single = load_bundle(bundle_dir / "scores.csv")
    assert list(single.tables) == ["scores.csv"]


def test_a_value_of_the_wrong_kind_names_file_row_and_column(bundle_dir):
    edit(bundle_dir / "scores.csv", "\nNC-00001,pre,epds,total,", "\nNC-00001,pre,epds,total,x")
    error = error_of(bundle_dir)
    assert (error.file, error.row, error.column) == ("scores.csv", 2, "score")
    assert str(error).startswith("scores.csv, row 2, column score: ")


def test_an_unknown_enum_value(bundle_dir):
    edit(bundle_dir / "attendance.csv", ",present\n", ",here\n")
    error = error_of(bundle_dir)
    first_present = next(i for i, line in enumerate((bundle_dir / "attendance.csv").read_text().splitlines(), 1)
                         if line.endswith(",here"))
    assert str(error) == (f"attendance.csv, row {first_present}, column status: "
                          "'here' is not one of present, absent, excused")


def test_a_missing_required_column(bundle_dir):
    path = bundle_dir / "sessions.csv"
    path.write_text(path.read_text().replace("mode", "delivery_mode", 1))
    assert str(error_of(bundle_dir)) == "sessions.csv, row 1, column mode: missing column 'mode'"


def test_a_repeated_key(bundle_dir):
    path = bundle_dir / "fidelity.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[1]]) + "\n")
    error = error_of(bundle_dir)
    assert (error.row, error.column) == (len(lines) + 1, "session_id")
    assert "repeats session_id=" in error.problem


def test_a_reference_to_an_unknown_session(bundle_dir):
    with open(bundle_dir / "attendance.csv", "a", encoding="utf-8") as fh:
        fh.write("NC-00001,C9-w01-mother,present\n")
    error = error_of(bundle_dir)
    assert error.file == "attendance.csv" and error.column == "session_id"
    assert error.problem == "'C9-w01-mother' is not in sessions.csv"


def test_a_bad_date(bundle_dir):
    edit(bundle_dir / "participants.csv", ",2018-", ",18/")
    error = error_of(bundle_dir)
    assert (error.file, error.row) == ("participants.csv", 2)
    assert "is not a date (YYYY-MM-DD)" in error.problem


def test_a_tampered_file_is_refused_by_the_manifest(bundle_dir):
    digest = hashlib.sha256((bundle_dir / "scores.csv").read_bytes()).hexdigest()
    (bundle_dir / "manifest.json").write_text(json.dumps({"files": {"scores.csv": {"sha256": digest}}}))
    load_bundle(bundle_dir)
    edit(bundle_dir / "scores.csv", "pre,epds,total,", "pre,epds,total,1")
    assert "does not match its SHA-256" in str(error_of(bundle_dir))


def test_day_offsets_are_accepted_for_de_identified_bundles(bundle_dir):
    import pandas as pd

    people = pd.read_csv(bundle_dir / "participants.csv", dtype=str, keep_default_na=False)
    for col in ("referred_on", "screened_on", "consented_on", "enrolled_on", "withdrawn_on"):
        people[col] = people[col].map(lambda v: "" if not v else "-3")
    people.to_csv(bundle_dir / "participants.csv", index=False)
    sessions = pd.read_csv(bundle_dir / "sessions.csv", dtype=str)
    sessions["date"] = "7"
    sessions.to_csv(bundle_dir / "sessions.csv", index=False)
    assert load_bundle(bundle_dir).date_offsets is True


def test_an_empty_or_non_bundle_input(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "holds none of the bundle files" in str(error_of(tmp_path / "empty"))
    assert "no such file or folder" in str(error_of(tmp_path / "nope"))
