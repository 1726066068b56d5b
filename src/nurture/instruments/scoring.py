"""Scoring: keyed item scores → scale scores, bands and safety flags.

One kernel scores a matrix of keyed item scores (respondents × items) for one
instrument. :func:`score` (one response set) and :func:`score_table` (a whole long
table of item responses, as in ``item_responses.csv``) both feed that kernel, so a
survey submission and a bulk re-score can never disagree.

Missing items: a scale is scored when no more than its ``max_missing`` items are
unanswered; a sum is then prorated (mean of answered keyed items × number of items,
rounded half up to the scale's decimals). Otherwise the score is missing — never
zero — and the reason is kept. ``na`` answers score as the definition says, or are
unscored (counted as unanswered) when it gives no score.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ResponseError
from .model import Instrument, Method

COLUMNS = ("participant_id", "timepoint", "instrument", "item", "value")
SCORE_COLUMNS = ["participant_id", "timepoint", "instrument", "scale", "score", "n_items", "band", "prorated",
                 "missing_reason", "instrument_version", "scoring_version"]
FLAG_COLUMNS = ["participant_id", "timepoint", "instrument", "rule", "severity", "subject", "observed", "partial"]
UNANSWERED_SAFETY = "safety_item_unanswered"


@dataclass(frozen=True)
class ScaleScore:
    instrument: str
    scale: str
    score: float | None
    n_items: int  # answered (scored) items
    n_items_total: int
    prorated: bool
    band: str | None
    band_flag: bool
    missing_reason: str | None
    instrument_version: str
    scoring_version: str


@dataclass(frozen=True)
class SafetyFlag:
    """A safety rule that fired.

    ``observed`` is the keyed item score or the scale score that crossed the
    threshold. When too many items are missing for the scale to be scored, a rule
    still fires if the answered items already cross the threshold whatever the
    missing ones would be (``partial`` is then true and ``observed`` is that bound).
    """

    rule: str  # a rule id, or "safety_item_unanswered"
    severity: str
    subject: str  # "item 10" / "scale total"
    observed: float | None
    message: dict[str, str] = field(default_factory=dict)
    topic: str = "distress"
    partial: bool = False


@dataclass(frozen=True)
class ScoreSet:
    instrument: str
    scales: tuple[ScaleScore, ...]
    flags: tuple[SafetyFlag, ...]

    def __getitem__(self, scale_id: str) -> ScaleScore:
        for s in self.scales:
            if s.scale == scale_id:
                return s
        raise KeyError(scale_id)

    @property
    def urgent(self) -> bool:
        return any(f.severity == "urgent" for f in self.flags)


@dataclass
class TableScores:
    scores: pd.DataFrame
    flags: pd.DataFrame


# --------------------------------------------------------------------------- kernel


def _round_half_up(x: np.ndarray, decimals: int) -> np.ndarray:
    factor = 10.0**decimals
    # The small epsilon keeps 12.25 (stored as 12.2499999…) rounding up, as a person would.
    return np.floor(x * factor + 0.5 + 1e-9) / factor


def _score_matrix(inst: Instrument, keyed: np.ndarray) -> list[dict]:
    """Score every scale for a (respondents × items) matrix of keyed scores (NaN = unanswered)."""
    column = {item.id: j for j, item in enumerate(inst.items)}
    results = []
    for scale in inst.scales:
        sub = keyed[:, [column[i] for i in scale.items]]
        answered = ~np.isnan(sub)
        n_answered = answered.sum(axis=1)
        n = len(scale.items)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.where(answered, sub, 0.0).sum(axis=1)
            mean = total / n_answered
        complete = n_answered == n
        allowed = (n - n_answered) <= scale.max_missing
        if scale.method == Method.SUM:
            prorated = allowed & ~complete & scale.prorate
            value = np.where(complete, total, np.where(prorated, _round_half_up(mean * n, scale.decimals), np.nan))
            if not scale.prorate:
                value = np.where(complete, total, np.nan)
        else:
            prorated = np.zeros(len(sub), dtype=bool)
            value = np.where(allowed & (n_answered > 0), _round_half_up(mean, scale.decimals), np.nan)
        results.append({"scale": scale, "score": value, "n_answered": n_answered, "prorated": prorated})
    return results


def _missing_reason(scale, n_answered: int) -> str:
    n = len(scale.items)
    if n_answered == 0:
        return "no items answered"
    return f"{n - n_answered} of {n} items missing (at most {scale.max_missing} allowed)"


def _band_index(scale, scores: np.ndarray) -> np.ndarray:
    if not scale.bands:
        return np.full(len(scores), -1)
    starts = np.array([b.start for b in scale.bands])
    idx = np.searchsorted(starts, np.nan_to_num(scores, nan=-np.inf), side="right") - 1
    return np.where(np.isnan(scores), -1, idx)


def _key_table(inst: Instrument) -> tuple[np.ndarray, int]:
    """(items × value span) table of keyed scores, NaN where a value is not in an item's coding."""
    rated = [i for i in inst.items if i.kind == "rated"]
    if not rated:
        return np.full((len(inst.items), 1), np.nan), 0
    vmin = min(i.min_value for i in rated)
    vmax = max(i.max_value for i in rated)
    table = np.full((len(inst.items), vmax - vmin + 1), np.nan)
    for j, item in enumerate(inst.items):
        if item.kind == "rated":
            for v in item.values:
                table[j, v - vmin] = item.keyed(v)
    return table, vmin


