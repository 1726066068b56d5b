"""``nurture agreement RATINGS.csv``: agreement between raters from a long CSV (unit, rater, value)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer

from .common import fail

COLUMNS = ("unit", "rater", "value")


def read_ratings(path: Path, kind: str) -> dict:
    """Read ``unit,rater,value`` rows into a ratings matrix; bad input fails with one line."""
    from nurture.analysis.agreement import rating_matrix

    name = path.name
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except OSError as exc:
        fail(f"{path}: cannot be read ({exc.strerror})")
    units, raters, values, seen = [], [], [], {}
    try:
        with handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                fail(f"{name}, row 1: missing column {missing[0]!r} (needs {', '.join(COLUMNS)})")
            reader.fieldnames = header
            for row_number, row in enumerate(reader, start=2):
                unit = (row.get("unit") or "").strip()
                rater = (row.get("rater") or "").strip()
                raw = (row.get("value") or "").strip()
                for column, text in (("unit", unit), ("rater", rater)):
                    if not text:
                        fail(f"{name}, row {row_number}, column {column}: empty")
                if (unit, rater) in seen:
                    fail(f"{name}, row {row_number}: rater {rater!r} already rated unit {unit!r} "
                         f"(row {seen[(unit, rater)]})")
                seen[(unit, rater)] = row_number
                units.append(unit)
                raters.append(rater)
                values.append(_value(raw, kind, name, row_number))
    except UnicodeDecodeError:
        fail(f"{name}: not UTF-8 text")
    except csv.Error as exc:
        fail(f"{name}: not a readable CSV file ({exc})")
    if not units:
        fail(f"{name}: no ratings (only a header)")
    built = rating_matrix(units, raters, values)
    if len(built["raters"]) < 2:
        fail(f"{name}, column rater: agreement needs at least two raters; found {len(built['raters'])}")
    return built


def _value(raw: str, kind: str, name: str, row_number: int):
    if raw == "" or raw.upper() == "NA":
        return None
    if kind == "nominal":
        return raw
    try:
        number = float(raw)
    except ValueError:
        fail(f"{name}, row {row_number}, column value: {raw!r} is not a number ({kind} ratings must be numeric)")
    if number != number or number in (float("inf"), float("-inf")):
        fail(f"{name}, row {row_number}, column value: {raw!r} is not a finite number")
    return int(number) if number.is_integer() else number


def _line(label: str, stat: dict) -> str:
    from nurture.common.formatting import fmt_ci, fmt_number, fmt_p

    if stat.get("estimate") is None:
        return f"  {label:<28} not computed: {stat.get('reason', 'no variation in the ratings')}"
    text = f"  {label:<28} {fmt_number(stat['estimate'], 3)}"
    if "ci95" in stat and stat["ci95"][0] is not None:
        text += f"  95% CI {fmt_ci(*stat['ci95'], digits=3)}"
    if "F" in stat:
        text += f"  F({fmt_number(stat['df1'], 0)}, {fmt_number(stat['df2'], 0)}) = {fmt_number(stat['F'], 2)}"
    elif stat.get("z") is not None:
        text += f"  z = {fmt_number(stat['z'], 2)}"
    if stat.get("p") is not None:
        text += f"  p {fmt_p(stat['p'])}"
    return text


LABELS = {
    "ICC1": "ICC1 (one-way, single)", "ICC2": "ICC2 (agreement, single)", "ICC3": "ICC3 (consistency, single)",
    "ICC1k": "ICC1k (one-way, mean)", "ICC2k": "ICC2k (agreement, mean)", "ICC3k": "ICC3k (consistency, mean)",
    "cohen_kappa": "Cohen's kappa", "weighted_kappa_linear": "weighted kappa (linear)",
    "weighted_kappa_quadratic": "weighted kappa (quadratic)", "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha", "percent_agreement": "exact agreement (share)",
}


def agreement(
    ratings: Path = typer.Argument(..., metavar="RATINGS.csv", help="Long CSV with columns unit, rater, value."),
    kind: str = typer.Option(..., "--kind", help="continuous, ordinal or nominal."),
    format: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Agreement between raters: ICCs, Cohen's, weighted and Fleiss' kappa, Krippendorff's alpha."""
    from nurture.analysis.agreement import KINDS, agreement_summary

    if kind not in KINDS:
        fail(f"--kind: {kind!r} is not one of {', '.join(KINDS)}")
    if format not in ("text", "json"):
        fail(f"--format: {format!r} is not one of text, json")
    built = read_ratings(ratings, kind)
    try:
        summary = agreement_summary(built["matrix"], kind)
    except ValueError as exc:
        fail(f"{ratings.name}: {exc}")
    summary = {"schema": "nurture.agreement/1", "input": ratings.name, **summary,
               "raters": [str(r) for r in built["raters"]]}
    if format == "json":
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    typer.echo(f"{ratings.name}: {summary['n_units']} units, {summary['n_raters']} raters, {kind} ratings")
    for key, label in LABELS.items():
        if key in summary:
            typer.echo(_line(label, summary[key]))
    for warning in summary["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
