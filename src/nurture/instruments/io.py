"""Reading item-response files and writing score files (the bundle formats).

Row numbers in messages are physical lines of the file (the header is line 1), so
they stay right after blank lines and inside quoted cells that hold line breaks.
Identifiers are trimmed of surrounding spaces; two spellings of one identifier that
differ only in case or spacing are refused rather than read as two people.
"""

from __future__ import annotations

import csv
import io
import mmap
import os
import sys
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ResponseError
from .scoring import COLUMNS

_FEW_VALUES = {"timepoint", "instrument", "item", "value"}  # columns the reader codes while parsing
SCORES_CSV_COLUMNS = ["participant_id", "timepoint", "instrument", "scale", "score", "n_items", "band"]
ID_COLUMNS = ("participant_id", "timepoint", "instrument", "item")


def read_item_responses(path: Path) -> pd.DataFrame:
    """Read ``item_responses.csv`` as text (no guessing of types), checking its shape.

    The frame's ``attrs["lines"]`` holds the file line of every row (see :func:`relocate`).
    """
    path = Path(path)
    name = path.name
    header = _simple_header(_mapped(path))  # looked at in place: pyarrow reads the file itself
    fast = _read_columnar(path, header) if header is not None else None
    if fast is None:
        raw = _read_bytes(path)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise ResponseError("is not UTF-8 text (save it as CSV UTF-8)", source=name, row=line) from None
        del raw
        fast = _read_plain(text)
    if fast is not None:
        frame, lines = fast
        header = list(frame.columns)
    else:
        header, rows, line_list = parse_csv(text, name)
        frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else \
            pd.DataFrame(columns=header, dtype=object)
        lines = np.asarray(line_list, dtype=np.int64)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in COLUMNS:
        if column not in frame.columns:
            raise ResponseError(f"missing column {column!r} (needs {', '.join(COLUMNS)})",
                                source=name, row=1, column=column)
    for column in (*ID_COLUMNS, "value"):
        frame[column] = _stripped_categories(frame[column])
    if fast is not None and "pyarrow" in sys.modules:  # the columnar reader's buffers, whose codes the
        sys.modules["pyarrow"].default_memory_pool().release_unused()  # frame now holds: back to the system
    check_identifiers(frame, ID_COLUMNS, lines, name)
    frame.attrs["lines"] = FileLines(lines)
    return frame


class FileLines(np.ndarray):
    """The file line of every row, kept in a frame's ``attrs``.

    pandas deep-copies ``attrs`` into every frame and column derived from the frame; a
    copy of one number per row each time was most of the memory (and much of the time)
    of scoring a large file. The lines never change, so a copy is the same array.
    """

    def __new__(cls, lines):
        return np.asarray(lines, dtype=np.int64).view(cls)

    def __deepcopy__(self, memo):
        return self


