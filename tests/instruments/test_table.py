"""Scoring a whole table: the same answers as one-at-a-time, errors naming the row."""

import numpy as np
import pandas as pd
import pytest

from nurture.instruments import ResponseError, library, score, score_table

from .helpers import inst, keyed_all


def long(rows):
    return pd.DataFrame(rows, columns=["participant_id", "timepoint", "instrument", "item", "value"])


def rows_for(pid, tp, definition, values):
    return [(pid, tp, definition.id, k, v) for k, v in values.items()]


def test_table_scores_equal_one_at_a_time_scores_on_random_answers():
    rng = np.random.default_rng(5)
    rows, expected = [], {}
    for instrument_id in ("epds", "gad7", "pss", "kpcs", "rses", "pbq", "ibqr_vsf", "feedback", "psoc", "phq9"):
        definition = inst(instrument_id)
        for p in range(15):
            values = {}
            for item in definition.rated_items:
                if rng.random() < 0.08:
                    continue
                values[item.id] = int(rng.choice(item.values)) if not (item.na_allowed and rng.random() < 0.1) \
                    else "na"
            rows += rows_for(f"P{p:02d}", "pre", definition, {k: str(v) for k, v in values.items()})
            for s in score(definition, values).scales:
                expected[(f"P{p:02d}", instrument_id, s.scale)] = s.score
    result = score_table(long(rows), library()).scores
    got = {(r.participant_id, r.instrument, r.scale): (None if pd.isna(r.score) else r.score)
           for r in result.itertuples()}
    assert got == expected


def test_output_has_one_row_per_participant_timepoint_scale_and_a_missing_score_is_empty():
    epds = inst("epds")
    missing_many = {k: v for k, v in keyed_all(epds, 1).items() if k not in ("1", "2", "3")}
    rows = rows_for("A", "pre", epds, keyed_all(epds, 1)) + rows_for("A", "post", epds, missing_many)
    scores = score_table(long(rows), library()).scores
    assert list(zip(scores.timepoint, scores.scale, scores.score.fillna(-1), strict=True)) == [
        ("pre", "total", 10.0, ), ("pre", "anxiety_3a", 3.0), ("post", "total", -1), ("post", "anxiety_3a", -1)]
    assert scores.missing_reason.iloc[2] == "3 of 10 items missing (at most 2 allowed)"


def test_safety_flags_are_reported_per_participant():
    epds = inst("epds")
    rows = rows_for("A", "pre", epds, keyed_all(epds, 0)) + rows_for("B", "pre", epds, keyed_all(epds, 1))
    flags = score_table(long(rows), library()).flags
    assert list(zip(flags.participant_id, flags.rule, strict=True)) == [("B", "self_harm")]


@pytest.mark.parametrize("bad_row, column, message", [
    (("A", "pre", "epds", "1", "7"), "value", "'7' is outside the EPDS item 1 coding 0–3"),
    (("A", "pre", "epds", "12", "1"), "item", "EPDS has no item '12' (items are 1–10)"),
    (("A", "pre", "edps", "1", "1"), "instrument", "unknown instrument 'edps'"),
    (("A", "pre", "epds", "2", "1"), "item", "a second answer to EPDS item 2"),
    (("A", "pre", "epds", "3", "na"), "value", "EPDS item 3 does not allow 'na'"),
    (("A", "", "epds", "3", "1"), "timepoint", "timepoint is empty"),
])
def test_bad_rows_are_named_by_file_line_and_column(bad_row, column, message):
    rows = [("A", "pre", "epds", "1", "0"), ("A", "pre", "epds", "2", "0"), bad_row]
    with pytest.raises(ResponseError) as info:
        score_table(long(rows), library(), source="items.csv")
    assert (info.value.row, info.value.column) == (4, column)  # header is line 1, so the third row is line 4
    assert str(info.value).startswith(f"items.csv, row 4, column {column}: {message}")


