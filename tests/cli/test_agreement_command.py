"""`nurture agreement RATINGS.csv --kind …`: agreement from a long CSV, as a user runs it."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nurture.cli.main import app

from ..analysis.test_agreement import ANXIETY, GOLDEN, SF

NURTURE = [sys.executable, "-m", "nurture.cli"]


def long_csv(path, matrix, missing=()):
    lines = ["unit,rater,value"]
    for i, row in enumerate(matrix, start=1):
        for j, value in enumerate(row, start=1):
            lines.append(f"u{i},coder{j},{'' if (i, j) in missing else value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(app, list(map(str, args)))


def test_continuous_ratings_give_the_six_iccs_as_json_matching_psych(tmp_path):
    ratings = long_csv(tmp_path / "ratings.csv", SF)
    result = subprocess.run(NURTURE + ["agreement", str(ratings), "--kind", "continuous", "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for form in ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"):
        estimate, f, df1, df2, p, lo, hi = GOLDEN[("sf", form)]
        assert set(out[form]) == {"estimate", "ci95", "F", "df1", "df2", "p"}
        assert out[form]["estimate"] == pytest.approx(estimate, rel=1e-9)
        assert out[form]["ci95"] == pytest.approx([lo, hi], rel=1e-7)
        assert (out[form]["F"], out[form]["df1"], out[form]["df2"]) == pytest.approx((f, df1, df2), rel=1e-9)
        assert out[form]["p"] == pytest.approx(p, rel=1e-7)
    assert out["krippendorff_alpha"]["level"] == "interval"
    assert (out["n_units"], out["n_raters"]) == (6, 4)


def test_ordinal_ratings_of_two_coders_give_kappas_and_alpha(tmp_path):
    ratings = long_csv(tmp_path / "ratings.csv", ANXIETY[:, 1:3].tolist())
    result = invoke("agreement", ratings, "--kind", "ordinal", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # irr 0.84: kappa2(anxiety[, 2:3], "equal") = 0.1459075; "squared" = 0.2520325
    assert out["cohen_kappa"]["estimate"] == pytest.approx(-0.006289308, abs=5e-9)
    assert out["weighted_kappa_linear"]["estimate"] == pytest.approx(0.1459075, abs=5e-8)
    assert out["weighted_kappa_quadratic"]["estimate"] == pytest.approx(0.2520325, abs=5e-8)
    assert out["krippendorff_alpha"]["level"] == "ordinal"
    assert "ICC1" not in out and "fleiss_kappa" not in out


def test_nominal_ratings_with_missing_values_give_fleiss_kappa_on_complete_units(tmp_path):
    ratings = long_csv(tmp_path / "ratings.csv", ANXIETY.tolist(), missing={(3, 2)})
    result = invoke("agreement", ratings, "--kind", "nominal", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["fleiss_kappa"]["n_units"] == 19 and out["fleiss_kappa"]["n_dropped"] == 1
    assert out["krippendorff_alpha"]["n_units"] == 20
    assert "cohen_kappa" not in out  # three raters


def test_text_output_is_a_readable_summary(tmp_path):
    ratings = long_csv(tmp_path / "ratings.csv", SF)
    result = invoke("agreement", ratings, "--kind", "continuous")
    assert result.exit_code == 0
    assert "ratings.csv: 6 units, 4 raters, continuous ratings" in result.output
    assert "ICC2 (agreement, single)     0.290  95% CI [0.019, 0.761]  F(5, 15) = 11.03  p < .001" in result.output


@pytest.mark.parametrize("content,kind,message", [
    ("unit,coder,value\nu1,a,1\n", "ordinal",
     "ratings.csv, row 1: missing column 'rater' (needs unit, rater, value)"),
    ("unit,rater,value\nu1,a,3\nu1,b,three\n", "continuous",
     "ratings.csv, row 3, column value: 'three' is not a number (continuous ratings must be numeric)"),
    ("unit,rater,value\nu1,a,3\nu1,a,4\n", "ordinal",
     "ratings.csv, row 3: rater 'a' already rated unit 'u1' (row 2)"),
    ("unit,rater,value\nu1,a,3\n,b,4\n", "ordinal", "ratings.csv, row 3, column unit: empty"),
    ("unit,rater,value\nu1,a,3\nu2,a,4\n", "ordinal",
     "ratings.csv, column rater: agreement needs at least two raters; found 1"),
    ("unit,rater,value\n", "nominal", "ratings.csv: no ratings (only a header)"),
])
def test_bad_input_is_one_line_naming_file_row_and_column_with_status_2(tmp_path, content, kind, message):
    path = tmp_path / "ratings.csv"
    path.write_text(content, encoding="utf-8")
    result = invoke("agreement", path, "--kind", kind)
    assert result.exit_code == 2
    assert result.output == f"nurture: error: {message}\n"


def test_an_unknown_kind_and_a_missing_file_are_refused(tmp_path):
    result = invoke("agreement", tmp_path / "none.csv", "--kind", "ordinal")
    assert result.exit_code == 2 and "none.csv: no such file" in result.output
    result = invoke("agreement", tmp_path / "none.csv", "--kind", "interval")
    assert result.exit_code == 2 and "--kind: 'interval' is not one of continuous, ordinal, nominal" in result.output


def test_schemes_list_and_validate(tmp_path):
    listed = invoke("schemes", "list")
    assert listed.exit_code == 0
    assert "dyadic_interaction" in listed.output and "feedback_themes" in listed.output
    from nurture.coding import schemes

    shipped = schemes.__file__.replace("schemes.py", "library/dyadic_interaction.yaml")
    ok = invoke("schemes", "validate", shipped)
    assert ok.exit_code == 0 and "valid rating scheme 'dyadic_interaction' version 1 (9 items)" in ok.output
    bad = tmp_path / "mine.yaml"
    bad.write_text("id: x\nkind: themes\nversion: '1'\nname: X\ncodes: []\n", encoding="utf-8")
    result = invoke("schemes", "validate", bad)
    assert result.exit_code == 2 and result.output == "nurture: error: mine.yaml: a codebook needs codes\n"
