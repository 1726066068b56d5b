"""Acceptability: who answered the program feedback, how each statement was rated, and the open answers.

Every share says what it counts: *respondents* are dyads with at least one rated
feedback statement; a statement's *agreement* is the share of the mothers who rated it
who chose 4 or 5 on the 1–5 scale (Wilson interval); *satisfaction* is each mother's
mean rating, summarised over mothers.
"""

from __future__ import annotations

import pandas as pd

from .bundle import Bundle
from .feasibility import mean_with_ci, rate

FEEDBACK = "feedback"
AGREE = 4  # "agree" or "strongly agree" on the 1–5 coding


def acceptability(bundle: Bundle, item_labels: dict[str, str] | None = None,
                  asked: set[str] | None = None) -> dict | None:
    """``asked``: the dyads who were due to answer the feedback (with the post-assessment)."""
    items = bundle.get("item_responses.csv")
    scores = bundle.get("scores.csv")
    feedback = bundle.get("feedback.csv")
    out: dict = {}
    respondents: set[str] = set()
    if items is not None:
        rated = items[items["instrument"] == FEEDBACK].copy()
        rated["number"] = pd.to_numeric(rated["value"], errors="coerce")
        rated = rated[rated["number"].notna()]
        respondents |= set(rated["participant_id"])
        per_item = []
        for item, group in rated.groupby("item", sort=False):
            values = group["number"]
            agreeing = rate(int((values >= AGREE).sum()), len(values))
            per_item.append({"item": str(item), "label": (item_labels or {}).get(str(item), f"Statement {item}"),
                             "n": int(len(values)), "mean": float(values.mean()),
                             "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                             "share_agreeing": agreeing["estimate"], "agreeing": agreeing})
        per_item.sort(key=lambda r: (len(r["item"]), r["item"]))
        if per_item:
            out["items"] = per_item
            out["ratings_agreeing"] = rate(int((rated["number"] >= AGREE).sum()), len(rated))
            out["overall_item_share_agreeing"] = out["ratings_agreeing"]["estimate"]
    if scores is not None:
        overall = scores[(scores["instrument"] == FEEDBACK) & scores["score"].notna()]
        respondents |= set(overall["participant_id"])
        if len(overall):
            values = overall["score"].to_numpy(float)
            summary = mean_with_ci(values, bounds=(1.0, 5.0))
            agreeing = rate(int((values >= AGREE).sum()), len(values))
            out["satisfaction"] = {
                "n": int(len(values)), "mean": float(values.mean()),
                "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                "ci95": summary["ci95"],
                "share_agreeing": agreeing["estimate"], "respondents_agreeing": agreeing,
                "computed_as": "each mother's mean rating (1–5) of the rated statements; 'agreeing' = mean 4 or more"}
    if asked:
        out["response"] = rate(len(respondents & asked), len(asked))
        out["response"]["denominator"] = "dyads due for the post-assessment"
    if feedback is not None:
        answers = feedback[feedback["text"].notna()]
        themes = answers.get("themes", pd.Series(None, index=answers.index)).fillna("")
        counts: dict[str, int] = {}
        listed = []
        for (_, row), theme_text in zip(answers.iterrows(), themes, strict=True):
            tags = [t.strip() for t in str(theme_text).split(";") if t.strip()]
            for tag in tags:
                counts[tag] = counts.get(tag, 0) + 1
            listed.append({"participant_id": row["participant_id"], "question": row["question"],
                           "question_label": (item_labels or {}).get(str(row["question"]), row["question"]),
                           "text": row["text"], "themes": tags})
        out["open_answers"] = listed
        out["themes"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out or None
