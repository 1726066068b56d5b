"""Worked examples for every other instrument, from its published key (see
docs/instruments.md for the sources). ``keyed_all(inst, k)`` answers every item so
that its keyed score is k; ``all_values(inst, v)`` gives every item the coded value v."""

import pytest

from nurture.instruments import ResponseError, library, score

from .helpers import all_values, from_keyed, inst, keyed_all, with_total

GAD7, PHQ9, PSS, KPCS, PSOC, RSES, PBQ, IBQ, FEEDBACK = (
    inst(i) for i in ("gad7", "phq9", "pss", "kpcs", "psoc", "rses", "pbq", "ibqr_vsf", "feedback"))


def test_the_library_has_every_instrument_of_the_battery_and_the_structure_only_ones():
    assert library().ids() == ["asqse2", "csq8", "epds", "feedback", "gad7", "ibqr_vsf", "kpcs", "pbq", "phq9",
                               "psi4sf", "psoc", "pss", "rses", "stai"]
    assert {i.id for i in library() if i.structure_only} == {"psi4sf", "asqse2", "csq8", "stai"}
    assert {i.id for i in library() if not i.verified} == {"pss", "kpcs", "psoc", "ibqr_vsf", "psi4sf", "asqse2",
                                                          "csq8", "stai"}


@pytest.mark.parametrize("definition, reliability", [
    ("epds", 0.87), ("gad7", 0.92), ("phq9", 0.89), ("pss", 0.83), ("kpcs", 0.81), ("rses", 0.77), ("pbq", None)])
def test_reliabilities_for_reliable_change(definition, reliability):
    assert inst(definition).scale("total").reliability == reliability


# ---------------------------------------------------------------- GAD-7 and PHQ-9
def test_gad7_minimum_maximum_and_severe_follow_up():
    assert score(GAD7, all_values(GAD7, 0))["total"].score == 0
    top = score(GAD7, all_values(GAD7, 3))
    assert (top["total"].score, top["total"].band, [f.rule for f in top.flags]) == (21, "Severe", ["severe_anxiety"])


@pytest.mark.parametrize("total, band, flagged", [(4, "Minimal", False), (5, "Mild", False), (9, "Mild", False),
                                                  (10, "Moderate", False), (14, "Moderate", False),
                                                  (15, "Severe", True)])
def test_gad7_band_boundaries(total, band, flagged):
    result = score(GAD7, with_total(GAD7, total, 0, 3))
    assert (result["total"].score, result["total"].band) == (total, band)
    assert bool(result.flags) is flagged


def test_gad7_allows_one_missing_item_and_prorates():
    values = all_values(GAD7, 2)
    del values["7"]
    assert score(GAD7, values)["total"].score == 14.0  # 12 / 6 * 7
    del values["6"]
    assert score(GAD7, values)["total"].score is None


@pytest.mark.parametrize("total, band", [(4, "Minimal"), (5, "Mild"), (10, "Moderate"), (15, "Moderately severe"),
                                         (19, "Moderately severe"), (20, "Severe"), (27, "Severe")])
def test_phq9_bands(total, band):
    assert score(PHQ9, with_total(PHQ9, total, 0, 3))["total"].band == band


@pytest.mark.parametrize("value, urgent", [(0, False), (1, True), (3, True)])
def test_phq9_item_9_above_zero_is_urgent(value, urgent):
    result = score(PHQ9, all_values(PHQ9, 0) | {"9": value})
    assert result.urgent is urgent


# ---------------------------------------------------------------- PSS
def test_pss_reverse_keys_the_eight_positive_items():
    assert score(PSS, all_values(PSS, 1))["total"].score == 50  # 8 reversed x 5 + 10 x 1
    assert score(PSS, all_values(PSS, 5))["total"].score == 58  # 8 reversed x 1 + 10 x 5
    assert score(PSS, keyed_all(PSS, 1))["total"].score == 18
    assert score(PSS, keyed_all(PSS, 5))["total"].score == 90


