"""Properties that hold for every definition and any answers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from nurture.instruments import library, score

SCORED = [i for i in library() if not i.structure_only]


@st.composite
def answers(draw):
    definition = draw(st.sampled_from(SCORED))
    values = {}
    for item in definition.rated_items:
        choice = draw(st.sampled_from([*item.values, None] + (["na"] if item.na_allowed else [])))
        if choice is not None:
            values[item.id] = choice
    return definition, values


@settings(max_examples=300, deadline=None)
@given(answers())
def test_scores_stay_in_range_even_when_prorated(case):
    definition, values = case
    for s in score(definition, values).scales:
        scale = definition.scale(s.scale)
        if s.score is not None:
            assert scale.score_min <= s.score <= scale.score_max
            assert s.n_items >= len(scale.items) - scale.max_missing
        else:
            assert s.missing_reason


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([item for d in SCORED for item in d.rated_items]))
def test_reverse_keying_is_an_involution(item):
    for value in item.values:
        keyed = item.keyed(value)
        if item.reverse:
            assert item.keyed(int(keyed)) == value
        assert item.min_value <= keyed <= item.max_value or item.score_map is not None


@settings(max_examples=200, deadline=None)
@given(answers())
def test_a_missing_answer_never_counts_as_zero(case):
    definition, values = case
    full = score(definition, values)
    for s in full.scales:
        if s.score is not None and not s.prorated and s.n_items == s.n_items_total:
            assert s.missing_reason is None
