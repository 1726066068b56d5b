"""EPDS worked examples from the published key (Cox et al. 1987; EPDS-3A Matthey 2008).

Coding: 0-3 = position of the chosen box; items 3, 5-10 reverse-keyed (3 - value).
"""

import pytest

from .helpers import all_values, from_keyed, inst, keyed_all, with_total

EPDS = inst("epds")


def test_all_top_boxes_score_21_because_seven_items_are_reversed():
    result = score(all_values(EPDS, 0))
    assert result["total"].score == 21  # items 1, 2, 4 -> 0; items 3, 5-10 -> 3 each
    assert result["anxiety_3a"].score == 6  # 3 + 0 + 3
    assert result["anxiety_3a"].band == "Anxiety flag"


def score(responses):
    from nurture.instruments import score as score_

    return score_(EPDS, responses)


def test_all_bottom_boxes_score_9():
    result = score(all_values(EPDS, 3))
    assert result["total"].score == 9
    assert result["anxiety_3a"].score == 3
    assert [f.rule for f in result.flags] == []


def test_minimum_and_maximum_keyed_totals():
    assert score(keyed_all(EPDS, 0))["total"].score == 0
    top = score(keyed_all(EPDS, 3))
    assert (top["total"].score, top["anxiety_3a"].score) == (30, 9)


def test_a_mixed_pattern_exercising_every_reverse_keyed_item():
    values = dict(zip([str(i) for i in range(1, 11)], [1, 2, 0, 3, 1, 2, 3, 0, 2, 1], strict=True))
    # keyed: 1, 2, 3-0=3, 3, 3-1=2, 3-2=1, 3-3=0, 3-0=3, 3-2=1, 3-1=2
    result = score(values)
    assert result["total"].score == 18
    assert result["anxiety_3a"].score == 8  # 3 + 3 + 2
    assert [f.rule for f in result.flags] == ["self_harm", "probable_depression"]
    assert result.urgent


def test_two_missing_items_are_prorated_to_one_decimal():
    values = keyed_all(EPDS, 1)
    del values["1"], values["2"]
    total = score(values)["total"]
    assert (total.score, total.prorated, total.n_items) == (10.0, True, 8)
    assert total.band == "Possible depression"


def test_prorating_rounds_half_up_to_one_decimal():
    values = from_keyed(EPDS, {"3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1, "10": 2})
    # 9 keyed points over 8 items, x10 = 11.25 -> 11.3
    assert score(values)["total"].score == 11.3


def test_three_missing_items_leave_the_total_missing_with_the_reason():
    values = keyed_all(EPDS, 1)
    for item in ("1", "2", "3"):
        del values[item]
    total = score(values)["total"]
    assert total.score is None
    assert total.missing_reason == "3 of 10 items missing (at most 2 allowed)"


def test_the_anxiety_subscale_allows_no_missing_item():
    values = keyed_all(EPDS, 1)
    del values["4"]
    assert score(values)["anxiety_3a"].score is None
    assert score(values)["total"].score == 10.0


@pytest.mark.parametrize("keyed, fires", [(0, False), (1, True), (3, True)])
def test_item_10_keyed_above_zero_is_urgent(keyed, fires):
    values = keyed_all(EPDS, 0) | from_keyed(EPDS, {"10": keyed})
    flags = [f for f in score(values).flags if f.rule == "self_harm"]
    assert bool(flags) is fires
    if fires:
        assert flags[0].severity == "urgent" and flags[0].observed == keyed


def test_item_10_value_is_reverse_keyed_so_the_top_box_is_the_most_severe():
    values = keyed_all(EPDS, 0) | {"10": 0}
    assert [f.observed for f in score(values).flags if f.rule == "self_harm"] == [3]


def test_an_unanswered_item_10_raises_its_own_flag():
    values = keyed_all(EPDS, 0)
    del values["10"]
    flags = score(values).flags
    assert [(f.rule, f.subject, f.severity) for f in flags] == [("safety_item_unanswered", "item 10", "follow_up")]


@pytest.mark.parametrize("total, band, follow_up", [
    (9, "Below threshold", False), (10, "Possible depression", False), (12, "Possible depression", False),
    (13, "Probable depression", True), (30, "Probable depression", True)])
def test_total_bands_and_the_follow_up_rule(total, band, follow_up):
    # keep item 10 at 0 so only the total rule can fire
    values = with_total(EPDS, total, 0, 3) if total < 28 else keyed_all(EPDS, 3)
    values = {**values}
    result = score(values)
    assert result["total"].score == total
    assert result["total"].band == band
    assert ("probable_depression" in [f.rule for f in result.flags]) is follow_up


@pytest.mark.parametrize("subscale, band", [(5, "Below threshold"), (6, "Anxiety flag")])
def test_anxiety_subscale_cut_off_is_6(subscale, band):
    keyed = {"3": 3, "4": subscale - 3 if subscale >= 3 else 0, "5": 0}
    keyed["5"] = subscale - keyed["3"] - keyed["4"]
    values = keyed_all(EPDS, 0) | from_keyed(EPDS, keyed)
    assert score(values)["anxiety_3a"].band == band


def test_every_score_carries_instrument_and_scoring_versions():
    total = score(keyed_all(EPDS, 1))["total"]
    assert (total.instrument_version, total.scoring_version) == ("1987", "epds-1")
