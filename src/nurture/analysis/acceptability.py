"""Acceptability: program-feedback ratings and open-ended answers with their themes."""

from __future__ import annotations

import pandas as pd

from .bundle import Bundle

FEEDBACK = "feedback"


def acceptability(bundle: Bundle, item_labels: dict[str, str] | None = None) -> dict | None:
    items = bundle.get("item_responses.csv")
    scores = bundle.get("scores.csv")
    feedback = bundle.get("feedback.csv")
    out: dict = {}
    if items is not None:
        rated = items[items["instrument"] == FEEDBACK].copy()
        rated["number"] = pd.to_numeric(rated["value"], errors="coerce")
        rated = rated[rated["number"].notna()]
        per_item = []
        for item, group in rated.groupby("item", sort=False):
            values = group["number"]
            per_item.append({"item": str(item), "label": (item_labels or {}).get(str(item), f"Item {item}"),
                             "n": int(len(values)), "mean": float(values.mean()),
                             "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                             "share_agreeing": float((values >= 4).mean())})
        per_item.sort(key=lambda r: (len(r["item"]), r["item"]))
        if per_item:
            out["items"] = per_item
            out["overall_item_share_agreeing"] = float((rated["number"] >= 4).mean())
    if scores is not None:
        overall = scores[(scores["instrument"] == FEEDBACK) & scores["score"].notna()]["score"]
        if len(overall):
            out["satisfaction"] = {"n": int(len(overall)), "mean": float(overall.mean()),
                                   "sd": float(overall.std(ddof=1)) if len(overall) > 1 else None,
                                   "share_agreeing": float((overall >= 4).mean())}
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