def test_categorical_and_numeric_value_columns_score_the_same():
    gad = inst("gad7")
    frame = long(rows_for("A", "pre", gad, {str(i): i % 4 for i in range(1, 8)}))
    as_text = score_table(frame.astype({"value": str}), library()).scores
    as_cat = score_table(frame.astype({"value": "category", "participant_id": "category"}), library()).scores
    as_num = score_table(frame, library()).scores
    assert as_text.score.tolist() == as_cat.score.tolist() == as_num.score.tolist() == [12.0]  # 1+2+3+0+1+2+3


@pytest.mark.parametrize("in_place", [True, False], ids=["table of pairs", "sorted pairs"])
def test_many_distinct_free_text_answers_score_like_one_at_a_time(in_place, monkeypatch):
    """Thousands of distinct open answers can make the (item, value) pairs too many to count
    in a table over every combination; the sorted way must give the same scores and errors."""
    import nurture.instruments.scoring as scoring

    monkeypatch.setattr(scoring, "_count_in_place", lambda space, rows: in_place)
    definition = inst("feedback")
    rng = np.random.default_rng(11)
    rows, expected = [], {}
    for p in range(1500):
        values = {item.id: str(int(rng.choice(item.values))) for item in definition.rated_items}
        values |= {"open_helpful": f"answer number {p}", "open_change": f"change {p * 7}"}
        rows += rows_for(f"P{p:04d}", "post", definition, values)
        for s in score(definition, {k: v for k, v in values.items() if not k.startswith("open_")}).scales:
            expected[(f"P{p:04d}", s.scale)] = s.score
    frame = long(rows)
    result = score_table(frame, library()).scores
    assert {(r.participant_id, r.scale): (None if pd.isna(r.score) else r.score) for r in result.itertuples()} \
        == expected
    bad = frame.copy()
    bad.loc[len(bad) - 3, "value"] = "seven"  # a rated item near the end, after every free text
    assert bad.loc[len(bad) - 3, "item"] in {i.id for i in definition.rated_items}
    with pytest.raises(ResponseError) as caught:
        score_table(bad, library())
    assert caught.value.row == len(bad) - 3 + 2 and caught.value.column == "value"


@pytest.mark.parametrize("ids", [["P1", "P2"], ["P,1", 'P"2']], ids=["plain cells", "cells that need quotes"])
def test_scores_csv_is_what_the_csv_module_writes(tmp_path, ids):
    """Both ways of writing scores.csv (pyarrow's writer, Python's joins when a cell needs
    quotes) give csv.writer's bytes: %.10g scores, integer item counts, empty missing cells."""
    import csv
    import io

    from nurture.instruments.io import SCORES_CSV_COLUMNS, write_scores

    scores = pd.DataFrame({
        "participant_id": [ids[0], ids[0], ids[1], ids[1]], "timepoint": "pre", "instrument": "ibqr_vsf",
        "scale": ["surgency", "negative_affect", "surgency", "negative_affect"],
        "score": [4.333333333333333, 12.0, np.nan, -0.0], "n_items": [12, 11, 0, 12],
        "band": [None, "high", None, None]})
    path = tmp_path / "scores.csv"
    write_scores(scores, path)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(SCORES_CSV_COLUMNS)
    for r in scores.itertuples():
        writer.writerow([r.participant_id, r.timepoint, r.instrument, r.scale,
                         "" if pd.isna(r.score) else f"{r.score:.10g}", r.n_items, r.band or ""])
    assert path.read_text(encoding="utf-8") == expected.getvalue()