# --------------------------------------------------------------------------- one response set


@dataclass(frozen=True)
class _Compiled:
    """What scoring one response set needs, worked out once per instrument definition."""

    index: dict[str, int]  # item id → column
    keyed: tuple[dict, ...]  # per item: coded value (int or its plain string, "na") → keyed score
    text: tuple[bool, ...]  # per item: an open-text item (never scored)


_compiled: dict[int, tuple[object, _Compiled]] = {}


def _compile(inst: Instrument) -> _Compiled:
    import weakref

    cached = _compiled.get(id(inst))
    if cached is not None and cached[0]() is inst:
        return cached[1]
    keyed = []
    for item in inst.items:
        table: dict = {}
        if item.kind == "rated":
            for v in item.values:
                table[v] = table[str(v)] = float(item.keyed(v))
            if item.na_allowed:
                table["na"] = np.nan if item.na_score is None else float(item.na_score)
        keyed.append(table)
    compiled = _Compiled({item.id: j for j, item in enumerate(inst.items)}, tuple(keyed),
                         tuple(item.kind == "text" for item in inst.items))
    _compiled[id(inst)] = (weakref.ref(inst, lambda _, key=id(inst): _compiled.pop(key, None)), compiled)
    return compiled


def _fast_matrix(inst: Instrument, responses: Mapping[str, object]) -> np.ndarray | None:
    """The (1 × items) keyed matrix for answers in their plain coded form (what the survey
    stores), or None for anything else — which then takes the full validating path."""
    compiled = _compile(inst)
    row = [np.nan] * len(inst.items)
    for item_id, value in responses.items():
        j = compiled.index.get(item_id) if type(item_id) is str else None
        if j is None:
            return None
        kind = type(value)
        if value is None or (kind is str and value == ""):
            continue
        if kind is not str and (kind is not int or compiled.text[j]):
            return None
        if compiled.text[j]:
            continue
        score_ = compiled.keyed[j].get(value)
        if score_ is None:
            return None
        row[j] = score_
    return np.array([row], dtype=float)


