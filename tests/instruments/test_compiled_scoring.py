"""The compiled look-up that scores one response set (a survey page save) gives exactly what
the validating parser gives, for every definition and any answers; anything it does not
know in its plain form goes to that parser, which refuses bad values as before."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nurture.instruments import ResponseError, library, score
from nurture.instruments.scoring import _fast_matrix, _slow_matrix

SCORED = [i for i in library() if not i.structure_only]


@st.composite
def answers(draw):
    definition = draw(st.sampled_from(SCORED))
    values = {}
    for item in definition.items:
        if item.kind == "text":
            choice = draw(st.sampled_from([None, "", "some words", "3"]))
        else:
            coded = [*item.values, *(str(v) for v in item.values)]
            odd = [" 1", "1.0", 1.0, "NA", "na", "x", 99, "99", -1, True]
            choice = draw(st.sampled_from([*coded, None, "", *(["na"] if item.na_allowed else [])])
                          if draw(st.integers(0, 9)) else st.sampled_from(odd))
        if draw(st.booleans()) or choice is not None:
            values[item.id] = choice
    return definition, values


@settings(max_examples=600, deadline=None)
@given(answers())
def test_the_compiled_lookup_agrees_with_the_parser(case):
    definition, values = case
    fast = _fast_matrix(definition, values)
    try:
        slow = _slow_matrix(definition, values)
    except ResponseError:
        assert fast is None  # bad input is never scored by the look-up
        with pytest.raises(ResponseError):
            score(definition, values)
        return
    if fast is not None:
        np.testing.assert_array_equal(fast, slow)


def test_plain_coded_answers_take_the_lookup_and_score_as_before():
    epds = library().get("epds")
    plain = {item.id: str(item.values[1]) for item in epds.items}
    assert _fast_matrix(epds, plain) is not None
    assert _fast_matrix(epds, {**plain, "1": "1.0"}) is None  # parsed, not looked up
    assert score(epds, plain) == score(epds, {**plain, "1": "1.0", "2": " 1 "})
    with pytest.raises(ResponseError, match="outside the EPDS item 1 coding"):
        score(epds, {**plain, "1": "7"})
