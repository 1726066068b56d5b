"""Malformed files for the commands that read them: score, analyze, import-redcap, instruments.

Each variant is one way a real file goes wrong (found by trying commands on damaged
files, Excel exports, other projects' data). Every one must be refused with one line
and exit status 2, writing nothing; benign variations must give the clean result.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from nurture.analysis.synthetic import make_bundle

from ..exports import redcap_projects as projects
from .harness import expect_refused, expect_same

ITEMS_HEADER = "participant_id,timepoint,instrument,item,value"
CLEAN_ITEMS = "\n".join([ITEMS_HEADER] + [f"P{p},pre,gad7,{i},{(p + i) % 4}" for p in (1, 2) for i in range(1, 8)]
                        + [f"P{p},pre,epds,{i},1" for p in (1, 2) for i in range(1, 11)]) + "\n"


def items_file(folder: Path, text: str | bytes, name: str = "items.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    (path.write_bytes if isinstance(text, bytes) else lambda t: path.write_text(t, encoding="utf-8"))(text)
    return path


def swap(old: str, new: str, count: int = 1) -> str:
    assert old in CLEAN_ITEMS
    return CLEAN_ITEMS.replace(old, new, count)


# --------------------------------------------------------------------------- nurture score

SCORE_INPUTS = {
    "empty file": "",
    "only blank lines": "\n\n\n",
    "not UTF-8": CLEAN_ITEMS.replace("P1,", "Pé,", 1).encode("latin-1"),
    "binary (a PNG)": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "a NUL byte": swap("P1,pre,gad7,1", "P1,pre,gad7,\x001"),
    "a missing value column": CLEAN_ITEMS.replace(",value", "", 1),
    "a column named twice": CLEAN_ITEMS.replace(",value", ",value,value", 1),
    "a column named twice, every row with both": CLEAN_ITEMS.replace(",value", ",value,value", 1)
    .replace("\n", ",0\n").replace("value,0\n", "value\n", 1),
    "two columns named alike once trimmed": CLEAN_ITEMS.replace(",value", ",value, value", 1)
    .replace("\n", ",0\n").replace("value,0\n", "value\n", 1),
    "a row with an extra cell": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,2,9"),
    "a row with a missing cell": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1"),
    "an unclosed quote": swap("P1,pre,gad7,1,2", 'P1,pre,gad7,"1,2'),
    "an unknown instrument": swap("P1,pre,gad7,1", "P1,pre,gad8,1"),
    "an unknown item": swap("P1,pre,gad7,1,", "P1,pre,gad7,8,"),
    "a value outside the coding": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,9"),
    "a word as a value": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,two"),
    "inf as a value": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,inf"),
    "nan as a value": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,nan"),
    "1e308 as a value": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,1e308"),
    "a negative value": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,-1"),
    "a fraction": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,2.5"),
    "na where not allowed": swap("P1,pre,gad7,1,2", "P1,pre,gad7,1,na"),
    "an item answered twice": swap("P1,pre,gad7,2,", "P1,pre,gad7,1,"),
    "an empty participant id": swap("P1,pre,gad7,1,", ",pre,gad7,1,"),
    "one id in two cases": swap("P1,pre,gad7,1,", "p1,pre,gad7,1,"),
    "one timepoint in two cases": swap("P1,pre,gad7,1,", "P1,Pre,gad7,1,"),
    "an id with a zero-width space": swap("P1,pre,gad7,1,", "P\u200b1,pre,gad7,1,"),
    "a structure-only instrument": CLEAN_ITEMS + "P1,pre,psi4sf,1,2\n",
}


@pytest.mark.parametrize("name", list(SCORE_INPUTS))
def test_score_refuses(tmp_path, name):
    path = items_file(tmp_path / "in", SCORE_INPUTS[name])
    expect_refused("score", name, ["score", path, "-o", tmp_path / "out" / "scores.csv"], watch=[tmp_path / "out"])


@pytest.mark.parametrize("name, args", [
    ("a missing file", lambda t: ["score", t / "nope.csv"]),
    ("a folder as input", lambda t: ["score", t]),
    ("output is a folder", lambda t: ["score", items_file(t / "in", CLEAN_ITEMS), "-o", t]),
    ("output inside a file", lambda t: ["score", items_file(t / "in", CLEAN_ITEMS), "-o", t / "in" / "items.csv" / "x"]),
    ("no argument", lambda t: ["score"]),
    ("an unknown option", lambda t: ["score", items_file(t / "in", CLEAN_ITEMS), "--colour"]),
])
def test_score_refuses_bad_paths_and_arguments(tmp_path, name, args):
    expect_refused("score", name, args(tmp_path), watch=[tmp_path])


def test_score_names_the_physical_line_after_blank_lines_and_quoted_line_breaks(tmp_path):
    text = CLEAN_ITEMS.replace("\nP1,pre,gad7,2,", '\n\n\n"P1",pre,gad7,"2\n",', 1).replace(
        "P2,pre,gad7,1,3", "P2,pre,gad7,1,9")
    line = next(i for i, row in enumerate(text.split("\n"), start=1) if row.startswith("P2,pre,gad7,1,9"))
    run = expect_refused("score", "row numbers after blank lines", ["score", items_file(tmp_path, text)])
    assert f"row {line}, column value" in run.stderr


@pytest.mark.parametrize("name, text", [
    ("spaces around ids", CLEAN_ITEMS.replace("P1,pre,gad7,", " P1 , pre ,gad7 , ")),
    ("blank lines", CLEAN_ITEMS.replace("\n", "\n\n")),
    ("Windows line ends", CLEAN_ITEMS.replace("\n", "\r\n")),
    ("a byte-order mark", "\ufeff" + CLEAN_ITEMS),
    ("quoted cells", CLEAN_ITEMS.replace("P2,pre,gad7,", '"P2","pre","gad7",')),
    ("a trailing row of empty cells", CLEAN_ITEMS + ",,,,\n"),
])
def test_score_tolerates_benign_variations_with_the_same_scores(tmp_path, name, text):
    clean = items_file(tmp_path / "clean", CLEAN_ITEMS)
    variant = items_file(tmp_path / "variant", text)
    out = tmp_path / "scores.csv"
    expect_same("score", name, ["score", variant, "-o", out], ["score", clean, "-o", out], out.read_bytes)


# --------------------------------------------------------------------------- nurture analyze


@pytest.fixture(scope="module")
def clean_bundle(tmp_path_factory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundle") / "b", n=12, seed=3)


def bundle_copy(clean: Path, folder: Path) -> Path:
    target = folder / "bundle"
    shutil.copytree(clean, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def set_cell(path: Path, column: str, value: str, row: int = 1) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def first_score_row(bundle: Path) -> str:
    return (bundle / "scores.csv").read_text().splitlines()[1]


def set_score(bundle: Path, value: str) -> None:
    row = first_score_row(bundle)
    edit(bundle / "scores.csv", row, ",".join(row.split(",")[:4] + [value]))


def manifest_for(bundle: Path, upper: bool = False, drop: str | None = None) -> dict:
    files = {}
    for p in sorted(bundle.glob("*.csv")):
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        files[p.name] = {"sha256": digest.upper() if upper else digest}
    files.pop(drop, None)
    return {"schema": "nurture.bundle/1", "files": files}


BUNDLE_EDITS = {
    "an infinite score": lambda b: set_score(b, "inf"),
    "minus infinity": lambda b: set_score(b, "-inf"),
    "a score of -50": lambda b: set_score(b, "-50"),
    "a score of 999": lambda b: set_score(b, "999"),
    "a score of 1e308": lambda b: set_score(b, "1e308"),
    "a score that is a word": lambda b: set_score(b, "high"),
    "an unknown timepoint": lambda b: edit(b / "scores.csv", ",pre,", ",other1,"),
    "a scale the instrument lacks": lambda b: edit(b / "scores.csv", ",epds,total,", ",epds,totl,"),
    "a score row twice": lambda b: (b / "scores.csv").write_text((b / "scores.csv").read_text()
                                                                  + first_score_row(b) + "\n"),
    "scores without a score column": lambda b: edit(b / "scores.csv", ",score", ",points"),
    "an empty scores file": lambda b: (b / "scores.csv").write_text(""),
    "one id in two cases": lambda b: edit(b / "scores.csv", "\nNC-00001,", "\nnc-00001,"),
    "an id participants.csv lacks": lambda b: edit(b / "scores.csv", "\nNC-00001,", "\nNC-0000l,"),
    "an unknown status": lambda b: set_cell(b / "participants.csv", "status", "finished"),
    "a date in another style": lambda b: edit(b / "participants.csv", ",2018-", ",18/"),
    "a yes/no that is neither": lambda b: edit(b / "participants.csv", ",true,", ",maybe,"),
    "an age of 300": lambda b: set_cell(b / "participants.csv", "mother_age", "300"),
    "a week of 0": lambda b: set_cell(b / "sessions.csv", "week", "0"),
    "attendance at an unknown session": lambda b: (b / "attendance.csv").write_text(
        (b / "attendance.csv").read_text() + "NC-00001,C9-w01-mother,present\n"),
    "more delivered than planned": lambda b: set_cell(b / "fidelity.csv", "items_delivered", "7"),
    "a participants file that is not UTF-8": lambda b: (b / "participants.csv").write_bytes(
        (b / "participants.csv").read_text().replace("C1", "Cé", 1).encode("latin-1")),
    "a manifest that is a list": lambda b: (b / "manifest.json").write_text("[]"),
    "a manifest without files": lambda b: (b / "manifest.json").write_text("{}"),
    "a manifest missing a file": lambda b: (b / "manifest.json").write_text(
        json.dumps(manifest_for(b, drop="scores.csv"))),
    "a manifest with a short digest": lambda b: (b / "manifest.json").write_text(
        json.dumps({"files": {n: {"sha256": "abc"} for n in manifest_for(b)["files"]}})),
    "a manifest that is not JSON": lambda b: (b / "manifest.json").write_text("{files:"),
    "a file changed after export": lambda b: ((b / "manifest.json").write_text(json.dumps(manifest_for(b))),
                                              set_score(b, "3")),
    "item responses of an unknown instrument": lambda b: (b / "item_responses.csv").write_text(
        ITEMS_HEADER + "\nNC-00001,pre,gad8,1,2\n"),
    "a scores folder where a file should be": lambda b: ((b / "scores.csv").unlink(), (b / "scores.csv").mkdir()),
}


@pytest.mark.parametrize("name", list(BUNDLE_EDITS))
def test_analyze_refuses(clean_bundle, tmp_path, name):
    bundle = bundle_copy(clean_bundle, tmp_path)
    BUNDLE_EDITS[name](bundle)
    expect_refused("analyze", name, ["analyze", bundle, "-o", tmp_path / "out", "--format", "json",
                                     "--bootstrap", "0"], watch=[tmp_path / "out"])


def zipped(bundle: Path, target: Path, extra: list[tuple[str, bytes]] = ()) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(bundle.iterdir()):
            zf.write(p, f"export/{p.name}")
        for name, content in extra:
            zf.writestr(name, content)
    return target


def corrupt_member(archive: Path) -> None:
    data = bytearray(archive.read_bytes())
    at = data.index(b"export/attendance.csv") + len("export/attendance.csv") + 60
    data[at] ^= 0xFF
    archive.write_bytes(bytes(data))


def zip_bomb(target: Path) -> Path:
    """About 100 KB that inflates to 100 MB: refused before it is inflated."""
    row = b"NC-00001,pre,epds,total,1\n"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("scores.csv", "w") as fh:
            fh.write(b"participant_id,timepoint,instrument,scale,score\n")
            block = row * (1024 * 1024 // len(row))
            for _ in range(100):
                fh.write(block)
    return target


ANALYZE_ARGS = {
    "a missing input": lambda t, b: [t / "nope"],
    "a text file": lambda t, b: [items_file(t, "hello", "notes.txt")],
    "an empty folder": lambda t, b: [(t / "empty").mkdir() or t / "empty"],
    "a .zip that is not a zip": lambda t, b: [items_file(t, b"PK\x03\x04 not really", "bundle.zip")],
    "a damaged zip member": lambda t, b: [(lambda z: (corrupt_member(z), z)[1])(zipped(b, t / "bundle.zip"))],
    "a zip with two scores files": lambda t, b: [zipped(b, t / "bundle.zip", [("old/scores.csv",
                                                                             (b / "scores.csv").read_bytes())])],
    "a zip that inflates a hundredfold": lambda t, b: [zip_bomb(t / "bomb.zip")],
    "an unknown format": lambda t, b: [b, "--format", "docx"],
    "too few bootstrap resamples": lambda t, b: [b, "--bootstrap", "5"],
    "criteria that do not exist": lambda t, b: [b, "--criteria", t / "nope.yaml"],
    "criteria that are a folder": lambda t, b: [b, "--criteria", t],
    "criteria that are not UTF-8": lambda t, b: [b, "--criteria", items_file(t, "criteria: [é]".encode("latin-1"),
                                                                             "c.yaml")],
    "criteria that are a list": lambda t, b: [b, "--criteria", items_file(t, "- a\n- b\n", "c.yaml")],
    "a criterion that is a word": lambda t, b: [b, "--criteria", items_file(t, "criteria: [consent]\n", "c.yaml")],
    "a threshold that is a word": lambda t, b: [b, "--criteria", items_file(
        t, "criteria: [{id: x, label: X, rate: consent, green: high, amber: 0.2}]\n", "c.yaml")],
    "amber above green": lambda t, b: [b, "--criteria", items_file(
        t, "criteria: [{id: x, label: X, rate: consent, green: 0.2, amber: 0.5}]\n", "c.yaml")],
    "invalid YAML criteria": lambda t, b: [b, "--criteria", items_file(t, "criteria: [unclosed\n", "c.yaml")],
}


@pytest.mark.parametrize("name", list(ANALYZE_ARGS))
def test_analyze_refuses_inputs_and_options(clean_bundle, tmp_path, name):
    args = ANALYZE_ARGS[name](tmp_path, clean_bundle)
    out = tmp_path / "out"
    full = ["analyze", *args, "-o", out] + ([] if "--format" in args else ["--format", "json"]) \
        + ([] if "--bootstrap" in args else ["--bootstrap", "0"])
    expect_refused("analyze", name, full, watch=[out])


@pytest.mark.parametrize("name, output", [
    ("output is a file", lambda t: items_file(t, "x", "taken")),
    ("output inside a file", lambda t: items_file(t, "x", "taken") / "out"),
])
def test_analyze_refuses_an_unwritable_output(clean_bundle, tmp_path, name, output):
    expect_refused("analyze", name, ["analyze", clean_bundle, "-o", output(tmp_path), "--format", "json",
                                     "--bootstrap", "0"], watch=[tmp_path])


def results_without_time(folder: Path):
    def read():
        data = json.loads((folder / "results.json").read_text())
        data.pop("generated_at")
        data["input"].pop("source")
        data["input"].pop("manifest")
        return data
    return read


@pytest.mark.parametrize("name, change", [
    ("blank lines and Windows line ends", lambda b: [p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n\r\n"))
                                                     for p in b.glob("*.csv")]),
    ("spaces around ids", lambda b: edit(b / "scores.csv", "\nNC-00001,pre,", "\n NC-00001 ,pre,")),
    ("a byte-order mark", lambda b: [p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes()) for p in b.glob("*.csv")]),
    ("upper-case digests in the manifest", lambda b: (b / "manifest.json").write_text(
        json.dumps(manifest_for(b, upper=True)))),
])
def test_analyze_tolerates_benign_variations_with_the_same_results(clean_bundle, tmp_path, name, change):
    variant = bundle_copy(clean_bundle, tmp_path / "v")
    change(variant)
    out = tmp_path / "out"
    expect_same("analyze", name, ["analyze", variant, "-o", out, "--format", "json", "--bootstrap", "0"],
                ["analyze", clean_bundle, "-o", out, "--format", "json", "--bootstrap", "0"],
                results_without_time(out))


# --------------------------------------------------------------------------- nurture import-redcap


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("redcap")
    dd, records = projects.longitudinal_gad7(folder)
    mapping = folder / "map.yaml"
    mapping.write_text("events: {screening_arm_1: skip, baseline_arm_1: pre, month_3_arm_1: skip, "
                       "followup_arm_1: post}\nfields:\n"
                       + "".join(f"  gad_{i}: {{instrument: gad7, item: {i}}}\n" for i in range(1, 8)))
    return dd, records, mapping


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


DICTIONARY_EDITS = {
    "a dictionary that is not UTF-8": lambda t: t.replace("Worry 1", "Worrié 1").encode("latin-1"),
    "a dictionary without its columns": lambda t: "name,form\nx,y\n",
    "an empty dictionary": lambda t: "",
    "a field defined twice": lambda t: t + t.splitlines()[2] + "\n",
    "a radio field without choices": lambda t: t.replace(projects.GAD_LABELS, "", 1),
    "a choice code listed twice": lambda t: t.replace("1, Several days", "0, Several days", 1),
    "a field with an empty name": lambda t: t.replace("\ngad_1,", "\n,", 1),
}
RECORDS_EDITS = {
    "records that are not UTF-8": lambda t: t.replace("R1,", "Ré,", 1).encode("latin-1"),
    "a records row with an extra cell": lambda t: t.replace("\n", ",extra\n", 2).replace(",extra", "", 1),
    "a bad code": lambda t: t.replace("R1,baseline_arm_1,2,", "R1,baseline_arm_1,7,", 1),
    "an event the mapping does not know": lambda t: t.replace("followup_arm_1", "month_6_arm_1", 1),
    "an empty record id": lambda t: t.replace("\nR1,baseline", "\n,baseline", 1),
    "an empty event": lambda t: t.replace("R1,baseline_arm_1", "R1,", 1),
    "JSON records that are an object": lambda t: '{"records": []}',
    "JSON records that do not parse": lambda t: "[{",
    "JSON records with a nested value": lambda t: '[{"record_id": "R1", "gad_1": {"x": 1}}]',
}
MAP_TEXTS = {
    "a map that is not YAML": "fields: [unclosed\n",
    "a map that is a list": "- a\n",
    "a map that is not UTF-8": "fields: {gad_1: {instrument: gad7, item: 1}} # é".encode("latin-1"),
    "a misspelt top-level key": "evnts: {}\nfields: {gad_1: {instrument: gad7, item: 1}}\n",
    "a misspelt field key": "fields: {gad_1: {instrument: gad7, itme: 1}}\n",
    "an unknown instrument": "fields: {gad_1: {instrument: gad8, item: 1}}\n",
    "an unknown item": "fields: {gad_1: {instrument: gad7, item: 9}}\n",
    "a values target outside the coding": "fields: {gad_1: {instrument: gad7, item: 1, values: {0: 7}}}\n",
    "a values code that is yes": "fields: {gad_1: {instrument: gad7, item: 1, values: {yes: 1}}}\n",
    "a bad repeat rule": "repeat: sometimes\nfields: {gad_1: {instrument: gad7, item: 1}}\n",
    "events that are a list": "events: [a]\nfields: {gad_1: {instrument: gad7, item: 1}}\n",
    "no fields": "events: {}\n",
    "a field that is not in the records": "events: {screening_arm_1: skip, baseline_arm_1: pre, month_3_arm_1: skip,"
                                          " followup_arm_1: post}\nfields: {gad_9: {instrument: gad7, item: 1}}\n",
    "a timepoint the study lacks": "events: {screening_arm_1: skip, baseline_arm_1: pre, month_3_arm_1: skip, "
                                   "followup_arm_1: other1}\nfields: {gad_1: {instrument: gad7, item: 1}}\n",
    "a rated item from a text field": "events: {screening_arm_1: skip, baseline_arm_1: pre, month_3_arm_1: skip, "
                                      "followup_arm_1: post}\nfields: {gad_1: {instrument: feedback, "
                                      "item: open_other}}\n",
}


@pytest.mark.parametrize("name", list(DICTIONARY_EDITS) + list(RECORDS_EDITS) + list(MAP_TEXTS))
def test_import_redcap_refuses(project, tmp_path, name):
    dd, records, mapping = project
    if name in DICTIONARY_EDITS:
        dd = items_file(tmp_path, DICTIONARY_EDITS[name](text_of(dd)), "dictionary.csv")
    elif name in RECORDS_EDITS:
        text = RECORDS_EDITS[name](text_of(records))
        is_json = isinstance(text, str) and text.lstrip()[:1] in "[{"
        records = items_file(tmp_path, text, "records.json" if is_json else "records.csv")
    else:
        mapping = items_file(tmp_path, MAP_TEXTS[name], "map.yaml")
    out = tmp_path / "out"
    expect_refused("import-redcap", name, ["import-redcap", "--dictionary", dd, "--records", records, "--map",
                                           mapping, "-o", out], watch=[out])


@pytest.mark.parametrize("name, args", [
    ("a missing dictionary", lambda t, p: ["--dictionary", t / "nope.csv", "--records", p[1]]),
    ("a folder as records", lambda t, p: ["--dictionary", p[0], "--records", t]),
    ("a missing map", lambda t, p: ["--dictionary", p[0], "--records", p[1], "--map", t / "nope.yaml"]),
    ("output is a file", lambda t, p: ["--dictionary", p[0], "--records", p[1], "--map", p[2], "-o",
                                       items_file(t, "x", "taken")]),
    ("output holds other files", lambda t, p: ["--dictionary", p[0], "--records", p[1], "--map", p[2], "-o",
                                               items_file(t / "full", "x", "notes.txt").parent]),
    ("--by without --into-study", lambda t, p: ["--dictionary", p[0], "--records", p[1], "--by", "someone"]),
    ("no records option", lambda t, p: ["--dictionary", p[0]]),
])
def test_import_redcap_refuses_paths_and_options(project, tmp_path, name, args):
    expect_refused("import-redcap", name, ["import-redcap", *args(tmp_path, project)], watch=[tmp_path])


def test_import_redcap_with_the_starter_mapping_refuses_but_always_writes_the_map(tmp_path):
    dd, records = projects.score_coded_epds(tmp_path / "p", item10={"M1": "0"})
    expect_refused("import-redcap", "a score-coded EPDS without a values map",
                   ["import-redcap", "--dictionary", dd, "--records", records, "-o", tmp_path / "out",
                    "--write-map", tmp_path / "map.yaml"], watch=[tmp_path], allowed=("map.yaml",),
                   contains="are not item 3's coding")
    assert "values:" in (tmp_path / "map.yaml").read_text()


def test_import_redcap_tolerates_spaces_and_line_ends(project, tmp_path):
    dd, records, mapping = project
    variant = items_file(tmp_path, text_of(records).replace("\n", "\r\n").replace("R1,", " R1 ,"), "records.csv")
    out = tmp_path / "out"
    expect_same("import-redcap", "spaces around record ids and Windows line ends",
                ["import-redcap", "--dictionary", dd, "--records", variant, "--map", mapping, "-o", out],
                ["import-redcap", "--dictionary", dd, "--records", records, "--map", mapping, "-o", out],
                lambda: (out / "item_responses.csv").read_bytes())


# --------------------------------------------------------------------------- nurture instruments

GOOD_WORDING = "instrument: gad7\nlanguage: en\nitems:\n" + "".join(f"  '{i}': Licensed text {i}\n"
                                                                      for i in range(1, 8))

INSTRUMENT_CASES = {
    "validate: a missing file": lambda t: ["instruments", "validate", t / "nope.yaml"],
    "validate: a folder": lambda t: ["instruments", "validate", t],
    "validate: not UTF-8": lambda t: ["instruments", "validate", items_file(t, "id: é".encode("latin-1"), "x.yaml")],
    "validate: invalid YAML": lambda t: ["instruments", "validate", items_file(t, "id: [x\n", "x.yaml")],
    "validate: a list": lambda t: ["instruments", "validate", items_file(t, "- 1\n", "x.yaml")],
    "validate: missing keys": lambda t: ["instruments", "validate", items_file(t, "id: x\nlanguages: [en]\n",
                                                                               "x.yaml")],
    "validate: items of the wrong type": lambda t: ["instruments", "validate", items_file(
        t, "id: x\nversion: '1'\nscoring_version: x-1\nname: X\nshort_name: X\ndomain: d\ncitation: c\nlicence: l\n"
           "verified: true\nlanguages: [en, es]\nrecall_period: {en: a, es: b}\nitems: 5\nscales: []\n", "x.yaml")],
    "show: an unknown instrument": lambda t: ["instruments", "show", "gad8"],
    "show: an unknown format": lambda t: ["instruments", "show", "gad7", "--format", "xml"],
    "load-wording: an unknown instrument": lambda t: ["instruments", "load-wording", "gad8",
                                                      items_file(t, GOOD_WORDING, "w.yaml")],
    "load-wording: a missing file": lambda t: ["instruments", "load-wording", "gad7", t / "nope.yaml"],
    "load-wording: a folder": lambda t: ["instruments", "load-wording", "gad7", t],
    "load-wording: not UTF-8": lambda t: ["instruments", "load-wording", "gad7",
                                          items_file(t, GOOD_WORDING.replace("Licensed", "Licencié").encode("latin-1"),
                                                     "w.yaml")],
    "load-wording: options not a mapping": lambda t: ["instruments", "load-wording", "gad7",
                                                      items_file(t, GOOD_WORDING + "options: [a]\n", "w.yaml")],
    "load-wording: too few options": lambda t: ["instruments", "load-wording", "gad7",
                                                items_file(t, GOOD_WORDING + "options: {'1': [a]}\n", "w.yaml")],
    "load-wording: the wrong instrument": lambda t: ["instruments", "load-wording", "gad7",
                                                     items_file(t, GOOD_WORDING.replace("gad7", "phq9"), "w.yaml")],
    "load-wording: an item missing": lambda t: ["instruments", "load-wording", "gad7",
                                                items_file(t, GOOD_WORDING.replace("  '7': Licensed text 7\n", ""),
                                                           "w.yaml")],
}


@pytest.mark.parametrize("name", list(INSTRUMENT_CASES))
def test_instruments_refuse(tmp_path, monkeypatch, name):
    monkeypatch.setenv("NURTURE_WORDING_DIR", str(tmp_path / "wording"))
    expect_refused("instruments", name, INSTRUMENT_CASES[name](tmp_path), watch=[tmp_path / "wording"])