def score(inst: Instrument, responses: Mapping[str, object]) -> ScoreSet:
    """Score one person's answers to one instrument.

    ``responses`` maps item id to the coded value (an int, a numeric string, ``"na"``,
    or ``None`` / ``""`` for unanswered). Text items may carry any text and are not
    scored. Raises :class:`ResponseError` for an unknown item or a value outside the
    item's coding.

    Answers in their plain coded form (as the survey stores them) are looked up in a
    table compiled once per instrument; anything else (spaces, ``"1.0"``, floats, bad
    values) goes through the same validating parser as whole tables.
    """
    if inst.structure_only:
        raise ResponseError(f"{inst.short_name} is structure-only: a licensed site must supply its scoring")
    matrix = _fast_matrix(inst, responses)
    if matrix is None:
        matrix = _slow_matrix(inst, responses)
    scales = []
    results = _score_matrix(inst, matrix)
    for r in results:
        scale = r["scale"]
        value = float(r["score"][0])
        band_i = int(_band_index(scale, r["score"])[0])
        band = scale.bands[band_i] if band_i >= 0 else None
        missing = np.isnan(value)
        scales.append(ScaleScore(
            instrument=inst.id, scale=scale.id, score=None if missing else value,
            n_items=int(r["n_answered"][0]), n_items_total=len(scale.items), prorated=bool(r["prorated"][0]),
            band=band.label["en"] if band else None, band_flag=bool(band and band.flag),
            missing_reason=_missing_reason(scale, int(r["n_answered"][0])) if missing else None,
            instrument_version=inst.version, scoring_version=inst.scoring_version))
    flags = []
    index = {item.id: j for j, item in enumerate(inst.items)}
    by_scale = {r["scale"].id: r["score"] for r in results}
    for rule in inst.safety:
        observed, fires, partial = _rule_hits(inst, rule, matrix, by_scale, index)
        if fires[0]:
            flags.append(SafetyFlag(rule.id, rule.severity.value, rule.subject, float(observed[0]), rule.message,
                                    rule.topic.value, bool(partial[0])))
    for item_id in sorted(inst.safety_items, key=lambda i: index[i]):
        if np.isnan(matrix[0, index[item_id]]):
            flags.append(SafetyFlag(UNANSWERED_SAFETY, "follow_up", f"item {item_id}", None,
                                    {"en": f"Safety item {item_id} of {inst.short_name} was not answered.",
                                     "es": f"El ítem de seguridad {item_id} de {inst.short_name} no se respondió."}))
    return ScoreSet(inst.id, tuple(scales), tuple(flags))


def _slow_matrix(inst: Instrument, responses: Mapping[str, object]) -> np.ndarray:
    frame = pd.DataFrame({
        "participant_id": "p", "timepoint": "t", "instrument": inst.id,
        "item": [str(k) for k in responses], "value": [_as_cell(v) for v in responses.values()],
    }, columns=list(COLUMNS))
    try:
        rows = np.arange(len(frame))
        keyed = _keyed_long(inst, _parse(frame["item"], frame["value"]), rows, 0)
    except ResponseError as exc:
        raise ResponseError(exc.problem, column=exc.column) from None
    matrix = np.full((1, len(inst.items)), np.nan)
    answered = ~np.isnan(keyed["score"])
    matrix[0, keyed["item"][answered]] = keyed["score"][answered]
    return matrix


_COMPARE = {">": np.greater, ">=": np.greater_equal, "==": np.equal, "<": np.less, "<=": np.less_equal}


def _keyed_range(inst: Instrument) -> tuple[np.ndarray, np.ndarray]:
    """Per item, the lowest and highest keyed score an answer can have (NaN for text items)."""
    low = np.full(len(inst.items), np.nan)
    high = np.full(len(inst.items), np.nan)
    for j, item in enumerate(inst.items):
        if item.kind != "rated":
            continue
        keyed = [item.keyed(v) for v in item.values] + ([item.na_score] if item.na_score is not None else [])
        low[j], high[j] = min(keyed), max(keyed)
    return low, high


