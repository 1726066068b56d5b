"""Item responses read column by column (pyarrow, categorical codes) give exactly the frame,
the line numbers and the scores of the row-by-row reader."""

import numpy as np
import pandas as pd
import pytest

from nurture.instruments import ResponseError, library, score_table
from nurture.instruments import io as response_io
from nurture.instruments.io import read_item_responses


def rows_reader(monkeypatch):
    monkeypatch.setattr(response_io, "_read_columnar", lambda *args, **kwargs: None)


def write(tmp_path, text):
    path = tmp_path / "items.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_columnar_and_row_reading_agree_on_frame_lines_and_scores(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    lines = ["participant_id,timepoint,instrument,item,value,note"]
    for p in range(120):
        for inst_id in ("epds", "gad7", "pss"):
            for item in library().get(inst_id).rated_items:
                value = rng.choice([*map(str, item.values), "", " 1"] if item.id != "10" else [*map(str, item.values)])
                # spaces around an identifier, an extra column
                lines.append(f"P{p:03d}{' ' if p % 7 == 0 else ''},{('pre', 'post')[p % 2]},{inst_id},"
                             f"{item.id},{value},x{p % 3}")
    # Windows line ends
    path = write(tmp_path, "\r\n".join(lines) + "\r\n")
    header = response_io._simple_header(path.read_bytes())
    assert header is not None and response_io._read_columnar(path, header) is not None
    columnar = read_item_responses(path)
    with monkeypatch.context() as m:
        rows_reader(m)
        by_rows = read_item_responses(path)
    pd.testing.assert_frame_equal(columnar, by_rows)
    np.testing.assert_array_equal(columnar.attrs["lines"], by_rows.attrs["lines"])
    ours = score_table(columnar, library(), row_offset=0)
    theirs = score_table(by_rows, library(), row_offset=0)
    pd.testing.assert_frame_equal(ours.scores, theirs.scores)
    pd.testing.assert_frame_equal(ours.flags, theirs.flags)


def test_a_file_the_columnar_reader_cannot_take_goes_the_careful_way(tmp_path, monkeypatch):
    blank_line = write(tmp_path, "participant_id,timepoint,instrument,item,value\n\nP1,pre,epds,1,0\n")
    assert list(read_item_responses(blank_line).attrs["lines"]) == [3]
    empty_cells = write(tmp_path, "participant_id,timepoint,instrument,item,value\n , ,,,\nP1,pre,epds,1,0\n")
    assert list(read_item_responses(empty_cells).attrs["lines"]) == [3]


@pytest.mark.parametrize("header", ["value,value", "value, value", "value,value "])
def test_a_column_named_twice_is_refused_by_every_reader(tmp_path, monkeypatch, header):
    """Two columns of one name (once trimmed) are ambiguous: which value is the answer?
    No reader may pick one silently — the quoted, plain and columnar files alike."""
    plain = f"participant_id,timepoint,instrument,item,{header}\nP1,pre,epds,10,3,0\n"
    quoted = plain.replace("P1,", '"P1",')
    for text in (plain, quoted):
        for careful in (False, True):
            with monkeypatch.context() as m:
                if careful:
                    rows_reader(m)
                with pytest.raises(ResponseError) as caught:
                    read_item_responses(write(tmp_path, text))
            assert (caught.value.row, caught.value.column) == (1, "value")
            assert "column 'value' appears twice in the header" in str(caught.value)


def test_the_file_lines_are_shared_not_copied_into_every_column(tmp_path):
    """pandas deep-copies ``attrs`` into each derived frame and column; a copy of a number
    per row each time was most of the memory of scoring a large file."""
    path = write(tmp_path, "participant_id,timepoint,instrument,item,value\n" +
                 "".join(f"P{p},pre,gad7,{i},1\n" for p in range(50) for i in range(1, 8)))
    frame = read_item_responses(path)
    lines = frame.attrs["lines"]
    assert list(lines[:3]) == [2, 3, 4] and len(lines) == 350
    assert frame["value"].attrs["lines"] is lines
    assert frame[frame["item"] == "3"].attrs["lines"] is lines


def test_a_plain_csv_named_like_a_compressed_file_is_read_as_it_is(tmp_path):
    path = tmp_path / "items.csv.gz"
    path.write_text("participant_id,timepoint,instrument,item,value\nP1,pre,gad7,1,2\n", encoding="utf-8")
    frame = read_item_responses(path)
    assert list(frame["value"]) == ["2"] and list(frame.attrs["lines"]) == [2]


def test_carriage_returns_are_checked_a_chunk_at_a_time_across_chunk_boundaries():
    """Only \\r\\n line ends go the columnar way; a lone \\r anywhere, even where a chunk ends
    between the \\r and the \\n of another line, sends the file the careful way."""
    rng = np.random.default_rng(4)
    for _ in range(300):
        text = bytes(rng.choice(list(b"ab\r\n,"), size=int(rng.integers(0, 40)))).replace(b"\r\n", b"\n")
        text = text.replace(b"\n", b"\r\n") if rng.random() < 0.5 else text  # half of them: \r\n only
        whole = text.count(b"\r") == text.count(b"\r\n")
        for chunk in (1, 2, 3, 7, 1 << 24):
            assert response_io._crlf_only(text, chunk=chunk) == whole, (text, chunk)
    assert response_io._crlf_only(b"a\r\nb\r\n", chunk=2) and not response_io._crlf_only(b"a\r\rb\r\n", chunk=2)
