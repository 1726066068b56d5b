"""Reliability of coded data, drift and theme frequencies (pure functions)."""

import pytest

from nurture.analysis import agreement as ag
from nurture.analysis.coded import code_agreement, coder_drift, scale_reliability, theme_frequencies

SCORES = [(3.0, 3.5), (2.0, 2.5), (4.5, 4.0), (1.5, 2.0), (3.5, 3.5), (2.5, 3.5)]


def pairs(coders):
    return [{"unit": f"R-{i}", "scale": "maternal", "coder_1": a, "score_1": s1, "coder_2": b, "score_2": s2,
             "coded_on": f"2026-03-{10 + i:02d}"} for i, ((s1, s2), (a, b)) in enumerate(zip(SCORES, coders,
                                                                                          strict=True))]


def test_the_same_two_coders_give_icc2_with_coders_as_columns_whatever_the_order():
    # coder C2 sometimes coded first: the columns must still be C1 and C2
    swapped = pairs([("C1", "C2"), ("C2", "C1"), ("C1", "C2"), ("C2", "C1"), ("C1", "C2"), ("C1", "C2")])
    result = scale_reliability(swapped, {"maternal": "Maternal sensitivity"})[0]
    matrix = [[s1, s2] if a == "C1" else [s2, s1]
              for (s1, s2), a in zip(SCORES, ["C1", "C2", "C1", "C2", "C1", "C1"], strict=True)]
    assert result["icc_form"] == "ICC2" and result["name"] == "Maternal sensitivity"
    assert result["icc"]["estimate"] == pytest.approx(ag.icc(matrix)["ICC2"]["estimate"], rel=1e-12)
    assert result["n"] == 6
    assert result["mean_abs_diff"] == pytest.approx(sum(abs(a - b) for a, b in SCORES) / 6)


def test_varying_coder_pairs_give_icc1():
    varied = pairs([("C1", "C2"), ("C2", "C3"), ("C1", "C3"), ("C1", "C2"), ("C2", "C3"), ("C1", "C3")])
    result = scale_reliability(varied)[0]
    assert result["icc_form"] == "ICC1"
    assert result["icc"]["estimate"] == pytest.approx(ag.icc([list(s) for s in SCORES])["ICC1"]["estimate"])


def test_one_double_coded_unit_has_no_icc_and_says_why():
    result = scale_reliability(pairs([("C1", "C2")] * 6)[:1])[0]
    assert result["icc"] is None and result["icc_reason"] == "fewer than two double-coded units"


def test_drift_cuts_units_in_coding_order_into_blocks():
    drift = coder_drift(list(reversed(pairs([("C1", "C2")] * 6))), blocks=3, min_per_block=2)[0]
    assert [b["n"] for b in drift["blocks"]] == [2, 2, 2]
    assert [b["first"] for b in drift["blocks"]] == ["2026-03-10", "2026-03-12", "2026-03-14"]
    assert drift["blocks"][2]["mean_abs_diff"] == pytest.approx((0 + 1.0) / 2)
    # too few units for three blocks of three: one block
    assert len(coder_drift(pairs([("C1", "C2")] * 6), blocks=3, min_per_block=3)[0]["blocks"]) == 2


def test_code_agreement_is_kappa_of_present_or_absent_per_code():
    segments = [{"codes_1": {"a"}, "codes_2": {"a"}}, {"codes_1": {"a", "b"}, "codes_2": {"b"}},
                {"codes_1": {"c"}, "codes_2": {"c"}}, {"codes_1": {"b"}, "codes_2": {"b", "c"}}]
    result = code_agreement(segments, ["a", "b", "c", "d"], {"a": "Alpha"})
    assert result["n"] == 4 and result["identical"] == 0.5
    a = result["codes"][0]
    assert (a["code"], a["label"], a["n_1"], a["n_2"], a["both"]) == ("a", "Alpha", 2, 1, 1)
    assert a["kappa"] == pytest.approx(ag.cohen_kappa([[1, 1], [1, 0], [0, 0], [0, 0]])["estimate"])
    assert [c["code"] for c in result["codes"]] == ["a", "b", "c"]  # d was never used


THEMES = [{"id": "peer", "label": "Other mothers", "codes": [{"id": "alone", "label": "Not alone"},
                                                             {"id": "friends", "label": "Friendships"}]},
          {"id": "change", "label": "Suggestions", "codes": [{"id": "longer", "label": "Longer sessions"}]}]


def test_theme_frequencies_count_segments_and_mothers_and_pick_agreed_quotes():
    segments = [
        {"unit": "T-1", "participant_id": "P1", "codes": ["alone"], "text": "Knowing the other mothers felt "
                                                                             "the same made me feel less alone.",
         "agreed": False},
        {"unit": "T-2", "participant_id": "P2", "codes": ["alone", "friends"],
         "text": "I found friends there, we still meet every week at the park.", "agreed": True},
        {"unit": "T-3", "participant_id": "P2", "codes": ["friends"], "text": "Friends.", "agreed": True},
        {"unit": "T-4", "participant_id": "P3", "codes": ["longer"], "text": "Longer sessions please, an hour "
                                                                             "is too short.", "agreed": True},
        {"unit": "T-5", "participant_id": "", "codes": ["alone"], "text": "", "agreed": True},
    ]
    result = theme_frequencies(segments, THEMES)
    peer = result[0]
    assert (peer["theme"], peer["n_segments"], peer["n_participants"]) == ("peer", 4, 2)
    assert peer["codes"] == [{"code": "alone", "label": "Not alone", "n_segments": 3, "n_participants": 2},
                             {"code": "friends", "label": "Friendships", "n_segments": 2, "n_participants": 1}]
    # agreed first; one quote per mother (P2's short second segment is skipped)
    assert peer["quotes"] == ["I found friends there, we still meet every week at the park.",
                              "Knowing the other mothers felt the same made me feel less alone."]
    assert result[1]["theme"] == "change" and result[1]["n_segments"] == 1