def _rule_hits(inst: Instrument, rule, matrix: np.ndarray, by_scale: dict, index: dict):
    """Evaluate one safety rule for every row of a (respondents × items) keyed matrix.

    Returns (observed, fires, partial). An item rule looks at the keyed item score. A
    scale rule looks at the scale score; when that is missing because too many items
    are unanswered, it fires if the rule holds for *every* way the missing items could
    have been answered — the answered items alone already reach the threshold — so a
    mother who skipped questions is never silently below a cut-off she has crossed.
    """
    compare = _COMPARE[rule.op]
    if rule.item:
        observed = matrix[:, index[rule.item]]
        with np.errstate(invalid="ignore"):
            fires = compare(observed, rule.threshold) & ~np.isnan(observed)
        return observed, fires, np.zeros(len(observed), dtype=bool)
    score = by_scale[rule.scale]
    with np.errstate(invalid="ignore"):
        fires = compare(score, rule.threshold) & ~np.isnan(score)
    observed = score.copy()
    partial = np.zeros(len(score), dtype=bool)
    if rule.op == "==":
        return observed, fires, partial
    scale = inst.scale(rule.scale)
    cols = [index[i] for i in scale.items]
    sub = matrix[:, cols]
    missing = np.isnan(sub)
    low, high = _keyed_range(inst)
    answered_sum = np.where(missing, 0.0, sub).sum(axis=1)
    # The bound that is least favourable to firing: the smallest possible total for
    # ">"/">=" rules, the largest for "<"/"<=" rules.
    fill = low[cols] if rule.worse_is_higher else high[cols]
    bound = answered_sum + np.where(missing, fill, 0.0).sum(axis=1)
    if scale.method == Method.MEAN:
        bound = bound / len(cols)
    answered_any = (~missing).any(axis=1)
    with np.errstate(invalid="ignore"):
        by_bound = np.isnan(score) & answered_any & compare(bound, rule.threshold)
    observed = np.where(by_bound, bound, observed)
    return observed, fires | by_bound, by_bound


def _as_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ResponseError(f"{value!r} is not a coded response", column="value")
    return value


# --------------------------------------------------------------------------- validation of long data


def _parse_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (numbers, is_na, is_blank, is_bad) for the distinct values of a value column
    (:func:`_parse` hands it the categories or the factorized values, never a categorical)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        num = values.to_numpy(dtype=float)
        blank = np.isnan(num)
        return num, np.zeros(len(num), bool), blank, np.zeros(len(num), bool)
    text = values.astype(object)
    is_null = text.isna().to_numpy()
    as_str = text.where(~is_null, "").astype(str).str.strip()
    lowered = as_str.str.lower()
    blank = is_null | (as_str == "").to_numpy()
    na = (lowered == "na").to_numpy()
    num = pd.to_numeric(as_str.where(~(blank | na), None), errors="coerce").to_numpy(dtype=float)
    bad = ~blank & ~na & np.isnan(num)
    return num, na, blank, bad


@dataclass
class _Parsed:
    """A long table of responses reduced to codes, parsed once for every instrument.

    Items and values are kept as codes into their distinct labels, and each distinct value
    is parsed once (``num``, ``na``, ``blank``, ``bad`` are per distinct value, the last
    entry standing for a missing cell), so checking and keying a million rows works on a
    few hundred (item, value) pairs and then spreads the answers back to the rows.
    """

    item_codes: np.ndarray  # per row, codes into item_labels
    item_labels: np.ndarray
    pairs: np.ndarray  # per row, item code × len(num) + value code (a missing cell: the last value)
    num: np.ndarray
    na: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    raw_values: pd.Series


