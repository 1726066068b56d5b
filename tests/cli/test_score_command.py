import subprocess
import sys

NURTURE = [sys.executable, "-m", "nurture.cli"]


def run(*args):
    return subprocess.run(NURTURE + list(args), capture_output=True, text=True, timeout=120)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_score_writes_the_scores_csv_format(tmp_path):
    lines = ["participant_id,timepoint,instrument,item,value"]
    lines += [f"P1,pre,gad7,{i},2" for i in range(1, 8)]
    lines += [f"P1,post,gad7,{i},1" for i in range(1, 5)]  # 3 of 7 missing -> no score
    items = write(tmp_path / "items.csv", "\n".join(lines) + "\n")
    out = tmp_path / "scores.csv"
    result = run("score", str(items), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines() == [
        "participant_id,timepoint,instrument,scale,score,n_items,band",
        "P1,pre,gad7,total,14,7,Moderate",
        "P1,post,gad7,total,,4,",
    ]


def test_bad_input_is_one_line_with_file_row_and_column_and_status_2(tmp_path):
    items = write(tmp_path / "items.csv", "participant_id,timepoint,instrument,item,value\nP1,pre,gad7,1,9\n")
    result = run("score", str(items))
    assert result.returncode == 2
    assert result.stderr == "nurture: error: items.csv, row 2, column value: '9' is outside the GAD-7 item 1 coding 0–3\n"


def test_a_missing_column_and_a_missing_file(tmp_path):
    items = write(tmp_path / "items.csv", "participant_id,timepoint,instrument,item\nP1,pre,gad7,1\n")
    result = run("score", str(items))
    assert (result.returncode, result.stderr) == (
        2, "nurture: error: items.csv, row 1, column value: missing column 'value' (needs participant_id, "
           "timepoint, instrument, item, value)\n")
    result = run("score", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and "no such file" in result.stderr and "Traceback" not in result.stderr


def test_instruments_show_json_and_validate(tmp_path):
    import json

    shown = json.loads(run("instruments", "show", "epds", "--format", "json").stdout)
    assert shown["scales"][0]["reliability"] == 0.87 and shown["placeholder_wording"] is True
    bad = write(tmp_path / "x.yaml", "id: x\nlanguages: [en]\n")
    result = run("instruments", "validate", str(bad))
    assert (result.returncode, result.stderr) == (2, "nurture: error: x.yaml: languages: must include 'es'\n")


def test_load_wording_installs_outside_the_package_and_lifts_the_placeholder(tmp_path):
    import os

    lines = ["instrument: gad7", "language: es", "source: licensed test copy", "items:"]
    lines += [f'  "{i}": "Texto oficial de prueba {i}"' for i in range(1, 8)]
    wording = write(tmp_path / "gad7.es.yaml", "\n".join(lines) + "\n")
    env = dict(os.environ, NURTURE_WORDING_DIR=str(tmp_path / "wording"))
    result = subprocess.run(NURTURE + ["instruments", "load-wording", "gad7", str(wording)], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wording" / "gad7.es.yaml").exists()
    from nurture.instruments import library
    from nurture.instruments.wording import has_official_wording, item_text

    gad = library().get("gad7")
    assert has_official_wording(gad, "es", tmp_path / "wording")
    assert not has_official_wording(gad, "en", tmp_path / "wording")
    assert item_text(gad, "3", "es", tmp_path / "wording") == "Texto oficial de prueba 3"
    assert item_text(gad, "3", "en", tmp_path / "wording") == "Worrying too much about different things"


def test_load_wording_refuses_an_incomplete_file(tmp_path):
    wording = write(tmp_path / "w.yaml", 'instrument: gad7\nlanguage: en\nitems:\n  "1": "x"\n')
    result = run("instruments", "load-wording", "gad7", str(wording))
    assert (result.returncode, result.stderr) == (2, "nurture: error: w.yaml: items.2: official text is missing\n")
