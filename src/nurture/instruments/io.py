"""Reading item-response files and writing score files (the bundle formats)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

from .errors import ResponseError
from .scoring import COLUMNS

SCORES_CSV_COLUMNS = ["participant_id", "timepoint", "instrument", "scale", "score", "n_items", "band"]


def read_item_responses(path: Path) -> pd.DataFrame:
    """Read ``item_responses.csv`` as text (no guessing of types), checking its shape."""
    name = Path(path).name
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise ResponseError("the file is empty", source=name, row=1)
            header = [h.strip() for h in header]
            for column in COLUMNS:
                if column not in header:
                    raise ResponseError(f"missing column {column!r} (needs {', '.join(COLUMNS)})",
                                        source=name, row=1, column=column)
            width = len(header)
            for line, row in enumerate(reader, start=2):
                if len(row) != width and any(cell.strip() for cell in row):
                    raise ResponseError(f"has {len(row)} cells, the header has {width}", source=name, row=line)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            skip_blank_lines=True)
    except FileNotFoundError:
        raise ResponseError("no such file", source=str(path)) from None
    except UnicodeDecodeError:
        raise ResponseError("is not UTF-8 text", source=name) from None
    except csv.Error as exc:
        raise ResponseError(f"is not a readable CSV file ({exc})", source=name) from None
    frame.columns = [c.strip() for c in frame.columns]
    return frame


def _fmt_score(value: float) -> str:
    if pd.isna(value):
        return ""
    return f"{value:.10g}"


def write_scores(scores: pd.DataFrame, path: Path | None) -> None:
    out = scores[SCORES_CSV_COLUMNS].copy()
    out["score"] = out["score"].map(_fmt_score)
    out["band"] = out["band"].fillna("")
    if path is None:
        out.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        out.to_csv(path, index=False, lineterminator="\n")
