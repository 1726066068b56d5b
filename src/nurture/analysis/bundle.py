"""The study bundle: schema, loading (folder, zip or a single scores CSV) and validation.

Validation runs before any analysis and stops at the first problem with a
:class:`BundleError` naming the file, the row and the column. Rows are physical lines
of the file (the header is line 1), so they stay right after blank lines and inside
quoted cells that hold line breaks.

What is refused rather than guessed: identifiers that differ only in case or spacing
(one mother is never split into two), numbers that are not finite, scores outside
their scale's range (when the caller knows the ranges), a zip holding two copies of a
file, a zip that would inflate beyond :data:`MAX_FILE_BYTES`, and a manifest that is
not an object with a SHA-256 for every file read.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MAX_FILE_BYTES = 64 * 1024 * 1024  # one inflated file of a bundle zip
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # every file of a bundle zip together
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
ID_COLUMNS = ("participant_id", "session_id")

STATUSES = ("referred", "screened", "eligible", "ineligible", "consented", "enrolled", "completed", "withdrawn",
            "lost")
TIMEPOINTS = ("pre", "post")
ALERT_SEVERITIES = ("urgent", "follow_up")
ALERT_STATUSES = ("open", "acknowledged", "closed")
ALERT_OUTCOMES = ("contacted_mother", "safety_plan", "referred", "emergency_services", "could_not_reach",
                  "already_in_care", "entry_error")
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
        # Version 3: categorical reasons and the denominators known at the data date.
        Column("reason_code"), Column("post_due", "bool"), Column("first_week", "int", minimum=1, maximum=52),
        Column("referral_month", "int", minimum=1), Column("enrollment_month", "int", minimum=1),
    ), key=("participant_id",)),
    FileSchema("sessions.csv", (
        _req("session_id"), _req("cohort"), _req("week", "int", minimum=1, maximum=52),
        _req("component", "enum", choices=("mother", "infant", "dyad")), _req("date", "date", nullable=True),
        _req("mode", "enum", choices=("in_person", "online")), Column("held", "bool"),
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
    FileSchema("alerts.csv", (
        _req("participant_id"), _req("instrument"), _req("rule"), _req("severity", "enum", choices=ALERT_SEVERITIES),
        Column("timepoint", "enum", choices=("screening",) + TIMEPOINTS), Column("raised_on", "date"),
        Column("status", "enum", choices=ALERT_STATUSES), Column("minutes_to_acknowledgement", "float", minimum=0),
        Column("minutes_to_close", "float", minimum=0), Column("outcome", "enum", choices=ALERT_OUTCOMES),
        Column("raised_again", "bool"), Column("target_minutes", "float", minimum=1),
    )),
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
    lines: dict[str, np.ndarray] = field(default_factory=dict)  # file line of every row, per file

    def has(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def meta(self, key: str, default=None):
        """A value from manifest.json (``default`` without a manifest or the key)."""
        if not isinstance(self.manifest, dict):
            return default
        return self.manifest.get(key, default)

    @property
    def data_date(self) -> dt.date | None:
        """The day the data describe (the export date); checked when the manifest is read."""
        value = self.meta("data_date")
        return dt.date.fromisoformat(value) if value else None

    def line(self, name: str, position: int) -> int:
        """The file line of the row at ``position`` (0-based) of a table."""
        lines = self.lines.get(name)
        return int(lines[position]) if lines is not None and 0 <= position < len(lines) else position + 2


ScoreRanges = dict[tuple[str, str], tuple[float, float]]  # (instrument, scale) -> (lowest, highest)


def read_csv_lines(name: str, raw: bytes, *, pad_short_rows: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """A CSV file as text cells, with the physical line where every row starts.

    Blank lines (and rows of empty cells) are skipped; a row with more or fewer cells
    than the header, a NUL byte, an unclosed quote or text that is not UTF-8 is refused
    with its line. ``pad_short_rows`` fills missing trailing cells with blanks instead
    (for files whose last columns are commonly left off, such as data dictionaries).
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleError("is not UTF-8 text (save it as CSV UTF-8)", file=name,
                          row=raw[:exc.start].count(b"\n") + 1) from None
    if "\x00" in text:
        raise BundleError("contains a NUL byte: is this a CSV file?", file=name,
                          row=text[:text.index("\x00")].count("\n") + 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise BundleError(f"is not a readable CSV file ({exc})", file=name, row=start) from None
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [h.strip() for h in row]
            dup = next((h for i, h in enumerate(header) if h and h in header[:i]), None)
            if dup:
                raise BundleError(f"column {dup!r} appears twice in the header", file=name, row=start, column=dup)
            continue
        if len(row) < len(header) and pad_short_rows:
            row = row + [""] * (len(header) - len(row))
        if len(row) != len(header):
            raise BundleError(f"has {len(row)} cells, the header has {len(header)}", file=name, row=start)
        rows.append(row)
        lines.append(start)
    if header is None:
        raise BundleError("is empty (it needs at least a header row)", file=name, row=1)
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    return frame, np.asarray(lines, dtype=np.int64)


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_column(frame: pd.DataFrame, name: str, col: Column, lines: np.ndarray) -> pd.Series:
    raw = frame[col.name].astype(str).str.strip()
    empty = (raw == "").to_numpy()

    def refuse(problem: str, k: int):
        raise BundleError(problem, file=name, row=int(lines[k]), column=col.name)

    if not col.nullable and empty.any():
        refuse("is empty", _first(empty))
    if col.kind == "str":
        return raw.where(~empty, None)
    if col.kind == "enum":
        bad = ~empty & ~raw.isin(col.choices).to_numpy()
        if bad.any():
            k = _first(bad)
            refuse(f"{raw.iloc[k]!r} is not one of {', '.join(col.choices)}", k)
        return raw.where(~empty, None)
    if col.kind == "bool":
        lowered = raw.str.lower()
        truthy = lowered.isin(["true", "1", "yes"]).to_numpy()
        falsy = lowered.isin(["false", "0", "no"]).to_numpy()
        bad = ~empty & ~truthy & ~falsy
        if bad.any():
            k = _first(bad)
            refuse(f"{raw.iloc[k]!r} is not true or false", k)
        return pd.Series(np.where(empty, None, truthy), index=frame.index, dtype=object)
    if col.kind in ("int", "float"):
        numbers = pd.to_numeric(raw.where(~empty, None), errors="coerce").astype(float)
        bad = ~empty & numbers.isna().to_numpy()
        if bad.any():
            k = _first(bad)
            refuse(f"{raw.iloc[k]!r} is not {'a whole number' if col.kind == 'int' else 'a number'}", k)
        infinite = ~empty & ~np.isfinite(numbers.fillna(0).to_numpy())
        if infinite.any():
            k = _first(infinite)
            refuse(f"{raw.iloc[k]!r} is not a finite number", k)
        if col.kind == "int":
            fraction = ~empty & (numbers.fillna(0) % 1 != 0).to_numpy()
            if fraction.any():
                k = _first(fraction)
                refuse(f"{raw.iloc[k]!r} is not a whole number", k)
        for limit, test, word in ((col.minimum, numbers < (col.minimum or 0), "below"),
                                  (col.maximum, numbers > (col.maximum or 0), "above")):
            if limit is not None:
                out = test.fillna(False).to_numpy()
                if out.any():
                    k = _first(out)
                    refuse(f"{raw.iloc[k]} is {word} the allowed {limit:g}", k)
        return numbers
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
            whole = np.isfinite(as_int.fillna(0.5).to_numpy()) & (as_int.fillna(0.5) % 1 == 0).to_numpy()
            is_offset = present & whole
            if is_offset[present].all():
                offsets_seen = True
                frame[col.name] = as_int.astype(float)
                continue
            parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
            bad = present & parsed.isna().to_numpy()
            if bad.any():
                k = _first(bad)
                raise BundleError(f"{raw.iloc[k]!r} is not a date (YYYY-MM-DD)", file=schema.name,
                                  row=bundle.line(schema.name, k), column=col.name)
            dates_seen = True
            frame[col.name] = parsed
    if offsets_seen and dates_seen:
        raise BundleError("mixes calendar dates and day offsets; a bundle uses one or the other",
                          file=bundle.source)
    bundle.date_offsets = offsets_seen


def _check_identifiers(name: str, frame: pd.DataFrame, lines: np.ndarray) -> None:
    """Refuse invisible characters in ids and two spellings of one id (case or spacing).

    Linear in the rows: the distinct ids are looked at once (one call clears the usual
    table), and a row is searched for only to word a refusal.
    """
    for column in ID_COLUMNS:
        if column not in frame.columns:
            continue
        values = frame[column]
        uniques = [u for u in pd.unique(values) if isinstance(u, str)]

        def refuse(problem: str, u: str, values=values, column=column):
            raise BundleError(problem, file=name, row=int(lines[_first((values == u).to_numpy())]), column=column)

        keys = ["".join(u.split()).casefold() for u in uniques]
        # str.isprintable is False for every control, format, private-use and surrogate
        # character; with distinct keys, the usual table is cleared without a loop
        if "".join(uniques).isprintable() and len(set(keys)) == len(keys):
            continue
        seen: dict[str, str] = {}
        for u, key in zip(uniques, keys, strict=True):  # in order of first appearance: the first problem is told
            bad = next((c for c in u if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs")), None)
            if bad is not None:
                refuse(f"{u!r} holds an invisible character (U+{ord(bad):04X}); retype it", u)
            if key in seen:
                other = _first((values == seen[key]).to_numpy())
                refuse(f"{u!r} and {seen[key]!r} (row {int(lines[other])}) differ only in case or spacing; "
                       "use one spelling for one identifier", u)
            seen[key] = u


def _validate_table(name: str, frame: pd.DataFrame, lines: np.ndarray) -> pd.DataFrame:
    schema = SCHEMA[name]
    for col in schema.columns:
        if col.required and col.name not in frame.columns:
            raise BundleError(f"missing column {col.name!r}", file=name, row=1, column=col.name)
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        if col.name in frame.columns:
            out[col.name] = _check_column(frame, name, col, lines)
    extra = [c for c in frame.columns if c not in out.columns]
    for c in extra:  # unknown columns are carried along untouched
        out[c] = frame[c]
    _check_identifiers(name, out, lines)
    if schema.key:
        dup = out.duplicated(list(schema.key), keep="first").to_numpy()
        if dup.any():
            k = _first(dup)
            key = ", ".join(f"{c}={out[c].iloc[k]}" for c in schema.key)
            raise BundleError(f"repeats {key}", file=name, row=int(lines[k]), column=schema.key[-1])
    return out


def _check_references(bundle: Bundle) -> None:
    people = bundle.get("participants.csv")
    sessions = bundle.get("sessions.csv")
    checks = [("attendance.csv", "participant_id", people, "participants.csv"),
              ("attendance.csv", "session_id", sessions, "sessions.csv"),
              ("fidelity.csv", "session_id", sessions, "sessions.csv")]
    # With participants.csv present, every other file speaks of the same people: an id
    # that is not there is a typo that would otherwise become a new participant.
    checks += [(name, "participant_id", people, "participants.csv")
               for name in ("scores.csv", "item_responses.csv", "feedback.csv", "observations.csv",
                            "coded_segments.csv", "alerts.csv")]
    for name, column, target, label in checks:
        frame = bundle.get(name)
        if frame is None or target is None:
            continue
        # a transcript segment belongs to no participant
        unknown = (~frame[column].isin(set(target[column])) & frame[column].notna()).to_numpy()
        if unknown.any():
            k = _first(unknown)
            raise BundleError(f"{frame[column].iloc[k]!r} is not in {label}", file=name, row=bundle.line(name, k),
                              column=column)
    fidelity = bundle.get("fidelity.csv")
    if fidelity is not None:
        over = (fidelity["items_delivered"] > fidelity["items_planned"]).to_numpy()
        if over.any():
            k = _first(over)
            raise BundleError("items_delivered is more than items_planned", file="fidelity.csv",
                              row=bundle.line("fidelity.csv", k), column="items_delivered")


def check_score_ranges(bundle: Bundle, ranges: ScoreRanges) -> None:
    """Refuse a score outside its scale's range, and a scale its instrument does not have.

    ``ranges`` comes from the instrument library (the caller's, so this module stays
    independent of it). Instruments it does not know are analysed as they are.
    """
    scores = bundle.get("scores.csv")
    if scores is None or not ranges or not len(scores):
        return
    scales: dict[str, list[str]] = {}
    for instrument, scale in ranges:
        scales.setdefault(instrument, []).append(scale)
    instruments = scores["instrument"].to_numpy()
    scale_ids = scores["scale"].to_numpy()
    values = scores["score"].to_numpy(dtype=float)
    for k in range(len(scores)):
        instrument, scale = instruments[k], scale_ids[k]
        if instrument not in scales:
            continue
        if (instrument, scale) not in ranges:
            raise BundleError(f"{instrument} has no scale {scale!r} (its scales: {', '.join(scales[instrument])})",
                              file="scores.csv", row=bundle.line("scores.csv", k), column="scale")
        low, high = ranges[(instrument, scale)]
        if not np.isnan(values[k]) and not low <= values[k] <= high:
            raise BundleError(f"{values[k]:g} is outside the range of {instrument} {scale} ({low:g} to {high:g})",
                              file="scores.csv", row=bundle.line("scores.csv", k), column="score")


def _read_folder(path: Path) -> dict[str, bytes]:
    """The bundle files of a folder, and any other file its manifest lists (to check its digest)."""
    raw: dict[str, bytes] = {}

    def read(name: str) -> None:
        entry = path / name
        if not entry.exists() or name in raw:
            return
        if entry.is_dir():
            raise BundleError("is a folder, not a file", file=name)
        try:
            raw[name] = entry.read_bytes()
        except OSError as exc:
            raise BundleError(f"cannot be read ({exc.strerror})", file=name) from None

    for name in (*SCHEMA, "manifest.json"):
        read(name)
    try:
        listed = json.loads(raw["manifest.json"].decode("utf-8-sig")).get("files") if "manifest.json" in raw else None
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        listed = None  # reported by _check_manifest
    if isinstance(listed, dict):
        for name in listed:
            if isinstance(name, str) and name == Path(name).name:
                read(name)
    return raw


def _read_zip(path: Path) -> dict[str, bytes]:
    """The bundle files of a zip, refusing ambiguity, damage and unbounded inflation."""
    raw: dict[str, bytes] = {}
    where: dict[str, str] = {}
    total = 0
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                base = Path(info.filename).name
                if not (base in SCHEMA or base == "manifest.json" or base.lower().endswith((".csv", ".json"))):
                    continue
                if base in where:
                    raise BundleError(f"holds two files named {base} ({where[base]} and {info.filename}); a bundle "
                                      "zip holds one of each file", file=path.name)
                where[base] = info.filename
                if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
                    raise BundleError(f"{info.filename} would inflate to {info.file_size:,} bytes, more than a "
                                      f"bundle allows ({MAX_FILE_BYTES:,} per file, {MAX_TOTAL_BYTES:,} in all)",
                                      file=path.name)
                with zf.open(info) as fh:
                    content = fh.read(MAX_FILE_BYTES + 1)  # the header's size may lie: read no more than allowed
                if len(content) > MAX_FILE_BYTES:
                    raise BundleError(f"{info.filename} inflates to more than {MAX_FILE_BYTES:,} bytes",
                                      file=path.name)
                total += len(content)
                raw[base] = content
    except BundleError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BundleError(f"is a damaged zip file ({exc})", file=path.name) from None
    except RuntimeError as exc:  # encrypted members
        raise BundleError(f"cannot be opened ({exc})", file=path.name) from None
    except NotImplementedError as exc:
        raise BundleError(f"uses a compression this program cannot read ({exc})", file=path.name) from None
    except OSError as exc:
        raise BundleError(f"cannot be read ({exc.strerror or exc})", file=path.name) from None
    return raw


def load_bundle(path: str | Path, *, score_ranges: ScoreRanges | None = None) -> Bundle:
    """Load and validate a bundle folder, a bundle zip or a single scores (or item responses) CSV."""
    path = Path(path)
    if not path.exists():
        raise BundleError("no such file or folder", file=str(path))
    if path.is_dir():
        return load_bundle_files(_read_folder(path), path.name, score_ranges=score_ranges)
    if zipfile.is_zipfile(path):
        return load_bundle_files(_read_zip(path), path.name, score_ranges=score_ranges)
    if path.suffix.lower() == ".zip":
        raise BundleError("is not a readable zip file", file=path.name)
    if path.suffix.lower() == ".csv":
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise BundleError(f"cannot be read ({exc.strerror})", file=path.name) from None
        return _load_single_csv(path.name, content, score_ranges)
    raise BundleError("is neither a bundle folder, a bundle zip nor a CSV file", file=path.name)


def _load_single_csv(name: str, content: bytes, score_ranges: ScoreRanges | None) -> Bundle:
    """A lone scores CSV (or item responses CSV, told apart by its header)."""
    frame, lines = read_csv_lines(name, content)
    kind = "item_responses.csv" if {"item", "value"} <= set(frame.columns) and "scale" not in frame.columns \
        else "scores.csv"
    bundle = Bundle(source=name)
    try:
        bundle.tables[kind] = _validate_table(kind, frame, lines)
        bundle.lines[kind] = lines
        _dates(bundle)
        check_score_ranges(bundle, score_ranges or {})
    except BundleError as exc:
        raise BundleError(exc.problem, file=name, row=exc.row, column=exc.column) from None
    return bundle


def load_bundle_files(raw: dict[str, bytes], source: str, *, score_ranges: ScoreRanges | None = None) -> Bundle:
    """Validate a bundle given as file name → bytes (a folder, a zip, or made in memory)."""
    if not any(name in raw for name in SCHEMA):
        raise BundleError(f"holds none of the bundle files ({', '.join(SCHEMA)})", file=source)
    bundle = Bundle(source=source)
    if "manifest.json" in raw:
        try:
            bundle.manifest = json.loads(raw["manifest.json"].decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"is not valid JSON ({exc})", file="manifest.json") from None
        _check_manifest(bundle.manifest, raw)
    for name in SCHEMA:
        if name in raw:
            frame, lines = read_csv_lines(name, raw[name])
            bundle.tables[name] = _validate_table(name, frame, lines)
            bundle.lines[name] = lines
    _dates(bundle)
    _check_references(bundle)
    check_score_ranges(bundle, score_ranges or {})
    return bundle


def _check_manifest(manifest, raw: dict[str, bytes]) -> None:
    """A manifest lists the SHA-256 of every file; a tampered, truncated or unlisted file is refused.

    A manifest that is not an object, or lists a file without a well-formed digest,
    is refused too: a malformed manifest must not switch the check off.
    """
    if not isinstance(manifest, dict):
        raise BundleError("must be a JSON object (with \"files\": {name: {\"sha256\": …}})", file="manifest.json")
    if manifest.get("data_date") is not None:
        try:
            dt.date.fromisoformat(str(manifest["data_date"]))
        except ValueError:
            raise BundleError(f"data_date {manifest['data_date']!r} is not a date (YYYY-MM-DD)",
                              file="manifest.json") from None
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BundleError("needs \"files\": an object giving every file's SHA-256", file="manifest.json")
    for name, meta in files.items():
        expected = meta.get("sha256") if isinstance(meta, dict) else None
        if not isinstance(expected, str) or not SHA256.match(expected):
            raise BundleError(f"files.{name}: needs \"sha256\", 64 hexadecimal digits", file="manifest.json")
        if name not in raw:
            raise BundleError("is listed in manifest.json but missing from the bundle", file=name)
        if hashlib.sha256(raw[name]).hexdigest() != expected.lower():
            raise BundleError("does not match its SHA-256 in manifest.json (changed or truncated after export)",
                              file=name)
    for name in SCHEMA:
        if name in raw and name not in files:
            raise BundleError("is not listed in manifest.json (added after export?)", file=name)
