"""Coding schemes are validated definitions, like the instruments."""

import pytest

from nurture.coding import schemes

SCALE = """
id: mini
kind: rating
version: "1"
name: Mini scale
values: {min: 1, max: 5}
items:
  - {id: a, label: Warmth, definition: Warm tone}
  - {id: b, label: Intrusiveness, definition: Takes over, reverse: true}
subscales:
  - {id: total, name: Total, items: [a, b], lower_is_better: false}
consensus_tolerance: 1
"""


def test_the_shipped_library_has_a_rating_scale_and_a_codebook():
    lib = schemes.library()
    scale, book = lib["dyadic_interaction"], lib["feedback_themes"]
    assert scale.kind == "rating" and len(scale.items) == 9
    assert [s.id for s in scale.subscales] == ["maternal", "infant", "dyadic", "total"]
    assert book.kind == "themes" and "peer_support" in [t.id for t in book.themes]
    assert book.theme_of("not_alone").id == "peer_support"
    # every code a coder can pick has a definition
    assert all(c.definition for c in book.leaves)


def test_subscales_are_means_of_keyed_items_with_reverse_keying():
    scale = schemes.parse_scheme(SCALE, "mini.yaml")
    assert scale.score({"a": 5, "b": 1}) == {"total": 5.0}
    assert scale.score({"a": 4, "b": 4}) == {"total": 3.0}  # (4 + (6 - 4)) / 2
    assert scale.score({"a": 4}) == {"total": None}


@pytest.mark.parametrize("values,message", [
    ({"a": 4}, "Intrusiveness is not rated"),
    ({"a": 4, "b": 9}, "Intrusiveness: 9 is outside 1–5"),
    ({"a": "x", "b": 2}, "Warmth: 'x' is not a rating"),
    ({"a": 4, "b": 2, "c": 1}, "has no item 'c'"),
])
def test_ratings_must_cover_every_item_within_range(values, message):
    scale = schemes.parse_scheme(SCALE, "mini.yaml")
    with pytest.raises(schemes.SchemeError, match=message):
        scale.clean_values(values)


def test_disagreement_is_a_difference_beyond_the_tolerance():
    scale = schemes.parse_scheme(SCALE, "mini.yaml")
    assert scale.disagreements({"a": 4, "b": 2}, {"a": 5, "b": 2}) == []
    assert scale.disagreements({"a": 2, "b": 2}, {"a": 5, "b": 2}) == ["a"]


def test_codes_must_be_leaves_of_the_codebook():
    book = schemes.library()["feedback_themes"]
    assert book.clean_codes(["reading_cues", "not_alone", "not_alone"]) == ["not_alone", "reading_cues"]
    with pytest.raises(schemes.SchemeError, match="is a theme; choose one of its codes"):
        book.clean_codes(["peer_support"])
    with pytest.raises(schemes.SchemeError, match="no code 'tea'"):
        book.clean_codes(["tea"])
    with pytest.raises(schemes.SchemeError, match="Choose at least one code"):
        book.clean_codes([])


@pytest.mark.parametrize("change,message", [
    (("kind: rating", "kind: video"), "mini.yaml: 'kind' must be rating or themes"),
    (("values: {min: 1, max: 5}", "values: {min: 5, max: 1}"), "mini.yaml: 'values' needs whole numbers min < max"),
    (("items: [a, b]", "items: [a, z]"), "mini.yaml, subscale 1: unknown item 'z'"),
    (("{id: b, label: Intrusiveness", "{id: a, label: Intrusiveness"), "mini.yaml, item 2: duplicate item id 'a'"),
    (("definition: Warm tone", "definition: ''"), "mini.yaml, item 1: 'definition' is required"),
])
def test_a_malformed_definition_is_refused_naming_file_and_field(change, message):
    with pytest.raises(schemes.SchemeError) as caught:
        schemes.parse_scheme(SCALE.replace(*change), "mini.yaml")
    assert str(caught.value) == message


def test_study_coding_settings_must_name_schemes_of_the_library(world):
    from django.core.exceptions import ValidationError

    from nurture.coding.domain import coding_settings

    cfg = coding_settings(world.study)
    cfg.full_clean()
    cfg.observation_scheme = "feedback_themes"  # a codebook, not a rating scale
    with pytest.raises(ValidationError, match="No rating scale 'feedback_themes'"):
        cfg.full_clean()
