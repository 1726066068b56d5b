"""Commands that score outside the database report every safety rule hit, with participant ids:
a short summary on stderr (scores on stdout stay clean) and a "safety" list in JSON output."""

import json

from typer.testing import CliRunner

from nurture.cli.main import app

from .. import factories as f

runner = CliRunner()
HEADER = "participant_id,timepoint,instrument,item,value\n"


def epds_rows(pid, timepoint="pre", **kwargs):
    return "".join(f"{pid},{timepoint},epds,{k},{v}\n" for k, v in f.epds_answers(**kwargs).items())


def test_score_lists_rule_hits_on_stderr_and_keeps_stdout_a_csv(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text(HEADER + epds_rows("M1", self_harm_keyed=2) + epds_rows("M2", level=2)
                     + epds_rows("M3").replace("M3,pre,epds,10,3\n", ""))
    result = runner.invoke(app, ["score", str(items)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "participant_id,timepoint,instrument,scale,score,n_items,band"
    assert "safety" not in result.stdout
    lines = result.stderr.splitlines()
    assert lines[0].startswith("safety: 3 rule hit(s) for 3 participant(s)")
    assert "  urgent    epds self_harm (item 10): M1 pre" in lines
    assert "  follow-up epds probable_depression (scale total): M2 pre" in lines
    assert "  follow-up epds safety_item_unanswered (item 10): M3 pre" in lines


def set_score(path, prefix, value):
    lines = path.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    lines[row] = ",".join(lines[row].split(",")[:4] + [value] + lines[row].split(",")[5:])
    path.write_text("\n".join(lines) + "\n")


def test_analyze_writes_the_safety_list_and_warns_when_scores_disagree_with_items(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    rows = "".join(epds_rows(f"M{k}", tp, level=1 + (k + (tp == "post")) % 2,
                             self_harm_keyed=3 if (k, tp) == (2, "post") else 0)
                   for k in range(1, 5) for tp in ("pre", "post"))
    (bundle / "item_responses.csv").write_text(HEADER + rows)
    result = runner.invoke(app, ["analyze", str(bundle), "-o", str(tmp_path / "out"), "--format", "json",
                                 "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    safety = json.loads((tmp_path / "out" / "results.json").read_text())["safety"]
    assert [(s["participant_id"], s["timepoint"]) for s in safety if s["rule"] == "self_harm"] == [("M2", "post")]
    assert "  urgent    epds self_harm (item 10): M2 post" in result.stderr.splitlines()
    (bundle / "scores.csv").write_text(runner.invoke(app, ["score", str(bundle / "item_responses.csv")]).stdout)
    set_score(bundle / "scores.csv", "M3,pre,epds,total,", "29")
    again = runner.invoke(app, ["analyze", str(bundle), "-o", str(tmp_path / "out2"), "--format", "json",
                                "--bootstrap", "0"])
    assert again.exit_code == 0, again.output
    warnings = json.loads((tmp_path / "out2" / "results.json").read_text())["warnings"]
    assert any(w.startswith("scores.csv differs from scoring item_responses.csv for 1 scale score(s) (first: M3 "
                            "pre epds total: 29 given") for w in warnings)
