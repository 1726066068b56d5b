"""The study bundle: schema, loading (folder, zip or a single scores CSV) and validation.

Validation runs before any analysis and stops at the first problem with a
:class:`BundleError` naming the file, the row (file line; the header is line 1) and
the column.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

STATUSES = ("referred", "screened", "eligible", "ineligible", "consented", "enrolled", "completed", "withdrawn",
            "lost")
TIMEPOINTS = ("pre", "post")
RESOLUTIONS = ("single", "agreed", "consensus", "needs_consensus")


class BundleError(ValueError):
    def __init__(self, problem: str, *, file: str = "", row: int | None = None, column: str | None = None):
        self.problem, self.file, self.row, self.column = problem, file, row, column
        where = ", ".join(p for p in (file, f"row {row}" if row is not None else "",
                                      f"column {column}" if column else "") if p)
        super().__init__(f"{where}: {problem}" if where else problem)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "str"  # str, int, float, date, bool, enum
    required: bool = False  # the column must be present
    nullable: bool = True  # cells may be empty
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class FileSchema:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()


def _req(name, kind="str", **kw):
    return Column(name, kind, required=True, nullable=kw.pop("nullable", False), **kw)


SCHEMA: dict[str, FileSchema] = {s.name: s for s in (
    FileSchema("participants.csv", (
        _req("participant_id"), _req("cohort", nullable=True), _req("status", "enum", choices=STATUSES),
        Column("site"), Column("curriculum_weeks", "int", minimum=1, maximum=52),
        Column("delivery", "enum", choices=("in_person", "online", "hybrid")),
        Column("referred_on", "date"), Column("screened_on", "date"), Column("eligible", "bool"),
        Column("consented_on", "date"), Column("enrolled_on", "date"), Column("withdrawn_on", "date"),
        Column("withdrawal_reason"), Column("mother_age", "float", minimum=10, maximum=65),
        Column("primiparous", "bool"), Column("infant_age_weeks", "float", minimum=0, maximum=104),
        Column("language"),
    ), key=("participant_id",)),
    FileSchema("sessions.csv", (
        _req("session_id"), _req("cohort"), _req("week", "int", minimum=1, maximum=52),
        _req("component", "enum", choices=("mother", "infant", "dyad")), _req("date", "date", nullable=True),
        _req("mode", "enum", choices=("in_person", "online")),
    ), key=("session_id",)),
    FileSchema("attendance.csv", (
        _req("participant_id"), _req("session_id"),
        _req("status", "enum", choices=("present", "absent", "excused")),
    ), key=("participant_id", "session_id")),
    FileSchema("item_responses.csv", (
        _req("participant_id"), _req("timepoint", "enum", choices=TIMEPOINTS), _req("instrument"), _req("item"),
        _req("value", nullable=True),
    ), key=("participant_id", "timepoint", "instrument", "item")),
    FileSchema("scores.csv", (
        _req("participant_id"), _req("timepoint", "enum", choices=TIMEPOINTS), _req("instrument"), _req("scale"),
        _req("score", "float", nullable=True), Column("n_items", "int", minimum=0), Column("band"),
        Column("administered_on", "date"),
    ), key=("participant_id", "timepoint", "instrument", "scale")),
    FileSchema("feedback.csv", (
        _req("participant_id"), _req("question"), _req("text", nullable=True), Column("themes"),
    )),
    FileSchema("fidelity.csv", (
        _req("session_id"), _req("items_planned", "int", minimum=0), _req("items_delivered", "int", minimum=0),
    ), key=("session_id",)),
    # Coded data: observation ratings (one row per recording x scale; the two coders' own
    # scores where double-coded) and theme-coded text segments.
    FileSchema("observations.csv", (
        _req("participant_id"), _req("timepoint", "enum", choices=TIMEPOINTS), _req("scheme"), _req("scale"),
        _req("score", "float", nullable=True), Column("recording"), Column("task"), Column("observed_on", "date"),
        Column("duration_seconds", "int", minimum=0), Column("resolution", "enum", choices=RESOLUTIONS),
        Column("coder_1"), Column("score_1", "float"), Column("coded_on_1", "date"),
        Column("coder_2"), Column("score_2", "float"), Column("coded_on_2", "date"),
    )),
    FileSchema("coded_segments.csv", (
        _req("participant_id", nullable=True), _req("segment"),
        _req("source", "enum", choices=("feedback", "transcript")), _req("codes", nullable=True),
        Column("codebook"), Column("question"), Column("themes"), Column("resolution", "enum", choices=RESOLUTIONS),
        Column("coder_1"), Column("codes_1"), Column("coded_on_1", "date"),
        Column("coder_2"), Column("codes_2"), Column("coded_on_2", "date"), Column("text"),
    ), key=("segment",)),
)}


@dataclass
class Bundle:
    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    manifest: dict | None = None
    date_offsets: bool = False  # de-identified bundles give dates as day offsets

    def has(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


def _read_csv(name: str, raw: bytes) -> pd.DataFrame:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BundleError("is not UTF-8 text", file=name) from None
    if not text.strip():
        raise BundleError("is empty (it needs at least a header row)", file=name, row=1)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.ParserError as exc:
        raise BundleError(f"is not a readable CSV file ({str(exc).strip()})", file=name) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_column(frame: pd.DataFrame, name: str, col: Column) -> pd.Series:
    raw = frame[col.name].astype(str).str.strip()
    empty = (raw == "").to_numpy()
    if not col.nullable and empty.any():
        raise BundleError("is empty", file=name, row=_first(empty) + 2, column=col.name)
    if col.kind == "str":
        return raw.where(~empty, None)
    if col.kind == "enum":
        bad = ~empty & ~raw.isin(col.choices).to_numpy()
        if bad.any():
            k = _first(bad)
            raise BundleError(f"{raw.iloc[k]!r} is not one of {', '.join(col.choices)}", file=name, row=k + 2,
                              column=col.name)
        return raw.where(~empty, None)
    if col.kind == "bool":
        lowered = raw.str.lower()
        truthy = lowered.isin(["true", "1", "yes"]).to_numpy()
        falsy = lowered.isin(["false", "0", "no"]).to_numpy()
        bad = ~empty & ~truthy & ~falsy
        if bad.any():
            k = _first(bad)
            raise BundleError(f"{raw.iloc[k]!r} is not true or false", file=name, row=k + 2, column=col.name)
        return pd.Series(np.where(empty, None, truthy), index=frame.index, dtype=object)
    if col.kind in ("int", "float"):
        numbers = pd.to_numeric(raw.where(~empty, None), errors="coerce")
        bad = ~empty & numbers.isna().to_numpy()
        if not bad.any() and col.kind == "int":
            bad = ~empty & (numbers.fillna(0) % 1 != 0).to_numpy()
        if bad.any():
            k = _first(bad)
            what = "a whole number" if col.kind == "int" else "a number"
            raise BundleError(f"{raw.iloc[k]!r} is not {what}", file=name, row=k + 2, column=col.name)
        for limit, test, word in ((col.minimum, numbers < (col.minimum or 0), "below"),
                                  (col.maximum, numbers > (col.maximum or 0), "above")):
            if limit is not None:
                out = test.fillna(False).to_numpy()
                if out.any():
                    k = _first(out)
                    raise BundleError(f"{raw.iloc[k]} is {word} the allowed {limit:g}", file=name, row=k + 2,
                                      column=col.name)
        return numbers.astype(float)
    if col.kind == "date":
        return raw.where(~empty, None)  # parsed by _dates() once the bundle's date style is known
    raise AssertionError(col.kind)


def _dates(bundle: Bundle) -> None:
    """Parse date columns: ISO dates, or whole-number day offsets in a de-identified bundle."""
    offsets_seen = dates_seen = False
    for schema in SCHEMA.values():
        frame = bundle.tables.get(schema.name)
        if frame is None:
            continue
        for col in schema.columns:
            if col.kind != "date" or col.name not in frame.columns:
                continue
            raw = frame[col.name]
            present = raw.notna().to_numpy()
            if not present.any():
                frame[col.name] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
                continue
            as_int = pd.to_numeric(raw, errors="coerce")
            is_offset = present & as_int.notna().to_numpy()
            if is_offset[present].all():
                offsets_seen = True
                frame[col.name] = as_int.astype(float)
                continue
            parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
            bad = present & parsed.isna().to_numpy()
            if bad.any():
                k = _first(bad)
                raise BundleError(f"{raw.iloc[k]!r} is not a date (YYYY-MM-DD)", file=schema.name, row=k + 2,
                                  column=col.name)
            dates_seen = True
            frame[col.name] = parsed
    if offsets_seen and dates_seen:
        raise BundleError("mixes calendar dates and day offsets; a bundle uses one or the other",
                          file=bundle.source)
    bundle.date_offsets = offsets_seen


def _validate_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    schema = SCHEMA[name]
    for col in schema.columns:
        if col.required and col.name not in frame.columns:
            raise BundleError(f"missing column {col.name!r}", file=name, row=1, column=col.name)
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        if col.name in frame.columns:
            out[col.name] = _check_column(frame, name, col)
    extra = [c for c in frame.columns if c not in out.columns]
    for c in extra:  # unknown columns are carried along untouched
        out[c] = frame[c]
    if schema.key:
        dup = out.duplicated(list(schema.key), keep="first").to_numpy()
        if dup.any():
            k = _first(dup)
            key = ", ".join(f"{c}={out[c].iloc[k]}" for c in schema.key)
            raise BundleError(f"repeats {key}", file=name, row=k + 2, column=schema.key[-1])
    return out


def _check_references(bundle: Bundle) -> None:
    people = bundle.get("participants.csv")
    sessions = bundle.get("sessions.csv")
    for name, column, target, label in (
        ("attendance.csv", "participant_id", people, "participants.csv"),
        ("attendance.csv", "session_id", sessions, "sessions.csv"),
        ("fidelity.csv", "session_id", sessions, "sessions.csv"),
        ("observations.csv", "participant_id", people, "participants.csv"),
        ("coded_segments.csv", "participant_id", people, "participants.csv"),
    ):
        frame = bundle.get(name)
        if frame is None or target is None:
            continue
        key = "participant_id" if column == "participant_id" else "session_id"
        # a transcript segment belongs to no participant
        unknown = (~frame[column].isin(set(target[key])) & frame[column].notna()).to_numpy()
        if unknown.any():
            k = _first(unknown)
            raise BundleError(f"{frame[column].iloc[k]!r} is not in {label}", file=name, row=k + 2, column=column)
    fidelity = bundle.get("fidelity.csv")
    if fidelity is not None:
        over = (fidelity["items_delivered"] > fidelity["items_planned"]).to_numpy()
        if over.any():
            k = _first(over)
            raise BundleError("items_delivered is more than items_planned", file="fidelity.csv", row=k + 2,
                              column="items_delivered")


def load_bundle(path: str | Path) -> Bundle:
    """Load and validate a bundle folder, a bundle zip or a single scores CSV."""
    path = Path(path)
    if not path.exists():
        raise BundleError("no such file or folder", file=str(path))
    raw: dict[str, bytes] = {}
    if path.is_dir():
        for name in SCHEMA:
            if (path / name).exists():
                raw[name] = (path / name).read_bytes()
        if (path / "manifest.json").exists():
            raw["manifest.json"] = (path / "manifest.json").read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                base = Path(info.filename).name
                if base in SCHEMA or base == "manifest.json":
                    raw[base] = zf.read(info)
    elif path.suffix.lower() == ".csv":
        raw["scores.csv"] = path.read_bytes()
        bundle = Bundle(source=path.name)
        try:
            bundle.tables["scores.csv"] = _validate_table("scores.csv", _read_csv("scores.csv", raw["scores.csv"]))
        except BundleError as exc:
            raise BundleError(exc.problem, file=path.name, row=exc.row, column=exc.column) from None
        _dates(bundle)
        return bundle
    else:
        raise BundleError("is neither a bundle folder, a bundle zip nor a CSV file", file=path.name)
    return load_bundle_files(raw, path.name)


def load_bundle_files(raw: dict[str, bytes], source: str) -> Bundle:
    """Validate a bundle given as file name → bytes (a folder, a zip, or made in memory)."""
    if not any(name in raw for name in SCHEMA):
        raise BundleError(f"holds none of the bundle files ({', '.join(SCHEMA)})", file=source)
    bundle = Bundle(source=source)
    if "manifest.json" in raw:
        try:
            bundle.manifest = json.loads(raw["manifest.json"].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"is not valid JSON ({exc})", file="manifest.json") from None
        _check_manifest(bundle.manifest, raw)
    for name in SCHEMA:
        if name in raw:
            bundle.tables[name] = _validate_table(name, _read_csv(name, raw[name]))
    _dates(bundle)
    _check_references(bundle)
    return bundle


def _check_manifest(manifest: dict, raw: dict[str, bytes]) -> None:
    """A manifest lists SHA-256 digests; a tampered or truncated file is refused."""
    import hashlib

    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        return
    for name, meta in files.items():
        expected = meta.get("sha256") if isinstance(meta, dict) else None
        if expected is None:
            continue
        if name not in raw:
            raise BundleError("is listed in manifest.json but missing from the bundle", file=name)
        actual = hashlib.sha256(raw[name]).hexdigest()
        if actual != expected:
            raise BundleError("does not match its SHA-256 in manifest.json (changed or truncated after export)",
                              file=name)