def _read_plain(text: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The common case fast: a file without quotes, where every physical line is one row.

    Returns None (so the careful reader runs, and words any problem) when the file has
    quotes, NUL bytes, a blank first line or rows whose width differs from the header's.
    Line widths and blank lines are found with array arithmetic on the bytes.
    """
    if '"' in text or "\x00" in text or not text.strip():
        return None
    end = text.find("\n")
    if not _distinct_names((text if end < 0 else text[:end]).split(",")):
        return None  # a column named twice: pandas would rename one, the careful reader refuses the file
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    if len(ends) == 0 or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # the last line has no newline
    starts = np.concatenate(([0], ends[:-1] + 1))
    commas = np.concatenate(([0], np.cumsum(data == 44)))
    content = np.concatenate(([0], np.cumsum(~np.isin(data, (9, 10, 13, 32, 44)))))
    width = commas[ends] - commas[starts]
    blank = (content[ends] - content[starts]) == 0  # nothing but commas and spaces
    if blank[0] or (~blank & (width != width[0])).any():
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False,
                            engine="c")
    except (pd.errors.ParserError, ValueError):
        return None
    keep = ~blank[1:]
    if len(frame) != len(keep) or len(frame.columns) != width[0] + 1:
        return None
    return frame[keep].reset_index(drop=True), np.flatnonzero(keep).astype(np.int64) + 2


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ResponseError("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise ResponseError("is a folder, not a CSV file", source=str(path)) from None
    except OSError as exc:
        raise ResponseError(f"cannot be read ({exc.strerror})", source=str(path)) from None


def _mapped(path: Path) -> bytes | mmap.mmap:
    """The file's bytes, mapped rather than read (a large file is not copied into memory);
    an empty file as empty bytes. The errors of :func:`_read_bytes`."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except (OSError, ValueError):
        return _read_bytes(path)  # words the problem (no such file, a folder…), or reads what cannot be mapped


def _simple_header(raw: bytes | mmap.mmap) -> list[str] | None:
    """The header of a file the columnar reader can take, checked on the bytes (nothing is
    decoded): no quotes, NUL bytes or lone carriage returns, not blank, distinct non-empty
    column names. None otherwise (the readers below word any problem; pyarrow itself refuses
    invalid UTF-8 in the cells)."""
    start = 3 if raw[:3] == b"\xef\xbb\xbf" else 0
    if raw.find(b'"') >= 0 or raw.find(b"\x00") >= 0 or not raw[start:start + 4096].strip():
        return None  # (a file that opens with 4 kB of spaces goes to the careful reader too)
    if raw.find(b"\r") >= 0 and not _crlf_only(raw):
        return None
    end = raw.find(b"\n")
    try:
        header = raw[start:end if end >= 0 else len(raw)].decode("utf-8").rstrip("\r").split(",")
    except UnicodeDecodeError:
        return None
    if not _distinct_names(header) or not all(h.strip() for h in header):
        return None
    return header


def _distinct_names(header: list[str]) -> bool:
    """No two column names are the same once trimmed (as every reader trims them)."""
    names = [h.strip() for h in header]
    return len(set(names)) == len(names)


def _crlf_only(raw: bytes | mmap.mmap, chunk: int = 1 << 24) -> bool:
    """Every carriage return starts a \r\n (line ends as Excel saves them), counted a chunk at
    a time: a mapped file is never copied whole."""
    for start in range(0, len(raw), chunk):
        part = raw[start:start + chunk + 1]  # a byte more: the \r\n that crosses into the next chunk
        if part.count(b"\r", 0, chunk) != part.count(b"\r\n"):
            return False
    return True


def _read_columnar(path: Path, header: list[str]) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The common case fastest: a file without quotes where every line is one row of the
    header's width (see :func:`_simple_header`), parsed by pyarrow's CSV reader and each
    column dictionary-encoded (codes and the distinct texts only: no Python string per cell).

    Returns None — and the readers below take over and word any problem — without
    pyarrow, or for a line of another width, an empty line or a row of empty cells.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        from pyarrow import csv as pa_csv
    except ImportError:
        return None
    coded = pa.dictionary(pa.int32(), pa.string())
    # Columns of few distinct values (timepoint, instrument, item, value) are coded as they
    # are parsed; identifiers (and any other column) are parsed as text and coded a block at
    # a time on every core — pyarrow's coding while parsing is slow for many distinct values.
    types = {h: coded if h.strip() in _FEW_VALUES else pa.string() for h in header}
    try:
        table = pa_csv.read_csv(
            pa.input_stream(str(path), compression=None),  # no guessing of compression from the name; BOM skipped
            read_options=pa_csv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=types, null_values=[],
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, ValueError, OSError):
        return None
    num_rows = table.num_rows
    encoded = {}
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for name in table.column_names:
            column = table.column(name)
            if not pa.types.is_dictionary(column.type):
                column = pa.chunked_array(list(pool.map(pc.dictionary_encode, column.chunks)), type=coded)
            # one dictionary for all the blocks: joining them then joins only their codes
            column = pa.table({name: column}).unify_dictionaries().column(0).combine_chunks()
            encoded[name] = (column.dictionary.to_pylist(), column.indices.to_numpy(zero_copy_only=False))
    table = column = None  # the text columns are no longer needed: give their memory back to the system,
    pa.default_memory_pool().release_unused()  # which pyarrow's allocator would otherwise keep
    columns = {}
    blank_row: np.ndarray | bool = True  # per row, all its cells so far are blank (False: no row can be)
    for name, (categories, codes) in encoded.items():
        codes = codes.astype(np.int32, copy=False)
        blank = np.array([c.strip() == "" for c in categories], dtype=bool)
        if blank_row is not False:  # (a missing cell, code -1, would count as blank: the last entry)
            blank_row = np.append(blank, True)[codes] & blank_row if blank.any() or codes.min(initial=0) < 0 \
                else False
        if name.strip() in COLUMNS:
            columns[name] = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
        else:  # other columns stay plain text, as the careful reader gives them
            columns[name] = np.asarray(categories, dtype=object)[codes]
    if np.any(blank_row):
        return None  # rows of empty cells are skipped, and the lines counted, by the readers below
    return pd.DataFrame(columns), np.arange(num_rows, dtype=np.int64) + 2


def _stripped_categories(column: pd.Series) -> pd.Series:
    """Text cells trimmed, as a categorical column (scoring works on its codes).

    Categories keep the order of first appearance, so scores come out in the file's order.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):  # read columnar: already codes and distinct texts
        codes, uniques = column.cat.codes.to_numpy(), np.asarray(column.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(column.to_numpy(dtype=object))
        uniques = np.asarray(uniques, dtype=object)
    trimmed = np.asarray([str(u).strip() for u in uniques], dtype=object)
    categories = pd.unique(trimmed)
    if len(categories) != len(uniques) or (trimmed != uniques).any():
        position = {c: i for i, c in enumerate(categories)}
        codes = np.asarray([position[t] for t in trimmed], dtype=np.int64)[codes] if len(codes) else codes
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=column.index)


def parse_csv(text: str, name: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and the physical line where each row starts.

    Blank lines (and rows of empty cells) are skipped; a row with more or fewer cells
    than the header, a NUL byte or an unclosed quote is refused with its line.
    """
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise ResponseError("contains a NUL byte: is this a CSV file?", source=name, row=line)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    width = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ResponseError(f"is not a readable CSV file ({exc})", source=name, row=start) from None
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [h.strip() for h in row]
            width = len(header)
            seen = set()
            for h in header:
                if h in seen and h:
                    raise ResponseError(f"column {h!r} appears twice in the header", source=name, row=start, column=h)
                seen.add(h)
            continue
        if len(row) != width:
            raise ResponseError(f"has {len(row)} cells, the header has {width}", source=name, row=start)
        rows.append(row)
        lines.append(start)
    if header is None:
        raise ResponseError("the file is empty (it needs a header row)", source=name, row=1)
    return header, rows, lines


def _normal(value: str) -> str:
    return "".join(value.split()).casefold()


def _distinct_when_normal(uniques: list[str]) -> bool:
    """True when no identifier holds a space and no two are equal once case-folded: then no
    two differ only in case or spacing (:func:`_normal` of each is its casefold). One pass
    over the joined text instead of one call per identifier; False means look closer."""
    joined = "\x00".join(uniques)  # identifiers hold no NUL: it is refused as invisible first
    if len(joined.split()) > 1 or (joined[:1].isspace() or joined[-1:].isspace()):
        return False
    keys = joined.casefold().split("\x00")
    return len(keys) == len(uniques) and len(set(keys)) == len(uniques)


def check_identifiers(frame: pd.DataFrame, columns, lines, name: str) -> None:
    """Refuse invisible characters in identifiers and spellings that differ only in case or spacing."""
    for column in columns:
        values = frame[column]
        uniques = [u for u in (values.cat.categories if isinstance(values.dtype, pd.CategoricalDtype)
                               else pd.unique(values)) if isinstance(u, str)]
        # str.isprintable is False for every control, format, private-use and surrogate
        # character, so one call clears the usual file; the loop finds which one otherwise.
        for u in ([] if "".join(uniques).isprintable() else uniques):
            bad = next((c for c in u if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs")), None)
            if bad is not None:
                k = int(np.flatnonzero((values == u).to_numpy())[0])
                raise ResponseError(f"{u!r} holds an invisible character (U+{ord(bad):04X}); retype it",
                                    source=name, row=lines[k], column=column)
        if _distinct_when_normal(uniques):
            continue  # the usual file: no two spellings of one identifier, found without a loop
        groups: dict[str, str] = {}
        for u in uniques:
            key = _normal(u)
            if key in groups and groups[key] != u:
                first = int(np.flatnonzero((values == groups[key]).to_numpy())[0])
                second = int(np.flatnonzero((values == u).to_numpy())[0])
                raise ResponseError(
                    f"{u!r} and {groups[key]!r} (row {lines[first]}) differ only in case or spacing; "
                    "use one spelling for one identifier", source=name, row=lines[second], column=column)
            groups.setdefault(key, u)


def relocate(exc: ResponseError, frame: pd.DataFrame, source: str) -> ResponseError:
    """A scoring error raised with 0-based positions (``row_offset=0``), given its file line."""
    lines = frame.attrs.get("lines")
    row = exc.row
    if row is not None and lines is not None and 0 <= row < len(lines):
        row = int(lines[row])
    return ResponseError(exc.problem, row=row, column=exc.column, source=source)


def _csv_cell(text: str) -> str:
    """One cell of a CSV file, quoted only when it holds a comma, a quote or a line break."""
    return '"' + text.replace('"', '""') + '"' if '"' in text or "," in text or "\n" in text or "\r" in text \
        else text


def _text_column(column: pd.Series, *, whole: bool = False) -> tuple[np.ndarray, list[str]]:
    """A column as CSV text: codes into its distinct cells, each formatted and quoted (once)
    only if it must be; a missing value is an empty cell. ``whole``: numbers written as integers."""
    codes, uniques = pd.factorize(column, sort=False)  # a missing value → -1
    if whole:
        cells = [str(int(u)) for u in uniques]
    else:
        cells = [_csv_cell(str(u)) for u in uniques]
    cells.append("")
    return codes % len(cells), cells


def write_scores(scores: pd.DataFrame, path: Path | None, *, chunk_rows: int = 200_000) -> None:
    """Write scores.csv to ``path`` (whole or not at all) or to standard output.

    The same bytes as ``csv.writer`` with ``\\n`` line ends (a lone carriage return, which
    identifiers cannot hold, is quoted too). Distinct cells are formatted
    and quoted once; pyarrow's CSV writer then writes the rows in batches (the text of
    the whole file is never held in memory), or — without pyarrow, or when a cell needed
    quotes — Python joins them, a chunk of rows at a time.
    """
    columns = []
    for name in SCORES_CSV_COLUMNS:
        if name == "score":
            # scores take few distinct values: each is formatted once (%.10g; missing → empty)
            codes, uniques = pd.factorize(scores["score"].to_numpy(dtype=float, na_value=np.nan), sort=False)
            cells = [f"{v:.10g}" for v in uniques.tolist()] + [""]
            columns.append((codes % len(cells), cells))
        else:
            columns.append(_text_column(scores[name], whole=name == "n_items"))
    quoted = any(cell.startswith('"') for _, cells in columns for cell in cells)

    def write(fh) -> None:
        fh.write((",".join(SCORES_CSV_COLUMNS) + "\n").encode("utf-8"))
        if not quoted and _write_columnar(fh, columns, len(scores)):
            return
        texts = [np.asarray(cells, dtype=object)[codes] if len(codes) else np.zeros(0, dtype=object)
                 for codes, cells in columns]
        for start in range(0, len(scores), chunk_rows):
            part = [c[start:start + chunk_rows] for c in texts]
            fh.write(("\n".join(map(",".join, zip(*part, strict=True))) + "\n").encode("utf-8"))

    if path is None:
        sys.stdout.flush()
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    write_atomically(Path(path), write)


def _write_columnar(fh, columns, rows: int) -> bool:
    """The rows through pyarrow's CSV writer, cells as they are (none needs quotes); False without pyarrow."""
    try:
        import pyarrow as pa
        from pyarrow import csv as pa_csv
    except ImportError:
        return False
    if rows == 0:
        return True
    # written as codes into their cells: the writer turns a batch at a time into text
    arrays = [pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(cells, pa.string()))
              for codes, cells in columns]
    table = pa.table(arrays, names=SCORES_CSV_COLUMNS)
    pa_csv.write_csv(table, fh, write_options=pa_csv.WriteOptions(include_header=False, quoting_style="none",
                                                                  batch_size=65536))
    return True


def write_atomically(path: Path, content) -> None:
    """Write a file so that a reader (or a failure) never sees half of it; missing folders are made.

    ``content`` is bytes, or a function that writes to the open binary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
