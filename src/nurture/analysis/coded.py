"""Coded data: reliability of double-coded observation ratings and theme codes, coder drift,
and theme frequencies with exemplar quotes. Pure Python; the statistics come from
:mod:`nurture.analysis.agreement`.

The coding pages of the live study and ``nurture analyze`` (from a bundle's
``observations.csv`` and ``coded_segments.csv``) both call these functions, so the
numbers on screen and in the report are the same.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from .agreement import cohen_kappa, icc, krippendorff_alpha, percent_agreement


def _icc_choice(pairs: list[dict]) -> str:
    # Shrout & Fleiss: when every double-coded unit has the same two coders they are a
    # random sample of coders crossing all units (case 2, absolute agreement); when the
    # pair varies from unit to unit, each unit has its own coders (case 1).
    coder_sets = {frozenset((p["coder_1"], p["coder_2"])) for p in pairs}
    return "ICC2" if len(coder_sets) == 1 else "ICC1"


def _oriented(p: dict) -> list:
    # Columns are raters: put the two coders' scores in the same (sorted) order on every
    # unit, or a two-way ICC would mix the coders up.
    if str(p["coder_1"]) <= str(p["coder_2"]):
        return [p["score_1"], p["score_2"]]
    return [p["score_2"], p["score_1"]]


def _pair_stats(pairs: list[dict]) -> dict:
    matrix = [_oriented(p) for p in pairs]
    out: dict = {"n": len(pairs)}
    diffs = [abs(float(a) - float(b)) for a, b in matrix]
    out["mean_abs_diff"] = sum(diffs) / len(diffs) if diffs else None
    form = _icc_choice(pairs) if pairs else "ICC1"
    out["icc_form"] = form
    try:
        out["icc"] = icc(matrix)[form] if len(pairs) >= 2 else None
    except ValueError as exc:
        out["icc"] = None
        out["icc_reason"] = str(exc)
    if out["icc"] is None and "icc_reason" not in out:
        out["icc_reason"] = "fewer than two double-coded units"
    try:
        out["alpha"] = krippendorff_alpha(matrix, "interval")["estimate"] if pairs else None
    except ValueError:
        out["alpha"] = None
    return out


def scale_reliability(pairs: list[dict], scale_names: dict[str, str] | None = None) -> list[dict]:
    """Inter-coder reliability of each scale from double-coded units.

    Parameters
    ----------
    pairs : list of dict
        One per double-coded unit × scale: ``scale``, ``unit``, ``coder_1``, ``score_1``,
        ``coder_2``, ``score_2`` (each coder's own score, before any consensus).
    scale_names : dict, optional
        Display names by scale id.

    Returns
    -------
    list of dict
        Per scale, in order of first appearance: ``scale``, ``name``, ``n``, ``icc_form``,
        ``icc`` (``{"estimate", "ci95", "F", "df1", "df2", "p"}`` or None with
        ``icc_reason``), ``alpha`` (Krippendorff, interval), ``mean_abs_diff``.

    Notes
    -----
    The ICC is single-measure: the reliability of one coder's score, which is what a
    singly coded unit rests on. ICC2 (two-way random, absolute agreement) when the
    same two coders coded every double-coded unit, ICC1 (one-way random) otherwise.
    """
    by_scale: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        if p.get("score_1") is None or p.get("score_2") is None:
            continue
        by_scale[p["scale"]].append(p)
    names = scale_names or {}
    return [{"scale": scale, "name": names.get(scale, scale), **_pair_stats(rows)} for scale, rows in by_scale.items()]


def coder_drift(pairs: list[dict], blocks: int = 3, min_per_block: int = 3,
                scale_names: dict[str, str] | None = None) -> list[dict]:
    """Agreement over time: double-coded units in the order they were coded, cut into blocks.

    Parameters
    ----------
    pairs : list of dict
        As for :func:`scale_reliability`, plus ``coded_on`` (anything that sorts: a date,
        an ISO string or a day number — the later of the two codings).
    blocks : int
        How many consecutive blocks to cut each scale's units into.
    min_per_block : int
        Fewer units than ``blocks × min_per_block`` give fewer blocks.

    Returns
    -------
    list of dict
        Per scale: ``scale``, ``name`` and ``blocks``, a list of ``{"block", "first",
        "last", "n", "icc", "mean_abs_diff"}`` in coding order. Agreement that falls
        from block to block is drift; the report shows it next to the overall value.
    """
    names = scale_names or {}
    by_scale: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        if p.get("score_1") is not None and p.get("score_2") is not None and p.get("coded_on") is not None:
            by_scale[p["scale"]].append(p)
    out = []
    for scale, rows in by_scale.items():
        rows = sorted(rows, key=lambda p: (p["coded_on"], str(p["unit"])))
        k = max(1, min(blocks, len(rows) // min_per_block))
        size, extra = divmod(len(rows), k)
        cuts, start = [], 0
        for b in range(k):
            end = start + size + (1 if b < extra else 0)
            cuts.append(rows[start:end])
            start = end
        out.append({"scale": scale, "name": names.get(scale, scale), "blocks": [
            {"block": i + 1, "first": chunk[0]["coded_on"], "last": chunk[-1]["coded_on"],
             **{k2: v for k2, v in _pair_stats(chunk).items() if k2 in ("n", "icc", "mean_abs_diff", "icc_form")}}
            for i, chunk in enumerate(cuts) if chunk]})
    return out


def code_agreement(segments: list[dict], codes: list[str], labels: dict[str, str] | None = None) -> dict:
    """Agreement of two coders on which codes apply to each double-coded segment.

    Parameters
    ----------
    segments : list of dict
        One per double-coded segment: ``codes_1`` and ``codes_2``, the sets of codes each
        coder applied (before consensus).
    codes : list of str
        Every code of the codebook, in codebook order.

    Returns
    -------
    dict
        ``n`` (segments), ``identical`` (share with exactly the same codes), and
        ``codes``: per code ``{"code", "label", "n_1", "n_2", "both", "kappa",
        "agreement"}``, where kappa is Cohen's kappa of present/absent over the
        double-coded segments (None when neither coder, or both coders on every
        segment, used the code), and ``mean_kappa`` over codes with a kappa.
    """
    labels = labels or {}
    n = len(segments)
    out: dict = {"n": n, "identical": (sum(set(s["codes_1"]) == set(s["codes_2"]) for s in segments) / n) if n
                 else None, "codes": []}
    kappas = []
    for code in codes:
        ratings = [[int(code in s["codes_1"]), int(code in s["codes_2"])] for s in segments]
        n1 = sum(r[0] for r in ratings)
        n2 = sum(r[1] for r in ratings)
        if not n1 and not n2:
            continue
        kappa = cohen_kappa(ratings)["estimate"] if n >= 2 else None
        if kappa is not None:
            kappas.append(kappa)
        out["codes"].append({"code": code, "label": labels.get(code, code), "n_1": n1, "n_2": n2,
                             "both": sum(r[0] and r[1] for r in ratings), "kappa": kappa,
                             "agreement": percent_agreement(ratings)["estimate"] if ratings else None})
    out["mean_kappa"] = sum(kappas) / len(kappas) if kappas else None
    return out


def theme_frequencies(segments: list[dict], themes: list[dict], n_quotes: int = 2) -> list[dict]:
    """How often each theme and code was applied, with exemplar quotes.

    Parameters
    ----------
    segments : list of dict
        One per finally coded segment: ``unit``, ``participant_id`` (empty for a
        transcript), ``codes`` (final codes), optional ``text`` (already redacted) and
        ``agreed`` (True when two coders applied the code independently).
    themes : list of dict
        The codebook: ``{"id", "label", "codes": [{"id", "label"}, ...]}`` in order; a code
        with ``"quotable": False`` ("no codable content") never supplies a quote.
    n_quotes : int
        Exemplar quotes per theme.

    Returns
    -------
    list of dict
        Per theme with any use: ``theme``, ``label``, ``n_segments``, ``n_participants``,
        ``codes`` (the same counts per code) and ``quotes`` — preferring segments whose
        codes two coders agreed on, then moderate length (40–240 characters), then
        shorter ones; one quote per participant.
    """
    parent = {c["id"]: t["id"] for t in themes for c in t["codes"]}
    unquotable = {c["id"] for t in themes for c in t["codes"] if c.get("quotable") is False}
    out = []
    for theme in themes:
        hits = [s for s in segments if any(parent.get(c) == theme["id"] for c in s["codes"])]
        if not hits:
            continue
        codes = []
        for code in theme["codes"]:
            coded = [s for s in hits if code["id"] in s["codes"]]
            if coded:
                codes.append({"code": code["id"], "label": code["label"], "n_segments": len(coded),
                              "n_participants": len({s["participant_id"] for s in coded if s.get("participant_id")})})
        with_text = [s for s in hits if (s.get("text") or "").strip() and set(s["codes"]) - unquotable]
        with_text.sort(key=lambda s: (not s.get("agreed"), not 40 <= len(s["text"]) <= 240, len(s["text"]),
                                      str(s["unit"])))
        quotes, speakers = [], set()
        for s in with_text:
            who = s.get("participant_id") or s["unit"]
            if who in speakers:
                continue
            speakers.add(who)
            quotes.append(s["text"].strip())
            if len(quotes) == n_quotes:
                break
        out.append({"theme": theme["id"], "label": theme["label"], "n_segments": len(hits),
                    "n_participants": len({s["participant_id"] for s in hits if s.get("participant_id")}),
                    "codes": codes, "quotes": quotes})
    out.sort(key=lambda t: -t["n_segments"])
    return out


# ---------------------------------------------------------------- from a bundle


def _day(value):
    """A coding date from a bundle as JSON-ready text or a day number (None when absent)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def bundle_observation_pairs(observations: pd.DataFrame) -> dict[str, list[dict]]:
    """Double-coded rows of ``observations.csv`` as pairs, by scheme."""
    out: dict[str, list[dict]] = defaultdict(list)
    needed = {"coder_1", "score_1", "coder_2", "score_2"}
    if observations is None or not needed <= set(observations.columns):
        return {}
    for row in observations.to_dict("records"):
        if not all(_present(row.get(c)) for c in needed):
            continue
        days = [d for d in (_day(row.get("coded_on_1")), _day(row.get("coded_on_2"))) if d is not None]
        out[row["scheme"]].append({"unit": row.get("recording") or f"{row['participant_id']}/{row['timepoint']}",
                                   "scale": row["scale"], "coder_1": row["coder_1"], "score_1": row["score_1"],
                                   "coder_2": row["coder_2"], "score_2": row["score_2"],
                                   "coded_on": max(days) if days else None})
    return dict(out)


def observation_scores(observations: pd.DataFrame) -> pd.DataFrame:
    """Final observation scores in the shape of ``scores.csv`` (instrument = the scheme id).

    Several recordings of one dyad at one timepoint (different tasks) are averaged;
    recordings still waiting for consensus have no score and are left out.
    """
    columns = ["participant_id", "timepoint", "instrument", "scale", "score"]
    if observations is None or not len(observations):
        return pd.DataFrame(columns=columns)
    scored = observations[observations["score"].notna()]
    means = (scored.groupby(["participant_id", "timepoint", "scheme", "scale"], sort=False)["score"].mean()
             .reset_index().rename(columns={"scheme": "instrument"}))
    return means[columns]


def _split(text) -> set[str]:
    return {t.strip() for t in str(text or "").split(";") if t.strip()}


def coded_results(observations: pd.DataFrame | None, segments: pd.DataFrame | None,
                  described: dict | None = None) -> dict | None:
    """``results.json`` → ``coding``: reliability per scale, drift, and code agreement.

    ``described`` is the manifest's description of the schemes (names, hierarchy); without
    it, ids stand in for names.
    """
    described = described or {}
    out: dict = {}
    pairs = bundle_observation_pairs(observations)
    if observations is not None and len(observations):
        out["observations"] = []
        for scheme in dict.fromkeys(observations["scheme"]):
            info = described.get(scheme, {})
            names = {k: v.get("name", k) for k, v in info.get("scales", {}).items()}
            scheme_pairs = pairs.get(scheme, [])
            units = observations[observations["scheme"] == scheme]
            out["observations"].append({
                "scheme": scheme, "name": info.get("name", scheme),
                "n_recordings": int(units["recording"].nunique()) if "recording" in units else None,
                "n_double_coded": len({p["unit"] for p in scheme_pairs}),
                "scales": scale_reliability(scheme_pairs, names),
                "drift": coder_drift(scheme_pairs, scale_names=names)})
    if segments is not None and len(segments):
        out["themes"] = []
        for book in dict.fromkeys(segments["codebook"] if "codebook" in segments else ["themes"]):
            rows = segments[segments["codebook"] == book] if "codebook" in segments else segments
            info = described.get(book, {})
            codes = [c for t in info.get("themes", []) for c in t["codes"]]
            code_ids = [c["id"] for c in codes] or sorted({c for v in rows["codes"] for c in _split(v)})
            labels = {c["id"]: c["label"] for c in codes}
            double = [{"codes_1": _split(r.get("codes_1")), "codes_2": _split(r.get("codes_2"))}
                      for r in rows.to_dict("records") if _present(r.get("codes_1")) and _present(r.get("codes_2"))]
            out["themes"].append({"codebook": book, "name": info.get("name", book), "n_segments": int(len(rows)),
                                  **{"agreement": code_agreement(double, code_ids, labels)}})
    return out or None


def coded_theme_frequencies(segments: pd.DataFrame | None, described: dict | None = None) -> list[dict] | None:
    """Theme frequencies with exemplar quotes (text only where the bundle carries it), per codebook."""
    if segments is None or not len(segments):
        return None
    described = described or {}
    out = []
    for book in dict.fromkeys(segments["codebook"] if "codebook" in segments else ["themes"]):
        rows = segments[segments["codebook"] == book] if "codebook" in segments else segments
        info = described.get(book, {})
        themes = info.get("themes") or [{"id": t, "label": t, "codes": [{"id": t, "label": t}]}
                                         for t in sorted({c for v in rows["codes"] for c in _split(v)})]
        records = [{"unit": r["segment"], "participant_id": r.get("participant_id") or "",
                    "codes": sorted(_split(r["codes"])), "text": r.get("text") or "",
                    "agreed": r.get("resolution") == "agreed"}
                   for r in rows.to_dict("records") if _split(r["codes"])]
        out.append({"codebook": book, "name": info.get("name", book), "n_segments": len(records),
                    "themes": theme_frequencies(records, themes)})
    return out
