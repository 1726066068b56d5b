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


def write_manifest(folder, **overrides):
    files = {p.name: {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in sorted(folder.glob("*.csv"))}
    manifest = {"schema": "nurture.bundle/1", "files": files} | overrides
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_a_tampered_file_is_refused_by_the_manifest(bundle_dir):
    write_manifest(bundle_dir)
    load_bundle(bundle_dir)
    edit(bundle_dir / "scores.csv", "pre,epds,total,", "pre,epds,total,1")
    assert "does not match its SHA-256" in str(error_of(bundle_dir))


def test_upper_case_digests_are_digests_too(bundle_dir):
    manifest = write_manifest(bundle_dir)
    upper = {name: {"sha256": meta["sha256"].upper()} for name, meta in manifest["files"].items()}
    (bundle_dir / "manifest.json").write_text(json.dumps({"files": upper}))
    assert set(load_bundle(bundle_dir).tables) == set(upper)


@pytest.mark.parametrize("manifest, problem", [
    ("[]", "manifest.json: must be a JSON object"),
    ("{}", "manifest.json: needs \"files\""),
    ('{"files": []}', "manifest.json: needs \"files\""),
    ('{"files": {"scores.csv": {}}}', "manifest.json: files.scores.csv: needs \"sha256\""),
    ('{"files": {"scores.csv": {"sha256": "abc"}}}', "manifest.json: files.scores.csv: needs \"sha256\""),
])
def test_a_malformed_manifest_never_switches_the_check_off(bundle_dir, manifest, problem):
    (bundle_dir / "manifest.json").write_text(manifest)
    assert str(error_of(bundle_dir)).startswith(problem)


def test_a_file_the_manifest_does_not_list_is_refused(bundle_dir):
    manifest = write_manifest(bundle_dir)
    del manifest["files"]["attendance.csv"]
    (bundle_dir / "manifest.json").write_text(json.dumps(manifest))
    assert str(error_of(bundle_dir)) == "attendance.csv: is not listed in manifest.json (added after export?)"


def test_row_numbers_are_file_lines_after_blank_lines_and_quoted_line_breaks(bundle_dir):
    path = bundle_dir / "feedback.csv"
    lines = path.read_text().splitlines()
    text = lines[0] + "\n\n" + lines[1] + "\n" + 'NC-00001,q,"two\nlines",\n\nNC-00001,q,x,\n' + "NC-0000X,q,x,\n"
    path.write_text(text)
    error = error_of(bundle_dir)
    assert (error.file, error.row, error.column) == ("feedback.csv", 8, "participant_id")
    assert error.problem == "'NC-0000X' is not in participants.csv"


def test_a_row_with_more_cells_than_the_header_is_refused(bundle_dir):
    with open(bundle_dir / "fidelity.csv", "a", encoding="utf-8") as fh:
        fh.write("C1-w01-mother,3,2,extra\n")
    error = error_of(bundle_dir)
    assert error.problem == "has 4 cells, the header has 3"


@pytest.mark.parametrize("score", ["inf", "-inf", "nan", "1e308", "999", "-50"])
def test_impossible_scores_are_refused(bundle_dir, score):
    edit(bundle_dir / "scores.csv", "\nNC-00001,pre,epds,total,", f"\nNC-00001,pre,epds,total,{score}")
    ranges = {("epds", "total"): (0.0, 30.0), ("epds", "anxiety_3a"): (0.0, 9.0)}
    with pytest.raises(BundleError) as info:
        load_bundle(bundle_dir, score_ranges=ranges)
    assert (info.value.file, info.value.row, info.value.column) == ("scores.csv", 2, "score")


def test_a_scale_the_instrument_does_not_have_is_refused(bundle_dir):
    edit(bundle_dir / "scores.csv", "\nNC-00001,pre,epds,total,", "\nNC-00001,pre,epds,totl,")
    with pytest.raises(BundleError, match="epds has no scale 'totl'"):
        load_bundle(bundle_dir, score_ranges={("epds", "total"): (0.0, 30.0)})


def test_ids_are_trimmed_and_never_split_by_case_or_spacing(bundle_dir):
    edit(bundle_dir / "scores.csv", "\nNC-00001,pre,epds,total,", "\n NC-00001 ,pre,epds,total,")
    scores = load_bundle(bundle_dir).get("scores.csv")
    assert "NC-00001" in set(scores.participant_id) and " NC-00001 " not in set(scores.participant_id)
    edit(bundle_dir / "participants.csv", "\nNC-00002,", "\nnc-00001,")
    error = error_of(bundle_dir)
    assert error.file == "participants.csv" and "differ only in case or spacing" in error.problem


def test_an_id_refusal_names_both_rows_and_an_invisible_character_its_row(bundle_dir):
    edit(bundle_dir / "participants.csv", "\nNC-00005,", "\nnc-00002 ,")
    error = error_of(bundle_dir)
    assert (error.file, error.row, error.column) == ("participants.csv", 6, "participant_id")
    assert error.problem == ("'nc-00002' and 'NC-00002' (row 3) differ only in case or spacing; "
                             "use one spelling for one identifier")
    edit(bundle_dir / "participants.csv", "\nnc-00002 ,", "\nNC-000\u200b05,")
    error = error_of(bundle_dir)
    assert (error.row, error.column) == (6, "participant_id")
    assert error.problem == "'NC-000\\u200b05' holds an invisible character (U+200B); retype it"


def test_an_id_the_participants_file_does_not_know_is_refused(bundle_dir):
    edit(bundle_dir / "scores.csv", "\nNC-00001,pre,epds,total,", "\nNC-O0001,pre,epds,total,")
    error = error_of(bundle_dir)
    assert (error.file, error.row, error.column) == ("scores.csv", 2, "participant_id")


def zipped(bundle_dir, archive, extra=()):
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(bundle_dir.iterdir()):
            zf.write(f, f"export/{f.name}")
        for name, content in extra:
            zf.writestr(name, content)
    return archive


def test_a_zip_holding_two_copies_of_a_file_is_ambiguous(bundle_dir, tmp_path):
    archive = zipped(bundle_dir, tmp_path / "b.zip", [("old/scores.csv", (bundle_dir / "scores.csv").read_bytes())])
    assert "holds two files named scores.csv (export/scores.csv and old/scores.csv)" in str(error_of(archive))


def test_a_zip_that_inflates_beyond_the_limit_is_refused_before_it_is_read(bundle_dir, tmp_path, monkeypatch):
    from nurture.analysis import bundle as module

    monkeypatch.setattr(module, "MAX_FILE_BYTES", 1000)
    archive = zipped(bundle_dir, tmp_path / "b.zip")
    assert "would inflate to" in str(error_of(archive))


def test_a_damaged_zip_is_refused(bundle_dir, tmp_path):
    archive = zipped(bundle_dir, tmp_path / "b.zip")
    data = bytearray(archive.read_bytes())
    offset = data.index(b"export/attendance.csv") + len("export/attendance.csv") + 40
    data[offset] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert "is a damaged zip file" in str(error_of(archive))


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


def test_of_two_id_problems_the_first_in_the_file_is_told(bundle_dir):
    edit(bundle_dir / "participants.csv", "\nNC-00005,", "\nNC-000\u200b05,")  # row 6
    edit(bundle_dir / "participants.csv", "\nNC-00003,", "\nnc-00002,")  # row 4: NC-00002 is row 3
    error = error_of(bundle_dir)
    assert (error.row, error.column) == (4, "participant_id") and "differ only in case or spacing" in error.problem