def test_a_yes_no_is_refused_where_it_was_given_even_beside_a_one():
    """pandas finds True equal to 1: values are not merged across Python types, so a
    yes/no answer is refused at its own row and a 1 beside it stays a valid answer."""
    def table(instrument, items, values):
        return long([("p", "pre", instrument, i, v) for i, v in zip(items, values, strict=True)])

    with pytest.raises(ResponseError) as caught:
        score_table(table("epds", ["1", "2"], [1, True]), library())
    assert (caught.value.row, caught.value.column) == (3, "value") and "True is not a number" in caught.value.problem
    # a yes/no in an open question is text; the 1 of a rated question beside it is a 1
    scored = score_table(table("feedback", ["open_helpful", "1"], [True, 1]), library()).scores
    assert not scored.empty


def test_safety_records_come_once_per_hit_whatever_the_index():
    from nurture.instruments.flags import flag_records

    rows = [("a", "pre", "epds", str(i), "0") for i in range(1, 10)] + [("a", "pre", "epds", "10", "3")]
    flags = score_table(long(rows), library()).flags
    assert len(flags) >= 1
    doubled = pd.concat([flags, flags])  # an index with repeats, as concatenated frames have
    assert len(flag_records(doubled)) == 2 * len(flags)


def _summary_one_record_at_a_time(records, limit):
    """The summary as it was built before, record by record: the reference for the columnar one."""
    lines = [f"safety: {len(records)} rule hit(s) for {len({r['participant_id'] for r in records})} "
             "participant(s); nothing is stored, so no alert is raised: follow them up"]
    groups = {}
    for r in records:
        groups.setdefault((r["severity"], r["instrument"], r["rule"], r["subject"]), []).append(r)
    for (severity, instrument, rule, subject), hits in groups.items():
        shown = ", ".join(f"{h['participant_id']} {h['timepoint']}" for h in hits[:limit])
        more = f" and {len(hits) - limit} more" if len(hits) > limit else ""
        lines.append(f"  {severity.replace('_', '-'):<9} {instrument} {rule} ({subject}): {shown}{more}")
    return lines


def test_safety_summary_from_the_frame_equals_the_summary_of_the_records():
    from nurture.instruments.flags import flag_records, summary_lines

    rng = np.random.default_rng(11)
    rows = []
    for p in range(60):  # ids that sort differently as text and as numbers, several timepoints, three instruments
        for tp in ("pre", "post"):
            epds = {str(i): str(rng.integers(0, 4)) for i in range(1, 11) if rng.random() > 0.1}
            rows += [(f"M{p}", tp, "epds", k, v) for k, v in epds.items()]
            rows += [(f"M{p}", tp, "gad7", str(i), str(rng.integers(0, 4))) for i in range(1, 8)]
            rows += [(f"M{p}", tp, "phq9", str(i), str(rng.integers(0, 4))) for i in range(1, 10)
                     if i != 9 or rng.random() > 0.2]
    frame = long(rows).sample(frac=1, random_state=3).reset_index(drop=True)  # hits found out of order
    flags = score_table(frame, library()).flags
    flags = pd.concat([flags.iloc[::2], flags.iloc[1::2]])  # an index with gaps and in no order
    records = flag_records(flags)
    assert len({(r["severity"], r["instrument"], r["rule"]) for r in records}) >= 4
    for limit in (3, 20, 1000):
        expected = _summary_one_record_at_a_time(records, limit)
        assert summary_lines(flags, limit=limit) == expected
        assert summary_lines(records, limit=limit) == expected
    assert any(" more" in line for line in summary_lines(flags, limit=3))
    assert summary_lines(flags.iloc[:0]) == summary_lines([]) == ["safety: no rule hits"]
    # ``nurture score`` hands over categorical ids, in order of first appearance: the hits
    # still come in the order of the ids' text.
    coded = score_table(frame, library(), categorical=True).flags
    assert isinstance(coded["participant_id"].dtype, pd.CategoricalDtype)
    assert list(coded["participant_id"].cat.categories) != sorted(coded["participant_id"].cat.categories)
    coded = pd.concat([coded.iloc[::2], coded.iloc[1::2]])
    assert flag_records(coded) == records
    for limit in (3, 20):
        assert summary_lines(coded, limit=limit) == _summary_one_record_at_a_time(records, limit)