def test_pss_mixed_pattern_over_every_reverse_keyed_item():
    values = {str(i): (i % 5) + 1 for i in range(1, 19)}  # 2,3,4,5,1,2,3,4,5,1,2,3,4,5,1,2,3,4
    reverse = {"1", "2", "5", "6", "7", "8", "17", "18"}
    expected = sum(6 - v if k in reverse else v for k, v in values.items())
    # reversed items 1,2,5,6,7,8,17,18 -> 4+3+5+4+3+2+3+2 = 26; the others -> 32
    assert expected == 58
    assert score(PSS, values)["total"].score == expected


def test_pss_allows_three_missing_items():
    values = keyed_all(PSS, 2)
    for item in ("1", "2", "3"):
        del values[item]
    assert score(PSS, values)["total"].score == 36.0
    del values["4"]
    assert score(PSS, values)["total"].missing_reason == "4 of 18 items missing (at most 3 allowed)"


# ---------------------------------------------------------------- KPCS
def test_kpcs_range_band_and_not_applicable_items():
    assert score(KPCS, all_values(KPCS, 0))["total"].score == 0
    assert score(KPCS, all_values(KPCS, 3))["total"].score == 45
    values = all_values(KPCS, 3) | {"1": "na", "9": "NA"}
    total = score(KPCS, values)["total"]
    assert (total.score, total.n_items, total.prorated) == (43, 15, False)  # na scores 2 and counts as answered


def test_kpcs_refuses_na_on_an_item_that_does_not_allow_it():
    with pytest.raises(ResponseError, match="KPCS item 2 does not allow 'na'"):
        score(KPCS, all_values(KPCS, 3) | {"2": "na"})


@pytest.mark.parametrize("total, band", [(39, "Low confidence"), (40, "Typical confidence")])
def test_kpcs_cut_off(total, band):
    assert score(KPCS, with_total(KPCS, total, 0, 3))["total"].band == band


# ---------------------------------------------------------------- PSOC
def test_psoc_reverse_keys_satisfaction_items_and_splits_subscales():
    result = score(PSOC, all_values(PSOC, 1))
    assert result["satisfaction"].score == 54  # 9 reversed items x 6
    assert result["efficacy"].score == 7
    assert result["total"].score == 62  # 54 + 7 + item 17 (1)
    top = score(PSOC, keyed_all(PSOC, 6))
    assert (top["total"].score, top["satisfaction"].score, top["efficacy"].score) == (102, 54, 42)


# ---------------------------------------------------------------- RSES
def test_rses_keying_and_cut_off():
    assert score(RSES, all_values(RSES, 0))["total"].score == 15  # 5 reversed items x 3
    assert score(RSES, keyed_all(RSES, 3))["total"].score == 30
    values = dict(zip([str(i) for i in range(1, 11)], [3, 0, 2, 1, 1, 2, 3, 0, 1, 2], strict=True))
    # keyed: 3, 3, 2, 1, 2, 1, 3, 3, 2, 2
    assert score(RSES, values)["total"].score == 22
    assert score(RSES, with_total(RSES, 14, 0, 3))["total"].band == "Low self-esteem"
    assert score(RSES, with_total(RSES, 15, 0, 3))["total"].band == "Normal range"


# ---------------------------------------------------------------- PBQ
def test_pbq_keying_subscales_and_abuse_rule():
    always = score(PBQ, all_values(PBQ, 0))
    # positively worded items 1,4,8,9,11,16,22,25 score 0; the other 17 score 5
    assert always["total"].score == 85
    assert always["impaired_bonding"].score == 40  # 8 negative items in S1 x 5 (1, 8, 9, 16 positive)
    assert always["rejection_anger"].score == 25  # 3, 5, 14, 21, 23 x 5 (4, 11 positive)
    assert always["infant_anxiety"].score == 10  # 19, 20 x 5 (22, 25 positive)
    assert always["incipient_abuse"].score == 10
    assert [f.rule for f in always.flags] == ["incipient_abuse"]
    never = score(PBQ, all_values(PBQ, 5))
    assert (never["total"].score, never["incipient_abuse"].score, never.flags) == (40, 0, ())


