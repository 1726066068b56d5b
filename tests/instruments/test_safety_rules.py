"""Safety rules in the scoring engine: topics, and scale rules on partial answers."""

from nurture.instruments import library, score, score_table

from .. import factories as f


def test_partial_answers_below_the_threshold_raise_nothing(world):
    answers = f.keyed_answers("epds", {"1": 2, "2": 2, "3": 2, "4": 2, "5": 2, "6": 2})  # 12 from six items
    for item in ("7", "8", "9"):
        del answers[item]
    assert [fl.rule for fl in score(library().get("epds"), answers).flags] == []


def test_the_table_scorer_flags_partial_answers_exactly_as_the_survey_does():
    import pandas as pd

    pbq = f.keyed_answers("pbq", {"24": 5})
    del pbq["18"]
    epds = f.keyed_answers("epds", {"1": 3, "2": 3, "3": 3, "4": 3, "5": 3, "6": 3})
    for item in ("7", "8", "9"):
        del epds[item]
    rows = [("P1", "pre", "pbq", k, v) for k, v in pbq.items()] + [("P2", "pre", "epds", k, v) for k, v in epds.items()]
    frame = pd.DataFrame(rows, columns=["participant_id", "timepoint", "instrument", "item", "value"])
    flags = score_table(frame, library()).flags
    got = sorted(zip(flags["participant_id"], flags["rule"], flags["observed"], flags["partial"], strict=True))
    assert got == [("P1", "incipient_abuse", 5.0, True), ("P2", "probable_depression", 18.0, True)]
