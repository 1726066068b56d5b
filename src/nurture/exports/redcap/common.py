"""Shared pieces of the REDCap interchange: the error, REDCap's vocabulary, file reading."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from nurture.analysis.bundle import BundleError, read_csv_lines

# REDCap's standard missing-data codes. "NA" (not applicable) becomes Nurture's "na" for
# items that allow it; every other code is an unanswered item, counted in the summary.
MISSING_CODES = ["UNK", "NASK", "NAVU", "ASKU", "NI", "INV", "OTH", "MSK", "NP", "QS", "QI", "NAV", "NA"]
BOOKKEEPING = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group",
               "redcap_survey_identifier")
CHOICE_TYPES = ("radio", "dropdown", "checkbox", "yesno", "truefalse")
NOT_DATA = ("calc", "descriptive", "file", "sql")


class RedcapError(BundleError):
    pass


def read_text(path: Path) -> tuple[bytes, str]:
    """The bytes of an input file, refusing folders and unreadable files with one line."""
    path = Path(path)
    try:
        return path.read_bytes(), path.name
    except FileNotFoundError:
        raise RedcapError("no such file", file=str(path)) from None
    except IsADirectoryError:
        raise RedcapError("is a folder, not a file", file=str(path)) from None
    except OSError as exc:
        raise RedcapError(f"cannot be read ({exc.strerror})", file=str(path)) from None


def read_table(path: Path, *, pad_short_rows: bool = False) -> tuple[pd.DataFrame, np.ndarray, str]:
    """A REDCap CSV export (or the API's JSON) as text cells, with the file line of every row.

    JSON exports (a list of flat objects) give the object's position as its row.
    """
    raw, name = read_text(path)
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if Path(path).suffix.lower() == ".json" or stripped.startswith(b"["):
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise RedcapError("is not UTF-8 text", file=name) from None
        except json.JSONDecodeError as exc:
            raise RedcapError(f"is not valid JSON ({exc})", file=name) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise RedcapError("must be a JSON list of objects (REDCap's JSON export)", file=name)
        columns: list[str] = []
        for r in data:
            columns += [str(k) for k in r if str(k) not in columns]
        for i, r in enumerate(data, start=1):
            bad = next((k for k, v in r.items() if isinstance(v, dict | list)), None)
            if bad is not None:
                raise RedcapError("holds a nested value; REDCap exports are flat", file=name, row=i, column=str(bad))
        frame = pd.DataFrame([{str(k): "" if v is None else str(v) for k, v in r.items()} for r in data],
                             columns=columns, dtype=object).fillna("")
        return frame, np.arange(1, len(data) + 1, dtype=np.int64), name
    try:
        frame, lines = read_csv_lines(name, raw, pad_short_rows=pad_short_rows)
    except BundleError as exc:
        raise RedcapError(exc.problem, file=exc.file, row=exc.row, column=exc.column) from None
    return frame.fillna(""), lines, name


def normal_label(text: str) -> str:
    """A choice label reduced for comparison: no leading code ("0 = ", "(1)"), case, punctuation or spacing."""
    text = re.sub(r"^\s*[\(\[]?\s*-?\d+\s*[\)\]]?\s*[-=:.)]?\s*", "", str(text))
    text = re.sub(r"<[^>]+>", " ", text)  # REDCap labels may hold HTML
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def checkbox_column(field: str, code: str) -> str:
    """The records column REDCap writes for one option of a checkbox field."""
    return f"{field}___{re.sub(r'[^a-z0-9_]', '_', code.lower())}"