@pytest.mark.parametrize("abuse, urgent", [(0, False), (1, False), (2, True)])
def test_pbq_risk_of_abuse_threshold_is_2(abuse, urgent):
    values = keyed_all(PBQ, 0) | from_keyed(PBQ, {"18": min(abuse, 5), "24": max(0, abuse - 5)})
    result = score(PBQ, values)
    assert result["incipient_abuse"].score == abuse
    assert result.urgent is urgent


@pytest.mark.parametrize("scale, threshold", [("impaired_bonding", 12), ("rejection_anger", 13),
                                              ("infant_anxiety", 10)])
def test_pbq_subscale_thresholds(scale, threshold):
    items = PBQ.scale(scale).items
    for total, flagged in [(threshold - 1, False), (threshold, True)]:
        keyed, remaining = {i: 0 for i in PBQ.scale("total").items}, total
        for item in items:
            keyed[item] = min(5, remaining)
            remaining -= keyed[item]
        result = score(PBQ, from_keyed(PBQ, keyed))[scale]
        assert result.score == total
        assert (result.band != "Below threshold") is flagged


# ---------------------------------------------------------------- IBQ-R VSF
def test_ibq_scale_means_reverse_item_11_and_na_unscored():
    result = score(IBQ, all_values(IBQ, 4))
    assert [result[s].score for s in ("surgency", "negative_affectivity", "regulation")] == [4.0, 4.0, 4.0]
    values = all_values(IBQ, 7)
    regulation = score(IBQ, values)["regulation"]
    assert regulation.score == round((11 * 7 + 1) / 12, 2)  # item 11 reversed: 8 - 7 = 1
    values = all_values(IBQ, 6) | {"1": "na", "2": "na"}
    surgency = score(IBQ, values)["surgency"]
    assert (surgency.score, surgency.n_items) == (6.0, 11)


def test_ibq_scale_is_missing_past_40_percent_unanswered():
    values = all_values(IBQ, 5)
    for item in ("1", "2", "7", "8", "13"):  # 5 of 13 surgency items
        values[item] = "na"
    assert score(IBQ, values)["surgency"].score == 5.0
    values["14"] = "na"  # 6 of 13 > 40 %
    assert score(IBQ, values)["surgency"].score is None


# ---------------------------------------------------------------- Feedback (ours)
def test_feedback_is_the_mean_of_rated_items_and_ignores_open_answers():
    values = {str(i): v for i, v in zip(range(1, 9), [5, 4, 5, 4, 5, 3, 4, 5], strict=True)}
    values |= {"open_helpful": "Meeting other mothers", "open_change": "", "open_other": "Gracias"}
    result = score(FEEDBACK, values)
    assert result["satisfaction"].score == 4.38  # 35 / 8 = 4.375, half up


@pytest.mark.parametrize("structure_only", ["psi4sf", "csq8", "stai", "asqse2"])
def test_structure_only_instruments_cannot_be_scored(structure_only):
    with pytest.raises(ResponseError, match="structure-only"):
        score(inst(structure_only), {})


def test_values_outside_the_coding_and_unknown_items_are_refused():
    with pytest.raises(ResponseError, match="'4' is outside the GAD-7 item 1 coding 0–3"):
        score(GAD7, {"1": "4"})
    with pytest.raises(ResponseError, match="GAD-7 has no item '8'"):
        score(GAD7, {"8": 1})
    with pytest.raises(ResponseError, match="'often' is not a number"):
        score(GAD7, {"1": "often"})
    with pytest.raises(ResponseError, match="outside"):
        score(GAD7, {"1": 1.5})