def _battery_rows(rng, participants: int) -> list[tuple]:
    rows = []
    for p in range(participants):
        for instrument_id in ("epds", "gad7", "pss", "kpcs", "pbq"):
            for item in inst(instrument_id).rated_items:
                if rng.random() > 0.05:
                    rows.append((f"P{p}", "pre", instrument_id, item.id, str(rng.choice(item.values))))
    return rows


def test_a_large_table_scored_on_two_threads_equals_the_table_scored_on_one(monkeypatch):
    import nurture.instruments.scoring as scoring

    frame = long(_battery_rows(np.random.default_rng(4), 300)).sample(frac=1, random_state=1)
    monkeypatch.setattr(scoring, "_PARALLEL_ROWS", 10**9)
    one = score_table(frame.reset_index(drop=True), library())
    monkeypatch.setattr(scoring, "_PARALLEL_ROWS", 0)
    two = score_table(frame.reset_index(drop=True), library())
    pd.testing.assert_frame_equal(one.scores, two.scores)
    pd.testing.assert_frame_equal(one.flags, two.flags)
    assert len(one.flags) and one.scores["score"].notna().sum() > 1000


@pytest.mark.parametrize("threads", [False, True], ids=["one thread", "two threads"])
@pytest.mark.parametrize("bad, message", [
    ({"instrument": "aaa"}, "unknown instrument 'aaa'"),  # sorts before every instrument with a problem
    ({"instrument": "zzz"}, "'9' is outside the EPDS item 1 coding 0–3"),  # the EPDS problem comes first
])
def test_with_several_problems_the_first_instrument_in_name_order_is_named(threads, bad, message, monkeypatch):
    import nurture.instruments.scoring as scoring

    monkeypatch.setattr(scoring, "_PARALLEL_ROWS", 0 if threads else 10**9)
    rows = _battery_rows(np.random.default_rng(2), 40)
    rows.append(("P1", "pre", "gad7", "1", "8"))  # a second answer, and out of range, in a later instrument
    rows.insert(5, ("P0", "pre", bad["instrument"], "1", "1"))
    rows.append(("P0", "post", "epds", "1", "9"))
    with pytest.raises(ResponseError) as caught:
        score_table(long(rows), library(), source="items.csv")
    assert message in str(caught.value)


def test_categorical_scores_hold_the_same_values_and_write_the_same_file(tmp_path):
    """``nurture score`` asks for categorical text columns: the same cells, the same scores.csv."""
    from nurture.instruments.io import write_scores

    rng = np.random.default_rng(8)
    rows = []
    for p in ("P,3", "P1", "p2", "P10"):  # one id that needs quotes in the file
        for tp in ("post", "pre"):
            for instrument_id in ("epds", "ibqr_vsf", "pss"):  # bands, scales without bands, missing scores
                for item in inst(instrument_id).rated_items:
                    if rng.random() < (0.6 if instrument_id == "ibqr_vsf" and p == "p2" else 0.05):
                        continue
                    rows.append((p, tp, instrument_id, item.id, str(rng.choice(item.values))))
    frame = long(rows)
    plain = score_table(frame, library()).scores
    codes = score_table(frame, library(), categorical=True).scores
    assert isinstance(codes["participant_id"].dtype, pd.CategoricalDtype)
    assert plain["score"].isna().any() and plain["band"].isna().any() and plain["band"].notna().any()
    assert list(codes.columns) == list(plain.columns)
    for column in plain.columns:
        assert [None if pd.isna(v) else v for v in codes[column].astype(object)] == \
            [None if pd.isna(v) else v for v in plain[column]], column
    write_scores(plain, tmp_path / "plain.csv")
    write_scores(codes, tmp_path / "codes.csv")
    assert (tmp_path / "codes.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    assert b'"P,3"' in (tmp_path / "codes.csv").read_bytes()
