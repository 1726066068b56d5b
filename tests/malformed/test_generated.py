"""Generated malformed input (hypothesis): damaged cells, stray bytes, blank lines, split ids.

For every generated file an independent reading (the standard library's csv module,
cells trimmed) decides what the command must do: refuse it, or accept it and give
exactly what that reading means. A command that accepts what it should refuse, or
gives something else, is a silent change; the harness also counts tracebacks and
hangs. The examples are derandomized (the same every run) and bounded in number.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nurture.instruments import library, score_table
from nurture.instruments.errors import ResponseError
from nurture.instruments.io import SCORES_CSV_COLUMNS

from ..exports import redcap_projects as projects
from .harness import CLEAR, SILENT, TOLERATED, invoke, judge_refusal, record, snapshot

GENERATED = settings(max_examples=60, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
HEADER = ["participant_id", "timepoint", "instrument", "item", "value"]
ROWS = [[f"P{p}", tp, "gad7", str(i), str((p + i) % 4)] for p in (1, 2, 3) for tp in ("pre", "post")
        for i in range(1, 8)] + [["P1", "pre", "epds", str(i), "1"] for i in range(1, 11)]
NASTY = ["", " ", "na", "NA", "nan", "inf", "-inf", "1e308", "-1", "4", "99", "2.5", "1.0", " 2 ", "two", "０",
         "\u200b1", "P1 ", " p1", "Pre", "PRE", "gad7 ", "GAD7", "epds", "psi4sf", "0x1", "1,2", '"', "\t3"]


def render(rows: list[list[str]], header=HEADER, newline="\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@st.composite
def damaged_items(draw):
    rows = [list(r) for r in ROWS]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "cell", "duplicate", "drop", "blank lines", "extra cell", "short row"]))
        k = draw(st.integers(0, len(rows) - 1))
        if kind == "cell":
            column = draw(st.integers(0, 4))
            rows[k][column] = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=4)))
        elif kind == "duplicate":
            rows.insert(k, list(rows[k]))
        elif kind == "drop":
            rows.pop(k)
        elif kind == "blank lines":
            rows.insert(k, [])
        elif kind == "extra cell":
            rows[k] = rows[k] + ["x"]
        else:
            rows[k] = rows[k][:4]
    return rows


def reference(text: str):
    """What the file means, read independently: a DataFrame to score, or None when it must be refused."""
    if "\x00" in text:
        return None
    try:
        parsed = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    rows = [r for r in parsed[1:] if r and any(c.strip() for c in r)]
    if any(len(r) != 5 for r in rows):
        return None
    frame = pd.DataFrame([[c.strip() for c in r] for r in rows], columns=HEADER, dtype=object)
    for column in HEADER[:4]:
        spellings: dict[str, set[str]] = {}
        for value in frame[column]:
            if any(not ch.isprintable() or ch in "\u200b\u200c\u200d\ufeff" for ch in value):
                return None
            spellings.setdefault("".join(value.split()).casefold(), set()).add(value)
        if any(len(s) > 1 for s in spellings.values()):
            return None  # one id written two ways: refused, never split
    try:
        return score_table(frame, library()).scores
    except ResponseError:
        return None


@GENERATED
@given(rows=damaged_items(), newline=st.sampled_from(["\n", "\r\n"]))
def test_score_on_damaged_files(rows, newline):
    text = render(rows, newline=newline)
    expected = reference(text)
    with tempfile.TemporaryDirectory() as folder:
        items, out = Path(folder) / "items.csv", Path(folder) / "out" / "scores.csv"
        items.write_text(text, encoding="utf-8", newline="")
        before = snapshot(out.parent)
        run = invoke(["score", items, "-o", out])
        if expected is None:
            written = {p: v for p, v in snapshot(out.parent).items() if before.get(p) != v}
            outcome = judge_refusal(run, written)
            record("score", "generated damage", outcome, CLEAR, f"{run.exit_code} {run.stderr!r}\n{text[:400]}")
            assert outcome == CLEAR, (run.stderr, text)
            return
        same = run.exit_code == 0 and out.exists() and pd.read_csv(out, dtype=str, keep_default_na=False).equals(
            reference_csv(expected))
        outcome = TOLERATED if same else (judge_refusal(run, {}) if run.exit_code != 0 else SILENT)
        record("score", "generated, acceptable", outcome, TOLERATED, f"{run.exit_code} {run.stderr!r}\n{text[:400]}")
        assert outcome == TOLERATED, (run.stderr, text)


def reference_csv(scores: pd.DataFrame) -> pd.DataFrame:
    out = scores[SCORES_CSV_COLUMNS].copy()
    out["score"] = out["score"].map(lambda v: "" if pd.isna(v) else f"{v:.10g}")
    out["band"] = out["band"].fillna("")
    return pd.read_csv(io.StringIO(out.to_csv(index=False)), dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- analyze: damaged scores


@st.composite
def damaged_scores(draw):
    values = draw(st.lists(st.one_of(st.sampled_from(["3", "12.5", "0", "30", "-0.1", "30.1", "inf", "nan", "-50",
                                                       "999", "1e308", "", "x", " 7 "]),
                                      st.floats(allow_nan=True, allow_infinity=True).map(repr)),
                           min_size=1, max_size=3))
    return values


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(values=damaged_scores())
def test_analyze_on_damaged_scores(values):
    rows = [["P1", "pre", "epds", "total", "10"], ["P1", "post", "epds", "total", "8"],
            ["P2", "pre", "epds", "total", "14"], ["P2", "post", "epds", "total", "9"],
            ["P3", "pre", "epds", "total", "11"], ["P3", "post", "epds", "total", "12"]]
    for k, value in enumerate(values):
        rows[k][4] = value
    numbers = []
    for value in (r[4].strip() for r in rows):
        try:
            numbers.append(float(value) if value else np.nan)
        except ValueError:
            numbers.append(None)
    acceptable = all(n is not None and (np.isnan(n) and not rows[i][4].strip().lower().startswith("nan")
                                        or (np.isfinite(n) and 0 <= n <= 30)) for i, n in enumerate(numbers))
    with tempfile.TemporaryDirectory() as folder:
        scores = Path(folder) / "scores.csv"
        scores.write_text(render(rows, header=["participant_id", "timepoint", "instrument", "scale", "score"]))
        out = Path(folder) / "out"
        run = invoke(["analyze", scores, "-o", out, "--format", "json", "--bootstrap", "0"])
        if acceptable:
            outcome = TOLERATED if run.exit_code == 0 else judge_refusal(run, {})
            record("analyze", "generated, acceptable scores", outcome, TOLERATED, f"{values} {run.stderr!r}")
            assert outcome == TOLERATED, (values, run.stderr)
        else:
            outcome = judge_refusal(run, snapshot(out))
            record("analyze", "generated impossible scores", outcome, CLEAR, f"{values} {run.stderr!r}")
            assert outcome == CLEAR, (values, run.stderr)


# --------------------------------------------------------------------------- import-redcap: damaged records

CODES = ["0", "1", "2", "3", "", "UNK", "NASK", "4", "-1", "x", "2.0", " 1", "NA", "na"]


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(codes=st.lists(st.sampled_from(CODES), min_size=7, max_size=7))
def test_import_redcap_on_damaged_codes(codes):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        dd, records = projects.longitudinal_gad7(folder / "p")
        lines = records.read_text().splitlines()
        header = lines[0].split(",")
        cells = lines[2].split(",")  # R1 at baseline
        for i, code in enumerate(codes, start=1):
            cells[header.index(f"gad_{i}")] = code
        lines[2] = ",".join(cells)
        records.write_text("\n".join(lines) + "\n")
        mapping = folder / "map.yaml"
        mapping.write_text("events: {screening_arm_1: skip, baseline_arm_1: pre, month_3_arm_1: skip, "
                           "followup_arm_1: post}\nfields:\n"
                           + "".join(f"  gad_{i}: {{instrument: gad7, item: {i}}}\n" for i in range(1, 8)))
        out = folder / "out"
        run = invoke(["import-redcap", "--dictionary", dd, "--records", records, "--map", mapping, "-o", out])
        stripped = [c.strip() for c in codes]
        missing = {"UNK", "NASK", "NA"}
        acceptable = all(c in {"0", "1", "2", "3", ""} | missing for c in stripped)
        if not acceptable:
            outcome = judge_refusal(run, snapshot(out))
            record("import-redcap", "generated bad codes", outcome, CLEAR, f"{codes} {run.stderr!r}")
            assert outcome == CLEAR, (codes, run.stderr)
            return
        expected = {str(i): c for i, c in enumerate(stripped, start=1) if c and c not in missing}
        got = pd.read_csv(out / "item_responses.csv", dtype=str) if run.exit_code == 0 else None
        same = got is not None and dict(zip(
            got[(got.participant_id == "R1") & (got.timepoint == "pre")].item,
            got[(got.participant_id == "R1") & (got.timepoint == "pre")].value, strict=True)) == expected
        outcome = TOLERATED if same else (SILENT if run.exit_code == 0 else judge_refusal(run, {}))
        record("import-redcap", "generated acceptable codes", outcome, TOLERATED, f"{codes} {run.stderr!r}")
        assert outcome == TOLERATED, (codes, run.stderr)