def _parse(items: pd.Series, values: pd.Series) -> _Parsed:
    codes, labels = _codes(items)
    labels = np.asarray([str(x).strip() for x in labels], dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        value_codes, uniques = values.cat.codes.to_numpy(), pd.Series(values.cat.categories)
    elif values.dtype == object and any(isinstance(v, (bool, np.bool_)) for v in values.tolist()):
        # pandas finds True equal to 1 (and False to 0): each cell is its own value here,
        # so a yes/no is refused where it was given and a 1 beside it is still a 1.
        value_codes, uniques = np.arange(len(values)), values.reset_index(drop=True)
    else:
        value_codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
        uniques = pd.Series(uniques, dtype=values.dtype if len(uniques) else object)
    if len(uniques):
        num, na, blank, bad = _parse_values(uniques)
    else:
        num, na, blank, bad = (np.zeros(0), np.zeros(0, bool), np.zeros(0, bool), np.zeros(0, bool))
    # the last entry: a missing cell (code -1) is blank
    num, na = np.append(num, np.nan), np.append(na, False)
    blank, bad = np.append(blank, True), np.append(bad, False)
    n_values = len(num)
    # One code per row for its (item, value) pair: a missing cell (code -1) takes the last value slot.
    wide = len(labels) * n_values >= 2**31
    value_codes = value_codes.astype(np.int64 if wide else np.int32, copy=False)
    pair = codes.astype(value_codes.dtype) * n_values + value_codes
    pair[value_codes < 0] += n_values
    return _Parsed(codes.astype(np.int32, copy=False), labels, pair, num, na, blank, bad, values)


def _count_in_place(space: int, rows: int) -> bool:
    """Whether a table over every (item, value) combination is small next to the rows."""
    return space <= 4 * rows + 65536


def _keyed_long(inst: Instrument, parsed: _Parsed, rows: np.ndarray, row_offset: int):
    """Validate one instrument's rows; return item index, keyed score (NaN unanswered) and 'given' per row.

    The checks and the keying run once per distinct (item, value) pair found in the rows;
    a problem is reported at the first row (in file order) holding an offending pair.
    """
    ids = [item.id for item in inst.items]
    n_values = len(parsed.num)  # distinct values + the missing cell (code -1 → last)
    pair_of_row = parsed.pairs[rows]
    space = len(parsed.item_labels) * n_values
    if _count_in_place(space, len(rows)):  # few distinct pairs possible: a table over every pair
        present = np.zeros(space, dtype=bool)
        present[pair_of_row] = True
        pairs = np.flatnonzero(present)
        slot_of_row = None  # each row's answer is looked up by its pair code
    else:  # many distinct values (free text): sort instead of a table over every combination
        pairs, slot_of_row = np.unique(pair_of_row, return_inverse=True)
        del pair_of_row

    def per_row(per_pair: np.ndarray) -> np.ndarray:
        """A value for each distinct pair, spread to the rows."""
        if slot_of_row is not None:
            return per_pair[slot_of_row]
        table = np.zeros(space, dtype=per_pair.dtype)
        table[pairs] = per_pair
        return table[pair_of_row]

    def first_row(mask: np.ndarray) -> int:
        """Position (within ``rows``) of the first row whose pair is flagged in ``mask``."""
        return int(np.flatnonzero(per_row(mask))[0])

    def row_item(k: int) -> int:
        return int(per_row(item_codes)[k])

    label_map = pd.Categorical(parsed.item_labels, categories=ids).codes.astype(np.int64) \
        if len(parsed.item_labels) else np.zeros(0, dtype=np.int64)
    item_codes = label_map[pairs // n_values]  # per pair: the instrument's item index
    value_codes = pairs % n_values
    unknown = item_codes < 0
    if unknown.any():
        k = first_row(unknown)
        raise ResponseError(f"{inst.short_name} has no item {parsed.item_labels[parsed.item_codes[rows[k]]]!r} "
                            f"(items are {ids[0]}–{ids[-1]})", row=int(rows[k]) + row_offset, column="item")
    num, na = parsed.num[value_codes], parsed.na[value_codes]
    blank, bad = parsed.blank[value_codes], parsed.bad[value_codes]
    text_items = np.array([item.kind == "text" for item in inst.items])
    is_text = text_items[item_codes]
    bad = bad & ~is_text
    if bad.any():
        k = first_row(bad)
        raise ResponseError(f"{parsed.raw_values.iloc[rows[k]]!r} is not a number for {inst.short_name} item "
                            f"{ids[row_item(k)]}", row=int(rows[k]) + row_offset, column="value")
    table, vmin = _key_table(inst)
    rated = ~is_text & ~blank & ~na
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(num) & (np.floor(num) == num)
    span = table.shape[1]
    offset = np.where(rated & whole, num - vmin, -1).astype(np.int64)
    in_span = (offset >= 0) & (offset < span)
    keyed = np.full(len(num), np.nan)
    keyed[in_span] = table[item_codes[in_span], offset[in_span]]
    invalid = rated & np.isnan(keyed)
    if invalid.any():
        k = first_row(invalid)
        item = inst.items[row_item(k)]
        shown = parsed.raw_values.iloc[rows[k]]
        raise ResponseError(f"{shown!r} is outside the {inst.short_name} item {item.id} coding "
                            f"{item.min_value}–{item.max_value}", row=int(rows[k]) + row_offset, column="value")
    if na.any():
        na_allowed = np.array([i.na_allowed for i in inst.items])[item_codes]
        refused = na & ~na_allowed & ~is_text
        if refused.any():
            k = first_row(refused)
            raise ResponseError(f"{inst.short_name} item {ids[row_item(k)]} does not allow 'na'",
                                row=int(rows[k]) + row_offset, column="value")
        na_scores = np.array([np.nan if i.na_score is None else i.na_score for i in inst.items])
        keyed = np.where(na & ~is_text, na_scores[item_codes], keyed)
    score = np.where(is_text, np.nan, keyed)
    return {"item": per_row(item_codes), "score": per_row(score)}


# --------------------------------------------------------------------------- whole tables


_PARALLEL_ROWS = 500_000  # rows from which a table's instruments are scored on two threads


def score_table(frame: pd.DataFrame, library, *, source: str = "", row_offset: int = 2,
                categorical: bool = False) -> TableScores:
    """Score a long table of item responses (the ``item_responses.csv`` format).

    ``categorical``: the scores' text columns (ids, instrument, scale, band, versions) and
    the flags' participant and timepoint come as pandas categoricals, codes into their
    distinct values, rather than one Python string per row — the same values, for a caller
    that only writes them out and summarises the flags (``nurture score``).

    Validates every row first: an unknown instrument or item, a value outside the
    coding, ``na`` where it is not allowed, or two answers to the same item by the
    same participant at the same timepoint raise :class:`ResponseError` naming the
    row (file line: position + ``row_offset``) and column.
    """
    missing_cols = [c for c in COLUMNS if c not in frame.columns]
    if missing_cols:
        raise ResponseError(f"missing column {missing_cols[0]!r} (needs {', '.join(COLUMNS)})", source=source,
                            row=1)
    n = len(frame)
    if n == 0:
        return TableScores(pd.DataFrame(columns=SCORE_COLUMNS), pd.DataFrame(columns=FLAG_COLUMNS))
    for col in ("participant_id", "timepoint", "instrument", "item"):
        k = _first_blank(frame[col])
        if k is not None:
            raise ResponseError(f"{col} is empty", row=k + row_offset, column=col, source=source)
    p_codes, p_uniques = _codes(frame["participant_id"])
    t_codes, t_uniques = _codes(frame["timepoint"])
    # A respondent is a participant × timepoint; the product code is dense enough to index arrays.
    if len(p_uniques) * len(t_uniques) >= 2**31:
        p_codes = p_codes.astype(np.int64)
    resp_codes = p_codes * len(t_uniques) + t_codes
    del p_codes, t_codes
    inst_codes, inst_uniques = _codes(frame["instrument"])
    n_resp = int(resp_codes.max()) + 1
    parsed = _parse(frame["item"], frame["value"])
    # Each instrument's rows, in file order, from one stable sort (not a scan per instrument).
    by_instrument = np.argsort(inst_codes, kind="stable").astype(np.int32 if n < 2**31 else np.int64)
    bounds = np.concatenate(([0], np.cumsum(np.bincount(inst_codes, minlength=len(inst_uniques)))))
    order = [(str(inst_uniques[code]), by_instrument[bounds[code]:bounds[code + 1]])
             for code in np.argsort([str(u) for u in inst_uniques])]
    order = [(inst_id, rows) for inst_id, rows in order if len(rows)]  # (a category no row uses)

    def scored(inst_id: str, rows: np.ndarray):
        if inst_id not in library or library.get(inst_id).structure_only:
            return None  # refused below, in its turn
        return _score_rows(library.get(inst_id), parsed, rows, resp_codes, n_resp, row_offset)

    # A large table's instruments are scored two at a time: numpy leaves the interpreter
    # lock while it gathers and counts. Results (and the first problem) are taken in order;
    # a small table is scored on the caller's thread, one instrument after the other.
    workers = min(2, os.cpu_count() or 1) if n >= _PARALLEL_ROWS else 1
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        pending = [pool.submit(scored, inst_id, rows) for inst_id, rows in order] if pool else None
        score_parts, flag_parts = [], []
        for k, (inst_id, rows) in enumerate(order):
            if inst_id not in library:
                raise ResponseError(f"unknown instrument {inst_id!r} (known: {', '.join(library.ids())})",
                                    row=int(rows[0]) + row_offset, column="instrument", source=source)
            inst = library.get(inst_id)
            if inst.structure_only:
                raise ResponseError(f"{inst.short_name} is structure-only: a licensed site must supply its "
                                    "scoring", row=int(rows[0]) + row_offset, column="instrument", source=source)
            try:
                resp, scores, flags = pending[k].result() if pool else scored(inst_id, rows)
            except ResponseError as exc:
                raise ResponseError(exc.problem, row=exc.row, column=exc.column, source=source) from None
            score_parts.append((inst, resp, scores))
            flag_parts.append((inst, flags))
    finally:
        if pool:  # after a problem, instruments not yet begun are not scored
            pool.shutdown(wait=True, cancel_futures=True)
    return _assemble(score_parts, flag_parts, p_uniques, t_uniques, resp_codes, categorical)


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and their labels; a categorical column already has them."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int32, copy=False)  # (read only: no copy needed)
        return codes, np.asarray(column.cat.categories, dtype=object)
    codes, uniques = pd.factorize(column, sort=False)
    return codes.astype(np.int32, copy=False), np.asarray(uniques, dtype=object)


def _first_blank(column: pd.Series) -> int | None:
    """The position of the first empty (or missing) cell, None when there is none."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cats = np.array([str(c).strip() == "" for c in column.cat.categories] + [True])
        codes = column.cat.codes.to_numpy()
        if not cats[:-1].any() and (len(codes) == 0 or codes.min() >= 0):
            return None  # no empty category and no missing cell: nothing to look for row by row
        blank = cats[codes]  # code -1 (missing) picks the final True
    else:
        text = column.astype(object)
        blank = text.isna().to_numpy() | (text.astype(str).str.strip() == "").to_numpy()
    return int(np.flatnonzero(blank)[0]) if blank.any() else None


def _score_rows(inst, parsed, rows, resp_codes, n_resp, row_offset):
    long = _keyed_long(inst, parsed, rows, row_offset)
    r = resp_codes[rows]
    n_items = len(inst.items)
    present = np.zeros(n_resp, dtype=bool)
    present[r] = True
    respondents = np.flatnonzero(present)
    if len(respondents) < n_resp:  # number the respondents of this instrument from 0
        local = np.full(len(present), -1, dtype=r.dtype)
        local[respondents] = np.arange(len(respondents), dtype=r.dtype)
        r = local[r]
    wide = len(respondents) * n_items >= 2**31
    flat = r.astype(np.int64 if wide else np.int32, copy=False) * n_items
    flat += long["item"]  # each row's cell in the (respondent × item) matrix
    counts = np.bincount(flat, minlength=len(respondents) * n_items)
    if counts.max(initial=0) > 1:
        dup = np.flatnonzero(counts[flat] > 1)[1]
        raise ResponseError(f"a second answer to {inst.short_name} item {inst.items[long['item'][dup]].id} "
                            "for the same participant and timepoint", row=int(rows[dup]) + row_offset, column="item")
    matrix = np.full((len(respondents), n_items), np.nan)
    matrix.ravel()[flat] = long["score"]  # one answer per cell; an unscored answer leaves its NaN
    results = _score_matrix(inst, matrix)
    flags = _table_flags(inst, matrix, results)
    return respondents, results, flags


def _table_flags(inst, matrix, results) -> list[tuple]:
    index = {item.id: j for j, item in enumerate(inst.items)}
    by_scale = {r["scale"].id: r["score"] for r in results}
    out = []
    for rule in inst.safety:
        observed, fires, partial = _rule_hits(inst, rule, matrix, by_scale, index)
        hit = np.flatnonzero(fires)
        out.append((hit, rule.id, rule.severity.value, rule.subject, observed[hit], partial[hit]))
    for item_id in sorted(inst.safety_items, key=lambda i: index[i]):
        hit = np.flatnonzero(np.isnan(matrix[:, index[item_id]]))
        out.append((hit, UNANSWERED_SAFETY, "follow_up", f"item {item_id}", np.full(len(hit), np.nan),
                    np.zeros(len(hit), dtype=bool)))
    return out


def _labelled(codes: np.ndarray, labels, categorical: bool):
    """Text for each code: a categorical over the distinct labels, or an object array."""
    if categorical:
        inverse, labels = pd.factorize(np.asarray(labels, dtype=object))  # distinct; a missing label → -1
        return pd.Categorical.from_codes(inverse[codes] if len(inverse) else codes,
                                         categories=pd.Index(labels, dtype=object))
    return np.asarray(labels, dtype=object)[codes]


def _assemble(score_parts, flag_parts, p_uniques, t_uniques, resp_codes,
              categorical: bool = False) -> TableScores:
    # Map each respondent code back to its participant and timepoint labels.
    n_resp = int(resp_codes.max()) + 1
    resp_p = np.arange(n_resp) // len(t_uniques)
    resp_t = np.arange(n_resp) % len(t_uniques)
    p_labels = np.asarray(p_uniques, dtype=object)
    t_labels = np.asarray(t_uniques, dtype=object)
    # Build every column as one numpy array (pandas concatenation of many small
    # frames costs more than the scoring itself at 100,000 participants).
    band_labels: list[str | None] = [None]
    meta = []  # per (instrument, scale) block: instrument, scale, versions
    cols = {k: [] for k in ("resp", "block", "score", "n_items", "band", "prorated")}
    reasons = []
    for inst, respondents, results in score_parts:
        for r in results:
            scale = r["scale"]
            block = len(meta)
            meta.append((inst.id, scale.id, inst.version, inst.scoring_version))
            values = r["score"]
            band_idx = _band_index(scale, values)
            offset = len(band_labels)
            band_labels.extend(b.label["en"] for b in scale.bands)
            cols["resp"].append(respondents)
            cols["block"].append(np.full(len(values), block))
            cols["score"].append(values)
            cols["n_items"].append(r["n_answered"])
            cols["band"].append(np.where(band_idx >= 0, band_idx + offset, 0))
            cols["prorated"].append(r["prorated"])
            reason = np.full(len(values), None, dtype=object)
            for k in np.flatnonzero(np.isnan(values)):
                reason[k] = _missing_reason(scale, int(r["n_answered"][k]))
            reasons.append(reason)
    arrays = {k: np.concatenate(v) for k, v in cols.items()}
    arrays["reason"] = np.concatenate(reasons)
    resp = arrays["resp"]
    order = np.lexsort((arrays["block"], resp_t[resp], resp_p[resp]))
    arrays = {k: v[order] for k, v in arrays.items()}
    resp, block = arrays["resp"], arrays["block"]
    meta_cols = [_labelled(block, [m[i] for m in meta], categorical) for i in range(4)]
    scores = pd.DataFrame({
        "participant_id": _labelled(resp_p[resp], p_labels, categorical),
        "timepoint": _labelled(resp_t[resp], t_labels, categorical),
        "instrument": meta_cols[0], "scale": meta_cols[1], "score": arrays["score"],
        "n_items": arrays["n_items"], "band": _labelled(arrays["band"], band_labels, categorical),
        "prorated": arrays["prorated"], "missing_reason": arrays["reason"],
        "instrument_version": meta_cols[2], "scoring_version": meta_cols[3],
    }, columns=SCORE_COLUMNS)
    flag_frames, flag_resp = [], []
    for (inst, respondents, _), (_, flags) in zip(score_parts, flag_parts, strict=True):
        for hit, rule, severity, subject, observed, partial in flags:
            if len(hit) == 0:
                continue
            flag_resp.append(respondents[hit])
            flag_frames.append(pd.DataFrame({
                "instrument": inst.id, "rule": rule, "severity": severity, "subject": subject,
                "observed": observed, "partial": partial,
            }, index=range(len(hit))))
    if not flag_frames:
        return TableScores(scores, pd.DataFrame(columns=FLAG_COLUMNS))
    flags = pd.concat(flag_frames, ignore_index=True)
    resp_ids = np.concatenate(flag_resp)
    flags.insert(0, "participant_id", _labelled(resp_p[resp_ids], p_labels, categorical))
    flags.insert(1, "timepoint", _labelled(resp_t[resp_ids], t_labels, categorical))
    return TableScores(scores, flags[FLAG_COLUMNS])
